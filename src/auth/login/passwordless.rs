//! A login with a passkey alone ("Accedi con una passkey", no username typed). A passkey
//! requires user verification, so it is two factors in one and no second step follows.

use sqlx::PgPool;
use uuid::Uuid;

use super::LoginError;
use crate::actor::Actor;
use crate::auth::factors::FactorUsed;
use crate::db::audit;
use crate::db::users::{self, User};
use crate::domain::{AuditAction, RegistrationState};

/// The passkey of `user_id` answered the ceremony (checked by the caller): the user is
/// logged in if the account is active, audited with the factor.
pub async fn with_passkey(
    pool: &PgPool,
    user_id: Uuid,
    client: Option<&str>,
) -> Result<Option<User>, LoginError> {
    let mut tx = pool.begin().await?;
    let user = users::find(&mut tx, user_id).await?;
    let Some(user) = user.filter(|u| u.state == RegistrationState::Active) else {
        tracing::info!(%user_id, "passkey login refused: account not active");
        return Ok(None);
    };
    let actor = Actor::visitor(client.map(str::to_owned));
    let details = serde_json::json!({ "fattore": FactorUsed::Passkey.as_str() });
    let event = actor.event(user.company_id, Some(user.id), AuditAction::Login, details);
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, factor = "passkey", "login");
    Ok(Some(user))
}
