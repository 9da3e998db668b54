//! Lost factors (CONTRACT.md §4b): the legal representative (for the company's users) or
//! support (with a reason) remove every factor of a user. The user's sessions end, older
//! links die, and an e-mail carries a link that continues like activation — a code by SMS,
//! or by e-mail without a mobile — and then logs the user in only to enrol a new factor.
//! Until that is done the password alone never enrols one (`auth::login`, `auth::factors`).

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{REENROLMENT_LINK_LIFETIME, fresh_link};
use crate::actor::Actor;
use crate::auth::{session, session_list};
use crate::config::Config;
use crate::db::credentials::{self as db, Purpose, TokenRow};
use crate::db::factors::{self as factors_db, Owner};
use crate::db::users::User;
use crate::db::{audit, factor_resets, sessions};
use crate::domain::{AuditAction, MessageKind};
use crate::notify::messages;

/// Where the e-mailed link opens (`/nuovo-fattore/{token}`).
pub const REENROLMENT_PREFIX: &str = "/nuovo-fattore";

/// Who reset the factors, as the e-mail and the audit say it.
#[derive(Debug, Clone, Copy)]
pub enum ResetBy<'a> {
    /// The company's legal representative, by full name.
    LegalRepresentative { name: &'a str },
    /// Servizio Clienti 191, with the reason the operator typed.
    Support { reason: &'a str },
}

impl ResetBy<'_> {
    fn in_words(self) -> String {
        match self {
            ResetBy::LegalRepresentative { name } if !name.is_empty() => {
                format!("Il Rappresentante Legale della tua azienda, {name},")
            }
            ResetBy::LegalRepresentative { .. } => {
                "Il Rappresentante Legale della tua azienda".to_owned()
            }
            ResetBy::Support { .. } => "Il Servizio Clienti 191".to_owned(),
        }
    }

    fn details(self, had_factors: bool, sessions_ended: u64) -> serde_json::Value {
        let (by, reason) = match self {
            ResetBy::LegalRepresentative { .. } => ("rappresentante_legale", None),
            ResetBy::Support { reason } => ("assistenza", Some(reason)),
        };
        let mut details =
            json!({ "da": by, "fattori_presenti": had_factors, "sessioni": sessions_ended });
        if let Some(reason) = reason {
            details["motivo"] = json!(reason);
        }
        details
    }
}

/// Removes every factor of `user`, ends their sessions (rows and epoch), kills their older
/// links and sends the e-mail with the re-enrolment link; audited. In the caller's
/// transaction, which has locked the user and checked the caller may do this.
pub async fn reset(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    by: ResetBy<'_>,
) -> sqlx::Result<()> {
    let had_factors = factors_db::delete_all(conn, Owner::User(user.id)).await?;
    // The session rows end first, while still of the epoch `end_all_but` matches (`mark`
    // moves it on); the rows on the system clock, as sessions live (`session::now`).
    let at = session::now();
    let ended = sessions::end_all_but(conn, user.id, None, session_list::live_at(at), at).await?;
    factor_resets::mark(conn, user.id, now).await?;
    let link = new_link(conn, config, now, user).await?;
    let to = Addressee::of(&mut *conn, user).await?;
    let email =
        messages::factors_reset_email(&to.recipient(), &user.username, &by.in_words(), &link);
    let expires_at = now + REENROLMENT_LINK_LIFETIME;
    super::recovery::queue_until(conn, user, MessageKind::FactorsReset, &email, expires_at).await?;
    let event = actor.event(
        user.company_id,
        Some(user.id),
        AuditAction::FactorsReset,
        by.details(had_factors, ended),
    );
    audit::append(conn, &event).await?;
    tracing::info!(user_id = %user.id, "factors reset");
    Ok(())
}

/// A fresh re-enrolment link; every older link of the user dies (a recovery link asked
/// before the reset included).
async fn new_link(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
) -> sqlx::Result<String> {
    let (purpose, lifetime) = (Purpose::Reenrolment, REENROLMENT_LINK_LIFETIME);
    fresh_link(
        conn,
        config,
        now,
        user,
        purpose,
        lifetime,
        REENROLMENT_PREFIX,
    )
    .await
}

/// The right code was typed on the re-enrolment link: the link is used up and the user has
/// proved themself as at activation, so the reset no longer holds them back. The caller
/// logs them in only to enrol (`auth::session::login_to_enrol`).
pub(super) async fn proved(
    conn: &mut PgConnection,
    token: &TokenRow,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    db::mark_token_used(conn, token.id, now).await?;
    factor_resets::clear(conn, token.user_id).await
}
