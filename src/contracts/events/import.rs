//! The events in `area-clienti import FILE`: a line with a `"type"` field is one event,
//! with the body of its API request and the key of its path as a field:
//!
//! - `{"type": "cessazione_linea", "number": "+39…", "event_id", "reason", "channel"?}`
//! - `{"type": "rappresentante_legale", "vat_number", "event_id", "legal_representative",
//!   "previous"?, "channel"?}`
//! - `{"type": "cessazione_azienda", "vat_number", "event_id", "channel"?}`
//! - `{"type": "contratto", …}` (or no `type`): a contract, as before.
//!
//! The import applies an event after every line before it is recorded, exactly as the API
//! does (same validation, idempotency by `event_id`, audit with `via: import`).

use serde_json::Value;

use super::{
    Context, EventError, EventOutcome, Via, closure, legal_representative, line_cessation,
};
use crate::contracts::payload;

/// What a line with a `"type"` field is.
pub enum Typed {
    /// A contract: the line without its `type`, for the contract path.
    Contract(Vec<u8>),
    Event(Event),
    /// Not a JSON object, or an unknown type: `"campo: messaggio"`.
    Invalid(String),
}

pub struct Event {
    kind: &'static str,
    key: String,
    body: Vec<u8>,
}

/// A cheap first look: only a line that mentions `"type"` needs the slower one.
pub fn may_be_typed(line: &[u8]) -> bool {
    line.windows(6).any(|w| w == b"\"type\"")
}

pub fn classify(line: &[u8]) -> Typed {
    let mut object = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return Typed::Invalid("body: JSON non valido: serve un oggetto".to_owned()),
        Err(e) => return Typed::Invalid(format!("body: JSON non valido: {e}")),
    };
    let kind = match object.remove("type") {
        None => None,
        Some(Value::String(kind)) => Some(kind),
        Some(_) => return Typed::Invalid("type: deve essere un testo".to_owned()),
    };
    let (kind, key_field) = match kind.as_deref() {
        None | Some("contratto") => {
            let bytes = serde_json::to_vec(&Value::Object(object)).unwrap_or_default();
            return Typed::Contract(bytes);
        }
        Some("cessazione_linea") => ("cessazione_linea", "number"),
        Some("rappresentante_legale") => ("rappresentante_legale", "vat_number"),
        Some("cessazione_azienda") => ("cessazione_azienda", "vat_number"),
        Some(_) => {
            return Typed::Invalid(
                "type: tipo sconosciuto (contratto, cessazione_linea, rappresentante_legale, cessazione_azienda)"
                    .to_owned(),
            );
        }
    };
    let key = match object.remove(key_field) {
        Some(Value::String(key)) => key,
        _ => return Typed::Invalid(format!("{key_field}: campo obbligatorio")),
    };
    Typed::Event(Event {
        kind,
        key,
        body: serde_json::to_vec(&Value::Object(object)).unwrap_or_default(),
    })
}

/// What one event line came to.
pub enum Outcome {
    Applied,
    AlreadyPresent,
    Refused(Vec<String>),
}

/// Applies one event as the API would.
pub async fn apply(
    pool: &sqlx::PgPool,
    config: &crate::config::Config,
    now: time::OffsetDateTime,
    event: &Event,
) -> anyhow::Result<Outcome> {
    let ctx = Context {
        pool,
        config,
        now,
        via: Via::Import,
    };
    let result = match event.kind {
        "cessazione_linea" => match payload::parse_json_as(&event.body) {
            Ok(p) => line_cessation::cease_line(&ctx, &event.key, &p).await,
            Err(e) => Err(EventError::Invalid(vec![e])),
        },
        "rappresentante_legale" => match payload::parse_json_as(&event.body) {
            Ok(p) => legal_representative::change_legal_representative(&ctx, &event.key, &p).await,
            Err(e) => Err(EventError::Invalid(vec![e])),
        },
        _ => match payload::parse_json_as(&event.body) {
            Ok(p) => closure::close_company(&ctx, &event.key, &p).await,
            Err(e) => Err(EventError::Invalid(vec![e])),
        },
    };
    Ok(match result {
        Ok(EventOutcome { applied: true, .. }) => Outcome::Applied,
        Ok(_) => Outcome::AlreadyPresent,
        Err(EventError::Invalid(errors)) => Outcome::Refused(
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
        ),
        Err(EventError::NotFound { field, message }) => {
            Outcome::Refused(vec![format!("{field}: {message}")])
        }
        Err(EventError::Conflict) => Outcome::Refused(vec![
            "event_id: già usato per un evento diverso o con dati diversi".to_owned(),
        ]),
        Err(EventError::Internal(e)) => return Err(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_line_is_a_contract_an_event_or_refused_by_field() {
        assert!(!may_be_typed(br#"{"contract_id": "C"}"#));
        assert!(matches!(
            classify(br#"{"type": "contratto", "contract_id": "C"}"#),
            Typed::Contract(b) if b == br#"{"contract_id":"C"}"#
        ));
        let Typed::Event(event) = classify(
            br#"{"type": "cessazione_linea", "number": "+393401112233", "event_id": "E", "reason": "cessazione"}"#,
        ) else {
            panic!("an event")
        };
        assert_eq!(event.key, "+393401112233");
        assert!(!String::from_utf8_lossy(&event.body).contains("number"));
        assert!(matches!(
            classify(br#"{"type": "cessazione_azienda", "event_id": "E"}"#),
            Typed::Invalid(m) if m.starts_with("vat_number:")
        ));
        assert!(
            matches!(classify(br#"{"type": "boh"}"#), Typed::Invalid(m) if m.starts_with("type:"))
        );
    }
}
