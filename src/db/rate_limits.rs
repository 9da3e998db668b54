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

/// Each key's events in its own window (seconds) and how long ago the latest was, in
/// the order given, after locking the first key until the end of the current transaction
/// (the others, client addresses shared behind a NAT, are counted unlocked): one round
/// trip (`rate_limit_lock_and_count`, migration `20261205000090`).
pub async fn lock_and_count(
    conn: &mut PgConnection,
    windows: &[(&str, i64)],
) -> sqlx::Result<Vec<(i64, Option<f64>)>> {
    counted(
        conn,
        "SELECT * FROM rate_limit_lock_and_count($1, $2)",
        windows,
    )
    .await
}

/// As [`lock_and_count`], then one event recorded on the first key (the locked one), in one
/// statement of its own transaction (`rate_limit_reserve`, migration `20261207000010`): the
/// counts are those before the event.
pub async fn reserve_first(
    conn: &mut PgConnection,
    windows: &[(&str, i64)],
) -> sqlx::Result<Vec<(i64, Option<f64>)>> {
    counted(conn, "SELECT * FROM rate_limit_reserve($1, $2)", windows).await
}

async fn counted(
    conn: &mut PgConnection,
    sql: &'static str,
    windows: &[(&str, i64)],
) -> sqlx::Result<Vec<(i64, Option<f64>)>> {
    let (keys, secs): (Vec<&str>, Vec<f64>) = windows.iter().map(|(k, s)| (*k, *s as f64)).unzip();
    sqlx::query_as(sql)
        .bind(keys)
        .bind(secs)
        .fetch_all(conn)
        .await
}

/// Records one event on `key` (and forgets events older than a day).
pub async fn record(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    record_each(conn, &[key]).await
}

/// Records one event on each of `keys` in one round trip (and forgets their events older
/// than a day).
pub async fn record_each(conn: &mut PgConnection, keys: &[&str]) -> sqlx::Result<()> {
    sqlx::query(
        "WITH pruned AS (DELETE FROM rate_limit_events
                         WHERE key = ANY($1) AND created_at < now() - interval '1 day')
         INSERT INTO rate_limit_events (key) SELECT unnest($1::text[])",
    )
    .bind(keys)
    .execute(conn)
    .await
    .map(drop)
}

/// Forgets every event of the keys in `all_of`, and the latest event of each key in
/// `latest_of` (an attempt reserved that turned out not to count), in one round trip.
/// Concurrent forgets each take a different event (`SKIP LOCKED`): two that picked the same
/// one would delete one event between them, and the count would creep up with every pair
/// of logins from one address until it throttled them all.
pub async fn forget(
    conn: &mut PgConnection,
    all_of: &[&str],
    latest_of: &[&str],
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH cleared AS (DELETE FROM rate_limit_events WHERE key = ANY($1)),
              latest AS (DELETE FROM rate_limit_events WHERE ctid = ANY (ARRAY(
                  SELECT (SELECT e.ctid FROM rate_limit_events e WHERE e.key = k
                          ORDER BY e.created_at DESC LIMIT 1 FOR UPDATE SKIP LOCKED)
                  FROM unnest($2::text[]) AS k)))
         SELECT 1",
    )
    .bind(all_of)
    .bind(latest_of)
    .execute(conn)
    .await
    .map(drop)
}

/// Forgets every event of `key` (e.g. failures, after a successful login).
pub async fn clear(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limit_events WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
