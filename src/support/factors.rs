//! Servizio Clienti 191 resets a customer's factors on a call (CONTRACT.md §4b), with the
//! reason the operator typed: the only way for a legal representative, and for any user
//! whose legal representative cannot do it. Audited with the operator's username.

use sqlx::PgPool;
use uuid::Uuid;

use crate::actor::Actor;
use crate::clock::Clock;
use crate::config::Config;
use crate::credentials::factor_reset::{self, ResetBy};
use crate::db::staff::StaffUser;
use crate::db::users;
use crate::domain::RegistrationState;

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("not found")]
    NotFound,
    /// Only an active account has factors.
    #[error("account not active")]
    NotActive,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ResetError {
    fn from(e: sqlx::Error) -> Self {
        ResetError::Internal(e.into())
    }
}

/// Removes the user's factors, ends their sessions and e-mails them the link to enrol new
/// ones; `reason` is already checked (clean, 1 to 500 characters). Returns the company.
pub async fn reset_factors(
    pool: &PgPool,
    config: &Config,
    clock: &Clock,
    staff: &StaffUser,
    client: Option<String>,
    user_id: Uuid,
    reason: &str,
) -> Result<Uuid, ResetError> {
    let mut tx = pool.begin().await?;
    let user = users::find_for_update(&mut tx, user_id)
        .await?
        .ok_or(ResetError::NotFound)?;
    if user.state != RegistrationState::Active {
        return Err(ResetError::NotActive);
    }
    let actor = Actor::staff(staff.id, &staff.username, client);
    let by = ResetBy::Support { reason };
    factor_reset::reset(&mut tx, config, clock.now(), &user, &actor, by).await?;
    tx.commit().await?;
    Ok(user.company_id)
}
