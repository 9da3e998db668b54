//! The `users.factors_reset_at` flag: the user's factors were reset and they have not yet
//! proved themself again with link + code (`credentials::factor_reset`).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Marks the reset and ends every session of the user (a bumped epoch).
pub async fn mark(conn: &mut PgConnection, user_id: Uuid, at: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET factors_reset_at = $2, session_epoch = session_epoch + 1 WHERE id = $1",
    )
    .bind(user_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user proved themself again (link + code): the flag goes.
pub async fn clear(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET factors_reset_at = NULL WHERE id = $1 AND factors_reset_at IS NOT NULL",
    )
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the user's factors were reset and link + code are still to be done.
pub async fn pending(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT factors_reset_at IS NOT NULL FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
        .map(|found| found.unwrap_or(false))
}
