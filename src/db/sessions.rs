//! Queries on `user_sessions` (a customer's logins, as Sicurezza lists them) and
//! `known_browsers` (the browsers they came from).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::users::{self, User};

#[derive(sqlx::FromRow)]
struct WithSession {
    #[sqlx(flatten)]
    user: User,
    session_open: bool,
}

/// The per-request reload of a logged-in user, in one query: the user, and whether their
/// session `session_id` (`user_sessions`) is still open (not ended).
pub async fn user_with_session(
    conn: &mut PgConnection,
    id: Uuid,
    session_id: Uuid,
) -> sqlx::Result<Option<(User, bool)>> {
    let found: Option<WithSession> = sqlx::query_as(&format!(
        "SELECT {}, EXISTS (SELECT 1 FROM user_sessions s
                 WHERE s.id = $2 AND s.user_id = users.id AND s.ended_at IS NULL) AS session_open
         FROM users WHERE id = $1",
        users::COLUMNS
    ))
    .bind(id)
    .bind(session_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|f| (f.user, f.session_open)))
}

/// A session that may still be in use: not ended, of the user's current epoch, seen after
/// `seen_after` (idle lifetime) and opened after `opened_after` (absolute lifetime).
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub seen_after: OffsetDateTime,
    pub opened_after: OffsetDateTime,
}

/// The condition of [`Live`] on `s` ($2 and $3 are its two bounds).
const LIVE: &str = "s.ended_at IS NULL AND s.last_seen_at > $2 AND s.created_at > $3
    AND s.epoch = (SELECT session_epoch FROM users u WHERE u.id = s.user_id)";

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub epoch: i32,
    pub user_agent: &'a str,
    pub client_addr: Option<&'a str>,
    pub at: OffsetDateTime,
}

/// Records a new session and forgets the user's sessions opened before `forget_before`
/// (past the absolute lifetime: they can never be used again), in one round trip.
pub async fn insert(
    conn: &mut PgConnection,
    s: &NewSession<'_>,
    forget_before: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH forgotten AS (DELETE FROM user_sessions WHERE user_id = $2 AND created_at < $7)
         INSERT INTO user_sessions (id, user_id, epoch, user_agent, client_addr, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(s.id)
    .bind(s.user_id)
    .bind(s.epoch)
    .bind(s.user_agent)
    .bind(s.client_addr)
    .bind(s.at)
    .bind(forget_before)
    .execute(conn)
    .await
    .map(drop)
}

/// The keep-alive: the session was used at `at`.
pub async fn touch(conn: &mut PgConnection, id: Uuid, at: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE user_sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL")
        .bind(id)
        .bind(at)
        .execute(conn)
        .await
        .map(drop)
}

/// After the user's own password change, their session goes on in the new epoch.
pub async fn move_to_epoch(conn: &mut PgConnection, id: Uuid, epoch: i32) -> sqlx::Result<()> {
    sqlx::query("UPDATE user_sessions SET epoch = $2 WHERE id = $1")
        .bind(id)
        .bind(epoch)
        .execute(conn)
        .await
        .map(drop)
}

/// Ends one session of `user_id`; `false` when the user has no such open session.
pub async fn end(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    at: OffsetDateTime,
) -> sqlx::Result<bool> {
    let ended = sqlx::query(
        "UPDATE user_sessions SET ended_at = $3 WHERE id = $1 AND user_id = $2 AND ended_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(ended.rows_affected() == 1)
}

/// Whether `id` is a session of `user_id` at all (ended or not).
pub async fn belongs_to(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM user_sessions WHERE id = $1 AND user_id = $2)")
        .bind(id)
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Ends every live session of `user_id` but `keep`; returns how many ended.
pub async fn end_all_but(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    live: Live,
    at: OffsetDateTime,
) -> sqlx::Result<u64> {
    let ended = sqlx::query(&format!(
        "UPDATE user_sessions s SET ended_at = $4
         WHERE s.user_id = $1 AND {LIVE} AND s.id IS DISTINCT FROM $5"
    ))
    .bind(user_id)
    .bind(live.seen_after)
    .bind(live.opened_after)
    .bind(at)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(ended.rows_affected())
}

/// One row of the sessions list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_agent: String,
    pub client_addr: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// The user's live sessions, most recently used first (at most 50: a list, not a log).
pub async fn live_of(
    conn: &mut PgConnection,
    user_id: Uuid,
    live: Live,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT s.id, s.user_agent, s.client_addr, s.created_at, s.last_seen_at
         FROM user_sessions s WHERE s.user_id = $1 AND {LIVE}
         ORDER BY s.last_seen_at DESC, s.created_at DESC LIMIT 50"
    ))
    .bind(user_id)
    .bind(live.seen_after)
    .bind(live.opened_after)
    .fetch_all(conn)
    .await
}

/// What a login's browser was to the user before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserSeen {
    /// The account's first browser ever (its activation, or its first login).
    First,
    Known,
    /// Not seen before, while others were.
    New,
}

/// Most browsers remembered per user (the least recently used are forgotten first).
const BROWSERS_KEPT: i64 = 50;

/// Records that the user logged in from the browser whose hash is `browser_sha256`, and
/// says whether it was new. Both facts come from one snapshot, so the answer is exact.
pub async fn remember_browser(
    conn: &mut PgConnection,
    user_id: Uuid,
    browser_sha256: &[u8],
    at: OffsetDateTime,
) -> sqlx::Result<BrowserSeen> {
    let (any_before, inserted): (bool, bool) = sqlx::query_as(
        "WITH prior AS (SELECT EXISTS (SELECT 1 FROM known_browsers WHERE user_id = $1) AS existed),
              seen AS (INSERT INTO known_browsers (user_id, browser_sha256, first_seen_at, last_seen_at)
                       VALUES ($1, $2, $3, $3)
                       ON CONFLICT (user_id, browser_sha256) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
                       RETURNING (xmax = 0) AS inserted)
         SELECT (SELECT existed FROM prior), (SELECT inserted FROM seen)",
    )
    .bind(user_id)
    .bind(browser_sha256)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    if !inserted {
        return Ok(BrowserSeen::Known);
    }
    if !any_before {
        // The account's only browser: nothing to forget.
        return Ok(BrowserSeen::First);
    }
    sqlx::query(
        "DELETE FROM known_browsers WHERE user_id = $1 AND browser_sha256 IN
           (SELECT browser_sha256 FROM known_browsers WHERE user_id = $1
            ORDER BY last_seen_at DESC OFFSET $2)",
    )
    .bind(user_id)
    .bind(BROWSERS_KEPT)
    .execute(conn)
    .await?;
    Ok(BrowserSeen::New)
}
