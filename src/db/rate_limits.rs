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

/// How many events each key had in its own window (seconds), and how long ago the latest
/// was: several keys in one round trip, in the order given.
pub async fn recent_each(
    conn: &mut PgConnection,
    windows: &[(&str, i64)],
) -> sqlx::Result<Vec<(i64, Option<f64>)>> {
    let (keys, secs): (Vec<&str>, Vec<f64>) = windows.iter().map(|(k, s)| (*k, *s as f64)).unzip();
    sqlx::query_as(
        "SELECT count(e.key), extract(epoch FROM now() - max(e.created_at))::float8
         FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS w(key, secs, n)
         LEFT JOIN rate_limit_events e
                ON e.key = w.key AND e.created_at > now() - make_interval(secs => w.secs)
         GROUP BY w.n ORDER BY w.n",
    )
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

/// Serialises, until the end of the current transaction, everyone checking any of `keys`;
/// the locks are taken in the order given, so callers keep one order.
pub async fn lock_each(conn: &mut PgConnection, keys: &[&str]) -> sqlx::Result<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
         FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n",
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
