//! `portal_secrets`: keys shared by every instance, made by the first one to ask.

use sqlx::PgPool;

/// The key called `name`: the stored one, or `candidate` when none was stored yet (two
/// instances starting at once agree on the first one written).
pub async fn get_or_create(pool: &PgPool, name: &str, candidate: &[u8]) -> sqlx::Result<Vec<u8>> {
    sqlx::query(
        "INSERT INTO portal_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .execute(pool)
    .await?;
    // A statement of its own: its snapshot sees a key another instance wrote meanwhile.
    sqlx::query_scalar("SELECT secret FROM portal_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
}
