//! Delivery receipts from the SMS gateway and the mail system (`POST /api/v1/notifiche/esiti`,
//! CONTRACT.md §3b): what became of a message after the worker handed it over.
//!
//! The rules, as OPERATIONS.md tells integrators:
//! - `message_id` is the outbox id: the `id` sent to the SMS gateway, or the part before `@`
//!   of the e-mail's `Message-ID` (a whole `<id@domain>` is accepted too). Unknown → 404.
//! - A receipt identical to one already recorded for the message (same status and detail)
//!   is a retry of the same call: 200, nothing written, nothing counted twice.
//! - Otherwise the receipt is appended to the message's history and the newest one is what
//!   the pages show: a `delivered` after a `bounced` means the mail system tried again and
//!   succeeded (and a bounce after `delivered` a late refusal by the final server). A receipt
//!   never says "sent", so a message never reads as just sent again.
//! - `detail` is the remote system's text: kept, not refused, once cleaned of control
//!   characters and cut to [`MAX_DETAIL`] characters (a bounce must not be lost because its
//!   diagnostic spans lines).

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::contracts::FieldError;
use crate::contracts::payload::Errors;
use crate::db::delivery_receipts::{self, ReceiptStatus};
use crate::db::outbox::{self, Delivery};
use crate::domain::text::{self, Lines};

/// Longest `detail` kept, in characters.
pub const MAX_DETAIL: usize = 300;
/// Longest `message_id` read: a UUID, or a whole Message-ID with its domain.
const MAX_MESSAGE_ID: usize = 320;

/// The body as sent; every field optional so that a missing one is reported by name.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptPayload {
    pub message_id: Option<String>,
    pub status: Option<String>,
    pub detail: Option<String>,
}

/// A receipt that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `None`: well formed, but not an id the portal ever gave a message (→ 404).
    pub message_id: Option<Uuid>,
    pub status: ReceiptStatus,
    pub detail: Option<String>,
}

impl ReceiptPayload {
    pub fn validate(&self) -> Result<Receipt, Vec<FieldError>> {
        let mut errors = Errors::default();
        let message_id = errors.required("message_id", &self.message_id).and_then(|raw| {
            if raw.chars().count() > MAX_MESSAGE_ID || !text::is_clean(raw, Lines::Single) {
                errors.push(
                    "message_id",
                    "Identificativo non valido: l'id del messaggio, oppure la parte del Message-ID prima di @",
                );
                return None;
            }
            Some(outbox_id(raw))
        });
        let status = errors.required("status", &self.status).and_then(|raw| {
            let status = ReceiptStatus::parse(raw);
            if status.is_none() {
                errors.push(
                    "status",
                    "Esito non valido: delivered, bounced oppure failed",
                );
            }
            status
        });
        let detail = self
            .detail
            .as_deref()
            .map(|d| text::cleaned(d, MAX_DETAIL))
            .filter(|d| !d.is_empty());
        match (message_id, status) {
            (Some(message_id), Some(status)) if errors.0.is_empty() => Ok(Receipt {
                message_id,
                status,
                detail,
            }),
            _ => Err(errors.0),
        }
    }
}

/// The outbox id in a `message_id`: the id itself, or the local part of a Message-ID.
fn outbox_id(raw: &str) -> Option<Uuid> {
    let raw = raw.trim().trim_start_matches('<').trim_end_matches('>');
    let local = raw.split('@').next().unwrap_or_default();
    Uuid::parse_str(local).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("invalid receipt")]
    Invalid(Vec<FieldError>),
    #[error("unknown message")]
    UnknownMessage,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ReceiptError {
    fn from(e: sqlx::Error) -> Self {
        ReceiptError::Internal(e.into())
    }
}

/// What the receipt did: the answer's body.
#[derive(Debug, Serialize)]
pub struct ReceiptOutcome {
    pub message_id: Uuid,
    /// The message's status as the pages now show it.
    pub status: &'static str,
    /// `false`: the same receipt had already been recorded.
    pub recorded: bool,
}

/// Records `receipt` on its message (see the module for the rules).
#[tracing::instrument(skip_all, fields(status = receipt.status.as_str()))]
pub async fn record(pool: &PgPool, receipt: &Receipt) -> Result<ReceiptOutcome, ReceiptError> {
    let Some(id) = receipt.message_id else {
        crate::metrics::delivery_receipt_unknown();
        return Err(ReceiptError::UnknownMessage);
    };
    let mut tx = pool.begin().await?;
    // The row lock orders the receipts of one message: the check for a repeat and the
    // "newest wins" both hold when the gateway calls twice at once.
    let Some(message) = outbox::lock_for_receipt(&mut tx, id).await? else {
        crate::metrics::delivery_receipt_unknown();
        return Err(ReceiptError::UnknownMessage);
    };
    let detail = receipt.detail.as_deref();
    let channel = message.channel.as_str();
    if delivery_receipts::already_recorded(&mut tx, id, receipt.status, detail).await? {
        tx.commit().await?;
        crate::metrics::delivery_receipt(channel, receipt.status.as_str(), "repeated");
        return Ok(ReceiptOutcome {
            message_id: id,
            status: Delivery::of(message.state, message.receipt_status).as_str(),
            recorded: false,
        });
    }
    let at =
        delivery_receipts::insert(&mut tx, id, message.company_id, receipt.status, detail).await?;
    outbox::set_receipt(&mut tx, id, receipt.status, detail, at).await?;
    tx.commit().await?;
    crate::metrics::delivery_receipt(channel, receipt.status.as_str(), "recorded");
    tracing::info!(%id, channel, "delivery receipt recorded");
    Ok(ReceiptOutcome {
        message_id: id,
        status: Delivery::of(message.state, Some(receipt.status)).as_str(),
        recorded: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(message_id: &str, status: &str, detail: Option<&str>) -> ReceiptPayload {
        ReceiptPayload {
            message_id: Some(message_id.to_owned()),
            status: Some(status.to_owned()),
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn the_id_is_read_bare_or_from_a_whole_message_id() {
        let id = Uuid::new_v4();
        for raw in [
            id.to_string(),
            format!("{id}@portale.test"),
            format!("<{id}@portale.test>"),
        ] {
            let receipt = payload(&raw, "delivered", None).validate().unwrap();
            assert_eq!(receipt.message_id, Some(id), "{raw}");
        }
        let unknown = payload("CTR-1", "delivered", None).validate().unwrap();
        assert_eq!(unknown.message_id, None, "well formed, names no message");
    }

    #[test]
    fn a_wrong_status_or_a_missing_field_is_named() {
        let fields = |p: ReceiptPayload| -> Vec<String> {
            p.validate()
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields(payload("x", "sent", None)), ["status"]);
        assert_eq!(fields(ReceiptPayload::default()), ["message_id", "status"]);
        assert_eq!(fields(payload("a\0b", "bounced", None)), ["message_id"]);
    }

    #[test]
    fn the_detail_is_cleaned_and_cut() {
        let long = "x".repeat(MAX_DETAIL + 50);
        let receipt = payload("x", "bounced", Some(&long)).validate().unwrap();
        assert_eq!(receipt.detail.unwrap().chars().count(), MAX_DETAIL);
        let receipt = payload("x", "bounced", Some("550\r\n5.1.1\u{1b}[31m"))
            .validate()
            .unwrap();
        assert_eq!(receipt.detail.as_deref(), Some("550 5.1.1 [31m"));
        let blank = payload("x", "bounced", Some(" \t ")).validate().unwrap();
        assert_eq!(blank.detail, None);
    }
}
