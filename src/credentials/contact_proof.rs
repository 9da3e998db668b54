//! The proofs of a new own contact ([`super::contact_change`]): the code sent by SMS to a new
//! number, typed on the contacts page (limited tries, 10 minutes), and the link sent to a
//! new address (single use, a day; the GET only shows a button, the POST confirms, since
//! mail scanners open links). Only then does the new contact replace the old one.

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::contact_change::{applied, cancelled_event};
use super::link::{DeadLink, LinkError};
use super::{CODE_MAX_ATTEMPTS, secret};
use crate::actor::Actor;
use crate::db::audit;
use crate::db::pending_contacts::{self as db, Closed, ContactKind, PendingChange};
use crate::db::users::{self, User};
use crate::domain::{AuditAction, EmailAddress, PhoneNumber, RegistrationState};

/// Why a typed code did not confirm the new mobile.
#[derive(Debug, thiserror::Error)]
pub enum MobileCodeError {
    #[error("no mobile change is waiting")]
    NothingPending,
    #[error("code expired")]
    Expired,
    /// The last try was wrong, or none was left: the change is over.
    #[error("too many wrong codes")]
    Exhausted,
    #[error("wrong code")]
    Wrong { remaining: i32 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for MobileCodeError {
    fn from(e: sqlx::Error) -> Self {
        MobileCodeError::Internal(e.into())
    }
}

/// Checks the code typed for the new mobile; the right one makes it the user's mobile.
pub async fn confirm_mobile(
    pool: &PgPool,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    typed: &str,
) -> Result<(), MobileCodeError> {
    let mut tx = pool.begin().await?;
    let change = db::lock_open(&mut tx, user.id, ContactKind::Mobile).await?;
    let Some(change) = change else {
        return Err(MobileCodeError::NothingPending);
    };
    if change.failed_attempts >= CODE_MAX_ATTEMPTS {
        return Err(MobileCodeError::Exhausted);
    }
    if change.expires_at <= now {
        return Err(MobileCodeError::Expired);
    }
    let result = if secret::code_matches(change.id, typed, &change.secret_sha256) {
        let mobile = PhoneNumber::parse(&change.value)
            .map_err(|_| anyhow::anyhow!("a stored pending mobile does not parse"))?;
        let user = users::find_for_update(&mut tx, user.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("user vanished"))?;
        users::update_contacts(&mut tx, user.id, &user.email, Some(&mobile)).await?;
        db::close(&mut tx, change.id, Closed::Confirmed, now).await?;
        let (prima, dopo) = (
            json!({ "mobile": user.mobile }),
            json!({ "mobile": mobile }),
        );
        applied(&mut tx, &user, actor, prima, dopo).await?;
        Ok(())
    } else {
        wrong_code(&mut tx, now, user, actor, &change).await
    };
    tx.commit().await?;
    result
}

/// Counts a wrong code; the last allowed one ends the change.
async fn wrong_code(
    conn: &mut sqlx::PgConnection,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    change: &PendingChange,
) -> Result<(), MobileCodeError> {
    let failed = db::record_failed_attempt(conn, change.id).await?;
    let action = AuditAction::ContactChangeCodeWrong;
    let details = json!({ "contatto": ContactKind::Mobile.as_str() });
    audit::append(
        conn,
        &actor.event(user.company_id, Some(user.id), action, details),
    )
    .await?;
    let remaining = CODE_MAX_ATTEMPTS - failed;
    if remaining > 0 {
        return Err(MobileCodeError::Wrong { remaining });
    }
    db::close(conn, change.id, Closed::Exhausted, now).await?;
    cancelled_event(conn, user, actor, ContactKind::Mobile, "tentativi_esauriti").await?;
    Err(MobileCodeError::Exhausted)
}

/// What the confirmation page of a new address shows.
#[derive(Debug, Clone)]
pub struct EmailLink {
    pub username: String,
    pub new_email: String,
}

/// Reads the link to a new address. Changes nothing: mail scanners open links.
pub async fn open_email_link(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
) -> Result<EmailLink, LinkError> {
    let mut conn = pool.acquire().await?;
    let change = live_email_change(&mut conn, now, raw, false).await?;
    let user = live_user(&mut conn, &change).await?;
    Ok(EmailLink {
        username: user.username,
        new_email: change.value,
    })
}

/// "Conferma": the new address becomes the user's, the old one is told.
pub async fn confirm_email(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
    actor: &Actor,
) -> Result<EmailLink, LinkError> {
    let mut tx = pool.begin().await?;
    let change = live_email_change(&mut tx, now, raw, true).await?;
    let user = live_user(&mut tx, &change).await?;
    let email = EmailAddress::parse(&change.value)
        .map_err(|_| anyhow::anyhow!("a stored pending e-mail does not parse"))?;
    users::update_contacts(&mut tx, user.id, &email, user.mobile.as_ref()).await?;
    db::close(&mut tx, change.id, Closed::Confirmed, now).await?;
    let (prima, dopo) = (json!({ "email": user.email }), json!({ "email": email }));
    applied(&mut tx, &user, actor, prima, dopo).await?;
    tx.commit().await?;
    Ok(EmailLink {
        username: user.username,
        new_email: change.value,
    })
}

/// The open e-mail change behind `raw`; `lock` takes it FOR UPDATE.
async fn live_email_change(
    conn: &mut sqlx::PgConnection,
    now: OffsetDateTime,
    raw: &str,
    lock: bool,
) -> Result<PendingChange, LinkError> {
    if !secret::looks_like_link_token(raw) {
        return Err(LinkError::Dead(DeadLink::Unknown));
    }
    let change = db::by_secret(conn, &secret::hash_link_token(raw), lock)
        .await?
        .filter(|c| c.kind() == ContactKind::Email)
        .ok_or(LinkError::Dead(DeadLink::Unknown))?;
    match change.closed_at {
        Some(_) if change.confirmed() => Err(LinkError::Dead(DeadLink::Used)),
        Some(_) => Err(LinkError::Dead(DeadLink::Superseded)),
        None if change.expires_at <= now => Err(LinkError::Dead(DeadLink::Expired)),
        None => Ok(change),
    }
}

/// The change's user, locked, unless no longer active (a disabled account's links are dead).
async fn live_user(
    conn: &mut sqlx::PgConnection,
    change: &PendingChange,
) -> Result<User, LinkError> {
    match users::find_for_update(conn, change.user_id).await? {
        Some(user) if user.state == RegistrationState::Active => Ok(user),
        _ => Err(LinkError::Dead(DeadLink::Superseded)),
    }
}
