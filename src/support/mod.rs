//! Servizio Clienti 191: staff accounts, search, resending credentials on a call, and a fresh
//! copy of a message that failed or expired (`requeue`).
//! Staff never see passwords, tokens or codes; every action is audited with their name.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::actor::Actor;
use crate::clock::Clock;
use crate::config::Config;
use crate::credentials::recovery;
use crate::db::staff::StaffUser;
use crate::db::support::SearchTerms;
use crate::db::{audit, users};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{PhoneNumber, VatNumber};
use crate::notify::messages;

mod factors;
mod requeue;
mod staff_accounts;
pub use factors::{ResetError, reset_factors};
pub use requeue::{not_requeueable_because, requeue_message};
pub use staff_accounts::{add_staff, disable_staff, reset_staff_factors};

/// Reads what a search query may be: text, a Partita IVA, a mobile number.
pub fn search_terms(query: &str) -> SearchTerms {
    let query = query.trim();
    let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    let vat_digits = compact
        .strip_prefix("IT")
        .or_else(|| compact.strip_prefix("it"))
        .unwrap_or(&compact);
    let vat_prefix = (vat_digits.len() >= 3
        && vat_digits.len() <= 11
        && vat_digits.bytes().all(|b| b.is_ascii_digit()))
    .then(|| {
        VatNumber::parse(vat_digits)
            .map_or_else(|_| vat_digits.to_owned(), |v| v.as_str().to_owned())
    });
    let phone_prefix = match PhoneNumber::parse(query) {
        Ok(phone) => Some(phone.as_str().to_owned()),
        Err(_)
            if compact.starts_with('+')
                && compact.len() >= 4
                && compact[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(compact.clone())
        }
        Err(_) => None,
    };
    let prefix = query.to_lowercase();
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    SearchTerms {
        text: escaped,
        prefix,
        vat_prefix,
        phone_prefix,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("not found")]
    NotFound,
    /// The account is in a state with nothing to resend; the message says why.
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ResendError {
    fn from(e: sqlx::Error) -> Self {
        ResendError::Internal(e.into())
    }
}

/// Sends the credentials again to the address on file (the username email, or a reminder
/// with a recovery link once active) and tells the user support acted; returns the company.
pub async fn resend(
    pool: &PgPool,
    config: &Config,
    clock: &Clock,
    staff: &StaffUser,
    client: Option<String>,
    user_id: Uuid,
    reason: &str,
) -> Result<Uuid, ResendError> {
    let mut tx = pool.begin().await?;
    let user = users::find_for_update(&mut tx, user_id)
        .await?
        .ok_or(ResendError::NotFound)?;
    let actor = Actor::staff(staff.id, &staff.username, client);
    if !recovery::remind(&mut tx, config, clock.now(), &user, &actor).await? {
        return Err(ResendError::Refused(
            "Nessun invio: l'utente non è ancora stato registrato dal Rappresentante Legale oppure è disabilitato.",
        ));
    }
    let to = Addressee::of(&mut tx, &user).await?;
    let notice = messages::support_notice_email(&to.recipient(), &user.username);
    recovery::queue(&mut tx, &user, MessageKind::SupportNotice, &notice).await?;
    let details = json!({ "motivo": reason, "email": user.email });
    audit::append(
        &mut tx,
        &actor.event(
            user.company_id,
            Some(user.id),
            AuditAction::SupportResentCredentials,
            details,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(user.company_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_read_as_vat_phone_or_text() {
        let vat = search_terms("IT 0123 4567 897");
        assert_eq!(vat.vat_prefix.as_deref(), Some("01234567897"));
        let phone = search_terms("333 123 4567");
        assert_eq!(phone.phone_prefix.as_deref(), Some("+393331234567"));
        let text = search_terms("Rossi_100%");
        assert_eq!(text.text, "rossi\\_100\\%");
        assert!(text.vat_prefix.is_none() && text.phone_prefix.is_none());
        assert_eq!(
            search_terms("+39340").phone_prefix.as_deref(),
            Some("+39340")
        );
    }
}
