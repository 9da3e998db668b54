//! The bodies of the events (CONTRACT.md §3b) and their validation. As for contracts, every
//! field is optional here so that a missing one is reported by name, and every problem is
//! reported at once with the path of its field.

use serde::{Deserialize, Serialize};

use crate::contracts::payload::{self, Errors, FieldError, Person, PersonPayload};
use crate::domain::{PhoneNumber, VatNumber};

/// `POST /api/v1/linee/{number}/cessazione`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineCessationPayload {
    pub event_id: Option<String>,
    pub reason: Option<String>,
    pub channel: Option<String>,
}

/// `POST /api/v1/aziende/{vat_number}/rappresentante-legale`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalRepresentativePayload {
    pub event_id: Option<String>,
    pub legal_representative: Option<PersonPayload>,
    pub previous: Option<String>,
    pub channel: Option<String>,
}

/// `POST /api/v1/aziende/{vat_number}/cessazione`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyClosurePayload {
    pub event_id: Option<String>,
    pub channel: Option<String>,
}

/// Why a line left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CessationReason {
    /// `cessazione`: the line ceased.
    Ceased,
    /// `portabilita_uscente`: ported to another operator.
    PortedOut,
}

impl CessationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CessationReason::Ceased => "cessazione",
            CessationReason::PortedOut => "portabilita_uscente",
        }
    }

    /// "è cessata" / "è passata a un altro operatore".
    pub fn in_words(self) -> &'static str {
        match self {
            CessationReason::Ceased => "è cessata",
            CessationReason::PortedOut => "è passata a un altro operatore (portabilità)",
        }
    }
}

/// What the previous legal representative becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviousBecomes {
    AdminFull,
    Disabled,
}

impl PreviousBecomes {
    pub fn as_str(self) -> &'static str {
        match self {
            PreviousBecomes::AdminFull => "amministratore_full",
            PreviousBecomes::Disabled => "disabilitato",
        }
    }
}

pub struct LineCessation {
    pub event_id: String,
    pub channel: String,
    pub number: PhoneNumber,
    pub reason: CessationReason,
}

pub struct LegalRepresentativeChange {
    pub event_id: String,
    pub channel: String,
    pub vat_number: VatNumber,
    pub person: Person,
    pub previous: PreviousBecomes,
}

pub struct CompanyClosure {
    pub event_id: String,
    pub channel: String,
    pub vat_number: VatNumber,
}

fn done<T>(errors: Errors, value: Option<T>) -> Result<T, Vec<FieldError>> {
    match value {
        Some(v) if errors.0.is_empty() => Ok(v),
        _ => Err(errors.0),
    }
}

fn vat(errors: &mut Errors, raw: &str) -> Option<VatNumber> {
    errors.check("vat_number", VatNumber::parse(raw))
}

impl LineCessationPayload {
    /// `number` is the path's, as sent.
    pub fn validate(&self, number: &str) -> Result<LineCessation, Vec<FieldError>> {
        let mut errors = Errors::default();
        let number = errors.check("number", PhoneNumber::parse(number));
        let event_id = payload::identifier(&mut errors, "event_id", &self.event_id);
        let reason = errors
            .required("reason", &self.reason)
            .and_then(|r| match r {
                "cessazione" => Some(CessationReason::Ceased),
                "portabilita_uscente" => Some(CessationReason::PortedOut),
                _ => {
                    errors.push(
                        "reason",
                        "Motivo non valido: cessazione oppure portabilita_uscente",
                    );
                    None
                }
            });
        let channel = payload::channel(&mut errors, &self.channel);
        let parsed = match (number, event_id, reason) {
            (Some(number), Some(event_id), Some(reason)) => Some(LineCessation {
                event_id,
                channel,
                number,
                reason,
            }),
            _ => None,
        };
        done(errors, parsed)
    }
}

impl LegalRepresentativePayload {
    pub fn validate(&self, vat_number: &str) -> Result<LegalRepresentativeChange, Vec<FieldError>> {
        let mut errors = Errors::default();
        let vat_number = vat(&mut errors, vat_number);
        let event_id = payload::identifier(&mut errors, "event_id", &self.event_id);
        let person = payload::person(
            &mut errors,
            "legal_representative",
            self.legal_representative.as_ref(),
        );
        if self
            .legal_representative
            .as_ref()
            .is_some_and(|p| p.profile.is_some())
        {
            errors.push(
                "legal_representative.profile",
                "Il profilo del Rappresentante Legale non si indica",
            );
        }
        let previous = match self.previous.as_deref().map(str::trim) {
            None | Some("") | Some("disabilitato") => Some(PreviousBecomes::Disabled),
            Some("amministratore_full") => Some(PreviousBecomes::AdminFull),
            Some(_) => {
                errors.push(
                    "previous",
                    "Valore non valido: amministratore_full oppure disabilitato",
                );
                None
            }
        };
        let channel = payload::channel(&mut errors, &self.channel);
        let parsed = match (vat_number, event_id, person, previous) {
            (Some(vat_number), Some(event_id), Some(person), Some(previous)) => {
                Some(LegalRepresentativeChange {
                    event_id,
                    channel,
                    vat_number,
                    person,
                    previous,
                })
            }
            _ => None,
        };
        done(errors, parsed)
    }
}

impl CompanyClosurePayload {
    pub fn validate(&self, vat_number: &str) -> Result<CompanyClosure, Vec<FieldError>> {
        let mut errors = Errors::default();
        let vat_number = vat(&mut errors, vat_number);
        let event_id = payload::identifier(&mut errors, "event_id", &self.event_id);
        let channel = payload::channel(&mut errors, &self.channel);
        let parsed = match (vat_number, event_id) {
            (Some(vat_number), Some(event_id)) => Some(CompanyClosure {
                event_id,
                channel,
                vat_number,
            }),
            _ => None,
        };
        done(errors, parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_cessation_names_every_wrong_field() {
        let payload = LineCessationPayload {
            event_id: Some("no spaces allowed".into()),
            reason: Some("furto".into()),
            channel: None,
        };
        let errors = payload.validate("123").err().unwrap();
        assert_eq!(fields(errors), ["number", "event_id", "reason"]);
        let ok = LineCessationPayload {
            event_id: Some("EVT-1".into()),
            reason: Some("portabilita_uscente".into()),
            channel: Some("negozio".into()),
        }
        .validate("3401112233")
        .unwrap();
        assert_eq!(ok.number.as_str(), "+393401112233");
        assert_eq!(ok.reason, CessationReason::PortedOut);
    }

    #[test]
    fn a_handover_defaults_to_disabling_the_previous_one() {
        let person = PersonPayload {
            first_name: Some("Anna".into()),
            last_name: Some("Neri".into()),
            email: Some("anna.neri@example.it".into()),
            ..PersonPayload::default()
        };
        let payload = LegalRepresentativePayload {
            event_id: Some("EVT-2".into()),
            legal_representative: Some(person),
            previous: None,
            channel: None,
        };
        let ok = payload.validate("IT01234567897").unwrap();
        assert_eq!(ok.previous, PreviousBecomes::Disabled);
        let missing = LegalRepresentativePayload {
            previous: Some("utilizzatore".into()),
            ..LegalRepresentativePayload::default()
        };
        assert_eq!(
            fields(missing.validate("IT0").err().unwrap()),
            ["vat_number", "event_id", "legal_representative", "previous"]
        );
    }
}
