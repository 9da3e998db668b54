//! Servizio Clienti 191 operator accounts, managed from the CLI (CONTRACT.md §2):
//! `staff add`, `staff disable`, `staff reset-factors`. Each change is in `staff_events`.

use sqlx::PgPool;

use crate::auth::PasswordHasher;
use crate::db::factors::{self as factors_db, Owner};
use crate::db::{self, staff};
use crate::domain::{AuditAction, Password, Username};

/// Creates a staff account (`area-clienti staff add USERNAME`).
pub async fn add_staff(
    pool: &PgPool,
    hasher: &PasswordHasher,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("username: {e}"))?;
    let password = Password::parse(password, password, &[username.as_str()])
        .map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let hash = hasher.hash(&password).await?;
    let mut conn = pool.acquire().await?;
    match staff::insert(&mut conn, username.as_str(), &hash).await {
        Ok(_) => Ok(()),
        Err(e) if db::is_unique_violation(&e, staff::USERNAME_UNIQUE) => {
            anyhow::bail!("esiste già un operatore con username {}", username.as_str())
        }
        Err(e) => Err(e.into()),
    }
}

/// `staff disable USERNAME`: no more logins, and open sessions end at their next request
/// (the operator's session epoch moves on).
pub async fn disable_staff(pool: &PgPool, username: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let Some(id) = staff::disable(&mut tx, username).await? else {
        anyhow::bail!("nessun operatore attivo con username {username}");
    };
    staff::append_event(&mut tx, id, AuditAction::StaffDisabled, None).await?;
    tx.commit().await?;
    Ok(())
}

/// `staff reset-factors USERNAME`: every factor of the operator goes (`delete_all`: app,
/// passkeys, recovery codes) and their open sessions end (a factor no longer trusted
/// proved them); the next login enrols a new app before any console page opens.
pub async fn reset_staff_factors(pool: &PgPool, username: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let Some(id) = staff::id_of(&mut tx, username).await? else {
        anyhow::bail!("nessun operatore con username {username}");
    };
    factors_db::delete_all(&mut tx, Owner::Staff(id)).await?;
    staff::end_sessions(&mut tx, id).await?;
    staff::append_event(&mut tx, id, AuditAction::StaffFactorsReset, None).await?;
    tx.commit().await?;
    Ok(())
}
