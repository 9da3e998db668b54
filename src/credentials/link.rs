//! The journey behind an emailed link: open it (read-only) and, once a code was verified
//! (see [`super::code`]), choose the password. Shared by activation and recovery
//! (`Purpose`). Also owns the lookups of a live link and its user that every step uses.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use super::code::code_usable;
use super::{PASSWORD_STEP_LIFETIME, secret};
use crate::actor::Actor;
use crate::auth::PasswordHasher;
use crate::db::audit;
use crate::db::credentials::{self as db, Purpose, TokenRow};
use crate::db::users::{self, User};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{Password, PhoneNumber, RegistrationState};
use crate::notify::messages;

/// Why an emailed link can no longer be used; each has its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLink {
    Unknown,
    Expired,
    Used,
    Superseded,
}

/// Where the journey of a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No usable code yet: offer "Invia il codice di verifica".
    NeedCode,
    /// A code was sent and can still be typed.
    CodePending,
    /// The right code was typed: choose the password.
    ChoosePassword,
}

/// What the page of a live link shows.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub user: User,
    pub step: Step,
    /// "+39 333 ••• 4567", or None when the code goes by email.
    pub masked_mobile: Option<String>,
}

/// A failure of any step of the journey.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("dead link: {0:?}")]
    Dead(DeadLink),
    #[error(transparent)]
    Hashing(#[from] crate::auth::HashError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LinkError {
    fn from(e: sqlx::Error) -> Self {
        LinkError::Internal(e.into())
    }
}

/// Reads the state of a link. Changes nothing: mail scanners open links before people do.
/// `now` is the portal's clock (`crate::clock`), as in every function here.
pub async fn open(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
) -> Result<LinkView, LinkError> {
    let mut conn = pool.acquire().await?;
    let token = live_token(&mut conn, now, raw, purpose, false).await?;
    let user = live_user(&mut conn, &token).await?;
    let step = if password_step_open(&token, now) {
        Step::ChoosePassword
    } else {
        match db::current_code(&mut conn, token.id).await? {
            Some(code) if code_usable(&code, now) => Step::CodePending,
            _ => Step::NeedCode,
        }
    };
    Ok(LinkView {
        masked_mobile: user.mobile.as_ref().map(PhoneNumber::masked),
        user,
        step,
    })
}
/// Sets the password after a verified code: account active, link consumed, every older
/// session ended. Returns the user as now stored, ready to be logged in.
pub async fn set_password(
    pool: &PgPool,
    now: OffsetDateTime,
    hasher: &PasswordHasher,
    raw: &str,
    purpose: Purpose,
    password: &Password,
    actor: &Actor,
) -> Result<User, LinkError> {
    // Hash before locking anything: Argon2 takes tens of milliseconds.
    let hash = hasher.hash(password).await?;
    let mut tx = pool.begin().await?;
    let token = live_token(&mut tx, now, raw, purpose, true).await?;
    let user = live_user(&mut tx, &token).await?;
    if !password_step_open(&token, now) {
        return Err(LinkError::Dead(DeadLink::Expired));
    }
    users::activate_with_password(&mut tx, user.id, &hash).await?;
    db::mark_token_used(&mut tx, token.id, now).await?;
    // A new password kills every other open link of the user (an older recovery link).
    db::supersede_other_tokens(&mut tx, user.id, token.id).await?;
    // Link + code prove the person as at activation: a reset of the factors is answered.
    crate::db::factor_resets::clear(&mut tx, user.id).await?;
    // Whoever chose a new password through a verified link may log in at once.
    crate::auth::throttle::clear_account(&mut tx, &user.username).await?;
    let action = match purpose {
        Purpose::Activation => AuditAction::AccountActivated,
        Purpose::Recovery => AuditAction::PasswordReset,
        // Its code uses the link up (`factor_reset::proved`): no password step follows.
        Purpose::Reenrolment => return Err(LinkError::Dead(DeadLink::Used)),
    };
    if purpose == Purpose::Recovery {
        // Tell the owner, in case it was not them.
        let to = Addressee::of(&mut tx, &user).await?;
        let email = messages::password_changed_email(&to.recipient(), &user.username);
        super::recovery::queue(&mut tx, &user, MessageKind::PasswordChanged, &email).await?;
    }
    audit::append(
        &mut tx,
        &actor.event(user.company_id, Some(user.id), action, json!({})),
    )
    .await?;
    let user = users::find(&mut tx, user.id)
        .await?
        .ok_or(LinkError::Dead(DeadLink::Unknown))?;
    tx.commit().await?;
    Ok(user)
}

/// The link behind `raw`, if still usable for `purpose`; `lock` takes it FOR UPDATE.
pub(super) async fn live_token(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
    lock: bool,
) -> Result<TokenRow, LinkError> {
    if !secret::looks_like_link_token(raw) {
        return Err(LinkError::Dead(DeadLink::Unknown));
    }
    let hash = secret::hash_link_token(raw);
    let token = if lock {
        db::find_token_for_update(conn, &hash).await?
    } else {
        db::find_token(conn, &hash).await?
    };
    let token = token
        .filter(|t| t.purpose == purpose)
        .ok_or(LinkError::Dead(DeadLink::Unknown))?;
    if token.used_at.is_some() {
        Err(LinkError::Dead(DeadLink::Used))
    } else if token.superseded_at.is_some() {
        Err(LinkError::Dead(DeadLink::Superseded))
    } else if token.expires_at <= now {
        Err(LinkError::Dead(DeadLink::Expired))
    } else {
        Ok(token)
    }
}

/// The link's user, unless disabled (a disabled account's links are dead).
pub(super) async fn live_user(
    conn: &mut PgConnection,
    token: &TokenRow,
) -> Result<User, LinkError> {
    match users::find(conn, token.user_id).await? {
        Some(user) if user.state != RegistrationState::Disabled => Ok(user),
        _ => Err(LinkError::Dead(DeadLink::Superseded)),
    }
}

fn password_step_open(token: &TokenRow, now: OffsetDateTime) -> bool {
    token
        .code_verified_at
        .is_some_and(|at| now - at < PASSWORD_STEP_LIFETIME)
}
