//! Sliding-window counters in PostgreSQL, shared by every instance of the portal.

use sqlx::PgConnection;

/// How many events a key may have per minute and per hour.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub per_minute: i64,
    pub per_hour: i64,
}

/// Serialises, until the end of the current transaction, everyone checking `key`.
pub async fn lock(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records an event on `key` if it is within `limit`; returns whether it was.
/// Serialised per key (advisory lock) so concurrent requests cannot both slip through.
pub async fn try_acquire(conn: &mut PgConnection, key: &str, limit: Limit) -> sqlx::Result<bool> {
    lock(conn, key).await?;
    let (last_minute, last_hour): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE created_at > now() - interval '1 minute'), count(*)
         FROM rate_limit_events WHERE key = $1 AND created_at > now() - interval '1 hour'",
    )
    .bind(key)
    .fetch_one(&mut *conn)
    .await?;
    if last_minute >= limit.per_minute || last_hour >= limit.per_hour {
        return Ok(false);
    }
    record(conn, key).await?;
    Ok(true)
}

/// How many events `key` had in the last `window_secs`, and how long ago the latest was.
pub async fn recent(
    conn: &mut PgConnection,
    key: &str,
    window_secs: i64,
) -> sqlx::Result<(i64, Option<f64>)> {
    sqlx::query_as(
        "SELECT count(*), extract(epoch FROM now() - max(created_at))::float8
         FROM rate_limit_events WHERE key = $1 AND created_at > now() - make_interval(secs => $2)",
    )
    .bind(key)
    .bind(window_secs as f64)
    .fetch_one(conn)
    .await
}

/// Records one event on `key` (and forgets events older than a day).
pub async fn record(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM rate_limit_events WHERE key = $1 AND created_at < now() - interval '1 day'",
    )
    .bind(key)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO rate_limit_events (key) VALUES ($1)")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the latest event of `key` (an attempt reserved that turned out not to count).
/// Concurrent forgets each take a different event (`SKIP LOCKED`): two that picked the same
/// one would delete one event between them, and the count would creep up with every pair
/// of logins from one address until it throttled them all.
pub async fn forget_latest(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM rate_limit_events WHERE ctid = (
             SELECT ctid FROM rate_limit_events WHERE key = $1 ORDER BY created_at DESC LIMIT 1
             FOR UPDATE SKIP LOCKED)",
    )
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets every event of `key` (e.g. failures, after a successful login).
pub async fn clear(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limit_events WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
