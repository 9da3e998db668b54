//! «Azzera i fattori di accesso»: the legal representative resets the factors of a user of
//! the company who lost them (CONTRACT.md §4b). Whether they may is the permission source's
//! answer (`Actions::reset_factors`); the reset itself is `credentials::factor_reset`.

use sqlx::PgPool;
use uuid::Uuid;

use super::common::{require, target};
use super::{ManageError, Manager};
use crate::config::Config;
use crate::credentials::factor_reset::{self, ResetBy};

/// Removes the user's factors, ends their sessions and e-mails them the link to enrol new
/// ones; audited with the legal representative as actor.
pub async fn reset_factors(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let (user, allowed) = target(&mut tx, m, user_id).await?;
    require(allowed.reset_factors)?;
    let name = m.user.full_name();
    let by = ResetBy::LegalRepresentative { name: &name };
    factor_reset::reset(&mut tx, config, m.now, &user, &m.actor, by).await?;
    tx.commit().await?;
    Ok(())
}
