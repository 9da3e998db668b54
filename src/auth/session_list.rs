//! A customer's sessions as Sicurezza lists them (ASVS 5.0 V7.5): one `user_sessions` row
//! per login, written when it opens, ended by logout, by the user from another session,
//! or by the legal representative (Gestione Utenze). An ended row refuses its session at
//! the next request (`web::kit::current`).

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::session::{ABSOLUTE_LIFETIME, IDLE_LIFETIME, KEEP_ALIVE_EVERY, Origin};
use crate::actor::Actor;
use crate::db::audit;
use crate::db::sessions::{self as db, Live, NewSession};
use crate::db::users::User;
use crate::domain::{AuditAction, user_agent};

/// The sessions that may still be in use at `now`. A session's row is seen at most once a
/// minute while its store record may be written in between, so the idle bound has that
/// minute of margin: a live session is never missing from the list (or from "termina").
pub fn live_at(now: OffsetDateTime) -> Live {
    Live {
        seen_after: now - IDLE_LIFETIME - KEEP_ALIVE_EVERY,
        opened_after: now - ABSOLUTE_LIFETIME,
    }
}

/// A login opened session `key` (ending the browser's `previous` one): its row, and the
/// user's rows too old to matter forgotten.
pub(super) async fn opened(
    conn: &mut PgConnection,
    user: &User,
    key: Uuid,
    origin: &Origin<'_>,
    previous: Option<Uuid>,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    if let Some(previous) = previous {
        db::end(conn, user.id, previous, at).await?;
    }
    let row = NewSession {
        id: key,
        user_id: user.id,
        epoch: user.session_epoch,
        user_agent: origin.user_agent,
        client_addr: origin.client_addr,
        at,
    };
    db::insert(conn, &row, at - ABSOLUTE_LIFETIME).await
}

/// One live session, as the list shows it.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub id: Uuid,
    /// "Firefox su Windows".
    pub browser: String,
    pub client_addr: Option<String>,
    pub opened_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// The session of the request that asks.
    pub current: bool,
}

/// The user's live sessions, the current one first.
pub async fn active(
    conn: &mut PgConnection,
    user: &User,
    current: Option<Uuid>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ActiveSession>> {
    let rows = db::live_of(conn, user.id, live_at(now)).await?;
    let mut sessions: Vec<ActiveSession> = rows
        .into_iter()
        .map(|r| ActiveSession {
            current: Some(r.id) == current,
            browser: user_agent::describe(&r.user_agent),
            id: r.id,
            client_addr: r.client_addr,
            opened_at: r.created_at,
            last_seen_at: r.last_seen_at,
        })
        .collect();
    sessions.sort_by_key(|s| !s.current);
    Ok(sessions)
}

/// What ending one session came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOne {
    Ended,
    /// The user's, but ended already (e.g. a second click).
    AlreadyEnded,
    /// Not a session of this user, or the current one (the page offers logout for that).
    NotFound,
}

/// The user ends one of their other sessions.
pub async fn end_one(
    pool: &PgPool,
    user: &User,
    actor: &Actor,
    current: Option<Uuid>,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<EndOne> {
    if Some(id) == current {
        return Ok(EndOne::NotFound);
    }
    let mut tx = pool.begin().await?;
    if !db::end(&mut tx, user.id, id, now).await? {
        let mine = db::belongs_to(&mut tx, user.id, id).await?;
        return Ok(if mine {
            EndOne::AlreadyEnded
        } else {
            EndOne::NotFound
        });
    }
    let details = serde_json::json!({ "sessione": id });
    let event = actor.event(
        user.company_id,
        Some(user.id),
        AuditAction::SessionEnded,
        details,
    );
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(EndOne::Ended)
}

/// The user ends every session but the current one; returns how many ended.
pub async fn end_others(
    pool: &PgPool,
    user: &User,
    actor: &Actor,
    current: Option<Uuid>,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let ended = db::end_all_but(&mut tx, user.id, current, live_at(now), now).await?;
    let details = serde_json::json!({ "sessioni": ended });
    let action = AuditAction::OtherSessionsEnded;
    let event = actor.event(user.company_id, Some(user.id), action, details);
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(ended)
}
