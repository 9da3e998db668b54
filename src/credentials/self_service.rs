//! A logged-in user changes their own contact data or password. Both need the current
//! password again (re-authentication), both tell the owner by email, both are audited.

use serde_json::json;
use sqlx::PgPool;

use super::recovery::queue;
use crate::actor::Actor;
use crate::auth::PasswordHasher;
use crate::auth::login::{self, LoginError, LoginOutcome};
use crate::db::audit;
use crate::db::users::{self, User};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{EmailAddress, Password, PhoneNumber};
use crate::notify::messages;

#[derive(Debug, thiserror::Error)]
pub enum SelfServiceError {
    /// The current password typed for re-authentication is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// Too many wrong current passwords: try again in `wait_secs` seconds.
    #[error("re-authentication throttled")]
    Throttled { wait_secs: u64 },
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
async fn reauthenticate(
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

/// New email and mobile; the old address is told, in case it was not the owner.
pub async fn change_contacts(
    pool: &PgPool,
    hasher: &PasswordHasher,
    user: &User,
    actor: &Actor,
    current_password: &str,
    email: &EmailAddress,
    mobile: Option<&PhoneNumber>,
) -> Result<(), SelfServiceError> {
    reauthenticate(pool, hasher, user, actor, current_password).await?;
    let mut tx = pool.begin().await?;
    users::update_contacts(&mut tx, user.id, email, mobile).await?;
    let notice = messages::contacts_changed_email(&user.first_name, &user.username);
    queue(&mut tx, user, MessageKind::ContactsChanged, &notice).await?;
    let details = json!({
        "prima": { "email": user.email, "mobile": user.mobile },
        "dopo": { "email": email, "mobile": mobile },
    });
    audit::append(
        &mut tx,
        &actor.event(
            user.company_id,
            Some(user.id),
            AuditAction::ContactsChanged,
            details,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
    let notice = messages::password_changed_email(&user.first_name, &user.username);
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
