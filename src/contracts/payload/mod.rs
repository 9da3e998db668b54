//! The body of `POST /api/v1/contratti` (and of each line of `import`), and its
//! validation into domain types. Every problem is reported with the path of its field.
//! The lines (`mobile_lines`) are checked in [`lines`].

use serde::{Deserialize, Serialize};

use crate::domain::text::{self, Lines};
use crate::domain::{DomainError, EmailAddress, PersonName, PhoneNumber, Profile, VatNumber};

mod lines;

/// Most lines one contract may carry (the largest customer has about 20,000).
pub const MAX_LINES_PER_CONTRACT: usize = 50_000;

/// The body as sent. Every field is optional here so that a missing one is reported by
/// name, like any other invalid value.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractPayload {
    pub contract_id: Option<String>,
    pub channel: Option<String>,
    pub company: Option<CompanyPayload>,
    pub legal_representative: Option<PersonPayload>,
    pub mobile_lines: Option<Vec<LinePayload>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyPayload {
    pub name: Option<String>,
    pub vat_number: Option<String>,
    pub tax_code: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonPayload {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub profile: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinePayload {
    pub number: Option<String>,
    pub referent: Option<PersonPayload>,
}

/// One invalid field: `field` is its JSON path, e.g. `mobile_lines[3].number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A contract that passed validation.
#[derive(Debug)]
pub struct Contract {
    pub contract_id: String,
    pub channel: String,
    pub company_name: String,
    pub vat_number: VatNumber,
    pub tax_code: Option<String>,
    pub legal_representative: Person,
    pub lines: Vec<Line>,
}

#[derive(Debug)]
pub struct Person {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub mobile: Option<PhoneNumber>,
}

#[derive(Debug)]
pub struct Line {
    pub number: PhoneNumber,
    pub referent: Option<Referent>,
}

#[derive(Debug)]
pub struct Referent {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub profile: Option<Profile>,
}

/// Collects field errors while parsing (the events of `contracts::events` use it too).
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Vec<FieldError>);

impl Errors {
    pub(crate) fn check<T>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, DomainError>,
    ) -> Option<T> {
        result.map_err(|e| self.push(field, e.to_string())).ok()
    }

    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn required<'a>(
        &mut self,
        field: &str,
        value: &'a Option<String>,
    ) -> Option<&'a str> {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => Some(v),
            _ => {
                self.push(field, DomainError::Required.to_string());
                None
            }
        }
    }
}

impl ContractPayload {
    /// Validates every field, reporting all problems at once (in the order of the fields).
    pub fn validate(&self) -> Result<Contract, Vec<FieldError>> {
        let mut errors = Errors::default();
        let contract_id = contract_id(&mut errors, &self.contract_id);
        let channel = channel(&mut errors, &self.channel);
        let company = company(&mut errors, self.company.as_ref());
        let person = person(
            &mut errors,
            "legal_representative",
            self.legal_representative.as_ref(),
        );
        let lines = lines::lines(
            &mut errors,
            self.mobile_lines.as_deref().unwrap_or_default(),
        );
        match (
            contract_id,
            company.name,
            company.vat_number,
            person,
            errors.0.is_empty(),
        ) {
            (
                Some(contract_id),
                Some(company_name),
                Some(vat_number),
                Some(legal_representative),
                true,
            ) => Ok(Contract {
                contract_id,
                channel,
                company_name,
                vat_number,
                tax_code: company.tax_code.map(str::to_uppercase),
                legal_representative,
                lines,
            }),
            _ => Err(errors.0),
        }
    }
}

fn contract_id(errors: &mut Errors, value: &Option<String>) -> Option<String> {
    identifier(errors, "contract_id", value)
}

/// A sales channel's idempotency key (`contract_id`, `event_id`).
pub(crate) fn identifier(
    errors: &mut Errors,
    field: &str,
    value: &Option<String>,
) -> Option<String> {
    errors.required(field, value).and_then(|id| {
        let ok = id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if !ok {
            errors.push(
                field,
                "Identificativo non valido: al massimo 64 caratteri tra lettere, cifre e - _ . /",
            );
        }
        ok.then(|| id.to_owned())
    })
}

pub(crate) fn channel(errors: &mut Errors, value: &Option<String>) -> String {
    let channel = value.as_deref().unwrap_or("").trim().to_owned();
    if channel.chars().count() > 64 {
        errors.push("channel", DomainError::TooLong { max: 64 }.to_string());
    } else if !text::is_clean(&channel, Lines::Single) {
        errors.push("channel", DomainError::InvalidCharacters.to_string());
    }
    channel
}

/// The valid parts of `company` (`None` where a field was invalid).
struct CompanyParts<'a> {
    name: Option<String>,
    vat_number: Option<VatNumber>,
    tax_code: Option<&'a str>,
}

fn company<'a>(errors: &mut Errors, payload: Option<&'a CompanyPayload>) -> CompanyParts<'a> {
    static EMPTY: CompanyPayload = CompanyPayload {
        name: None,
        vat_number: None,
        tax_code: None,
    };
    if payload.is_none() {
        errors.push("company", DomainError::Required.to_string());
    }
    let company = payload.unwrap_or(&EMPTY);
    let name = errors
        .required("company.name", &company.name)
        .and_then(|n| {
            let ok = n.chars().count() <= 200 && text::is_clean(n, Lines::Single);
            if !ok {
                errors.push(
                    "company.name",
                    DomainError::TooLong { max: 200 }.to_string(),
                );
            }
            ok.then(|| n.to_owned())
        });
    let vat = errors.required("company.vat_number", &company.vat_number);
    let vat_number = vat.and_then(|v| errors.check("company.vat_number", VatNumber::parse(v)));
    let tax_code = company
        .tax_code
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if tax_code.is_some_and(|t| t.len() > 16 || !t.bytes().all(|b| b.is_ascii_alphanumeric())) {
        errors.push(
            "company.tax_code",
            "Codice fiscale non valido: da 11 a 16 lettere e cifre",
        );
    }
    CompanyParts {
        name,
        vat_number,
        tax_code,
    }
}

pub(crate) fn person(
    errors: &mut Errors,
    path: &str,
    payload: Option<&PersonPayload>,
) -> Option<Person> {
    let Some(p) = payload else {
        errors.push(path, DomainError::Required.to_string());
        return None;
    };
    let first_name = name(errors, &format!("{path}.first_name"), &p.first_name);
    let last_name = name(errors, &format!("{path}.last_name"), &p.last_name);
    let email = email(errors, &format!("{path}.email"), &p.email);
    let mobile = match p.mobile.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(errors.check(format!("{path}.mobile"), PhoneNumber::parse(m))?),
        None => None,
    };
    Some(Person {
        first_name: first_name?,
        last_name: last_name?,
        email: email?,
        mobile,
    })
}

fn name(errors: &mut Errors, field: &str, value: &Option<String>) -> Option<PersonName> {
    let raw = errors.required(field, value)?;
    errors.check(field, PersonName::parse(raw))
}

fn email(errors: &mut Errors, field: &str, value: &Option<String>) -> Option<EmailAddress> {
    let raw = errors.required(field, value)?;
    errors.check(field, EmailAddress::parse(raw))
}

/// Parses a JSON body, naming the field of a type error (e.g. `mobile_lines[0].number`).
pub fn parse_json(bytes: &[u8]) -> Result<ContractPayload, FieldError> {
    parse_json_as(bytes)
}

/// [`parse_json`] for any body (the events' too).
pub fn parse_json_as<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FieldError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        // The root is "."; an unknown key "" at the root prints as an empty path (found by
        // fuzzing) and a body cut short as "?": all are the body as a whole.
        let field = if field == "." || field == "?" || field.is_empty() {
            "body".to_owned()
        } else {
            field
        };
        FieldError {
            field,
            message: format!("JSON non valido: {}", e.inner()),
        }
    })
}

#[cfg(test)]
mod tests;
