//! A logged-in user changes their own password, or asks to change their contacts (proven
//! first: [`super::contact_change`]). Both need the current password again
//! (re-authentication), both tell the owner by email, both are audited.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::PgPool;

use super::recovery::queue;
use crate::actor::Actor;
use crate::auth::PasswordHasher;
use crate::auth::login::{self, LoginError, LoginOutcome};
use crate::db::users::{self, User};
use crate::db::{audit, credentials};
use crate::domain::Password;
use crate::domain::{AuditAction, MessageKind};
use crate::notify::messages;

#[derive(Debug, thiserror::Error)]
pub enum SelfServiceError {
    /// The current password typed for re-authentication is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// Too many wrong current passwords: try again in `wait_secs` seconds.
    #[error("re-authentication throttled")]
    Throttled { wait_secs: u64 },
    /// Too many contact changes asked in a short time (each sends an SMS or an e-mail).
    #[error("too many contact change requests")]
    TooManyRequests,
    #[error(transparent)]
    Hashing(#[from] crate::auth::HashError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<LoginError> for SelfServiceError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Hashing(e) => SelfServiceError::Hashing(e),
            LoginError::Internal(e) => SelfServiceError::Internal(e),
        }
    }
}

impl From<sqlx::Error> for SelfServiceError {
    fn from(e: sqlx::Error) -> Self {
        SelfServiceError::Internal(e.into())
    }
}

/// The current password again, throttled and audited like a login (`auth::login`).
pub(super) async fn reauthenticate(
    pool: &PgPool,
    hasher: &PasswordHasher,
    user: &User,
    actor: &Actor,
    current: &str,
) -> Result<(), SelfServiceError> {
    let client = actor.client_addr.as_deref();
    match login::reauthenticate(pool, hasher, user, current, client).await? {
        LoginOutcome::LoggedIn(()) => Ok(()),
        LoginOutcome::Refused => Err(SelfServiceError::WrongPassword),
        LoginOutcome::Throttled { wait_secs } => Err(SelfServiceError::Throttled { wait_secs }),
    }
}

/// New password: every session of the user ends (the caller logs this one in again).
/// Returns the user as now stored.
pub async fn change_password(
    pool: &PgPool,
    hasher: &PasswordHasher,
    user: &User,
    actor: &Actor,
    current_password: &str,
    password: &Password,
) -> Result<User, SelfServiceError> {
    reauthenticate(pool, hasher, user, actor, current_password).await?;
    let hash = hasher.hash(password).await?;
    let mut tx = pool.begin().await?;
    users::activate_with_password(&mut tx, user.id, &hash).await?;
    // Links e-mailed before (a recovery link) must not outlive the password they would reset.
    credentials::supersede_tokens(&mut tx, user.id).await?;
    let to = Addressee::of(&mut tx, user).await?;
    let notice = messages::password_changed_email(&to.recipient(), &user.username);
    queue(&mut tx, user, MessageKind::PasswordChanged, &notice).await?;
    audit::append(
        &mut tx,
        &actor.event(
            user.company_id,
            Some(user.id),
            AuditAction::PasswordChanged,
            json!({}),
        ),
    )
    .await?;
    let user = users::find(&mut tx, user.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user vanished"))?;
    tx.commit().await?;
    Ok(user)
}
