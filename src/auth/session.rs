//! Login sessions: what we keep in the server-side session and when it stops holding.
//! The `CurrentUser` extractor that applies these rules to each request is in `web::kit`.
//!
//! A session stores the user id, the user's `session_epoch` at login, the login time and
//! the key of its `user_sessions` row (the list on Sicurezza, `auth::session_list`). Each
//! request reloads the user with the row: a disabled account, a bumped epoch (password
//! change, disable) or an ended row ends the session at once, and sessions older than 12
//! hours end too.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

use super::{new_browser, session_list};
use crate::config::Config;
use crate::db::sessions as db;
use crate::db::users::User;
use crate::domain::RegistrationState;

/// Session key of the [`SessionAuth`] record.
pub const SESSION_KEY: &str = "auth";
/// A session dies this long after login, however active (idle expiry is the store's).
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(12);
/// A session dies after this long without requests.
pub const IDLE_LIFETIME: Duration = Duration::minutes(30);
/// Activity pushes the idle expiry forward at most this often: a session stays alive to
/// within a minute of its last request without being written on every page view.
pub const KEEP_ALIVE_EVERY: Duration = Duration::minutes(1);
/// Session key of the last keep-alive (Unix seconds).
const SEEN_KEY: &str = "seen_at";
/// Session key of the token the session's forms carry (`web::kit::csrf`).
pub const FORM_TOKEN_KEY: &str = "csrf";

/// Sessions live on the system clock, because the store's idle expiry does (tower-sessions
/// reads it; the portal's test clock cannot move it): their rows' times come from here too.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// What a logged-in session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    pub epoch: i32,
    #[serde(with = "time::serde::timestamp")]
    pub logged_in_at: OffsetDateTime,
    /// Logged in only to enrol the second factor the profile requires: every other page
    /// sends the user to `/area-clienti/sicurezza/attiva` until then.
    #[serde(default)]
    pub must_enrol: bool,
    /// The id of the session's `user_sessions` row. Sessions opened before that table
    /// existed have none and are refused (one more login, within 12 hours of the upgrade):
    /// a session the user could neither see on Sicurezza nor end must not stay valid.
    #[serde(default)]
    pub key: Option<Uuid>,
}

/// Where a login comes from: the browser as it describes itself (already `stored`), its
/// address, and the random id its long-lived cookie carries.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub user_agent: &'a str,
    pub client_addr: Option<&'a str>,
    pub browser_id: &'a str,
}

/// Logs the user in: a new session id (no fixation), its row, then the auth record. A
/// browser the user never logged in from before gets "Nuovo accesso" by e-mail.
pub async fn login(
    pool: &PgPool,
    config: &Config,
    session: &Session,
    user: &User,
    origin: &Origin<'_>,
) -> anyhow::Result<()> {
    open(pool, config, session, user, origin, false).await
}

/// Logs the user in for the one thing left to do: enrolling a required second factor.
pub async fn login_to_enrol(
    pool: &PgPool,
    config: &Config,
    session: &Session,
    user: &User,
    origin: &Origin<'_>,
) -> anyhow::Result<()> {
    open(pool, config, session, user, origin, true).await
}

async fn open(
    pool: &PgPool,
    config: &Config,
    session: &Session,
    user: &User,
    origin: &Origin<'_>,
    must_enrol: bool,
) -> anyhow::Result<()> {
    let previous = key_of(session).await?;
    let mut tx = pool.begin().await?;
    let opened = open_rows(&mut tx, config, user, origin, previous).await?;
    tx.commit().await?;
    bind(session, user, opened, must_enrol).await
}

/// The rows of a login, written in the caller's transaction; the login holds once
/// [`login_opened`] binds them to the session after the commit.
#[derive(Debug)]
pub struct Opened {
    key: Uuid,
    at: OffsetDateTime,
}

/// Writes a login's rows in the caller's transaction (a second step writes them with its
/// proof: one commit): the `user_sessions` row (replacing `previous`, this browser's
/// earlier login) and the browser, with "Nuovo accesso" queued when it is new to the user.
pub async fn open_rows(
    conn: &mut sqlx::PgConnection,
    config: &Config,
    user: &User,
    origin: &Origin<'_>,
    previous: Option<Uuid>,
) -> sqlx::Result<Opened> {
    let (key, at) = (Uuid::new_v4(), now());
    session_list::opened(conn, user, key, origin, previous, at).await?;
    new_browser::recognise(conn, config, user, origin, at).await?;
    Ok(Opened { key, at })
}

/// Logs the user in on rows [`open_rows`] wrote and committed.
pub async fn login_opened(session: &Session, user: &User, opened: Opened) -> anyhow::Result<()> {
    bind(session, user, opened, false).await
}

/// A new session id (no fixation), a form token of its own, then the auth record.
async fn bind(
    session: &Session,
    user: &User,
    opened: Opened,
    must_enrol: bool,
) -> anyhow::Result<()> {
    new_id(session).await?;
    let auth = SessionAuth {
        user_id: user.id,
        epoch: user.session_epoch,
        logged_in_at: opened.at,
        must_enrol,
        key: Some(opened.key),
    };
    bind_form_token(session).await?;
    Ok(session.insert(SESSION_KEY, auth).await?)
}

/// A new session id, so an id known before (fixation) is worth nothing after: the stored
/// session under the old id is deleted. A session never stored (a visitor's first form:
/// anonymous pages store none) has no id to replace, and costs no statement.
pub async fn new_id(session: &Session) -> Result<(), SessionError> {
    if session.id().is_some() {
        session.cycle_id().await?;
    }
    Ok(())
}

/// At login the session gets a form token of its own, which no one could learn before (a
/// visitor's forms carry one signed from a cookie): unless it holds one already, as when a
/// login confirms another within the session, whose other tabs keep working. Returns it.
pub async fn bind_form_token(session: &Session) -> Result<String, SessionError> {
    if let Some(token) = session.get::<String>(FORM_TOKEN_KEY).await? {
        return Ok(token);
    }
    let token = crate::credentials::secret::new_link_token();
    session.insert(FORM_TOKEN_KEY, &token).await?;
    Ok(token)
}

/// After the user changed their own password: every other session ended with the new
/// epoch; this one goes on under a new id, its row in the new epoch.
pub async fn renew(pool: &PgPool, session: &Session, user: &User) -> anyhow::Result<()> {
    let Some(mut auth) = session.get::<SessionAuth>(SESSION_KEY).await? else {
        return Ok(());
    };
    new_id(session).await?;
    if let Some(key) = auth.key {
        db::move_to_epoch(&mut *pool.acquire().await?, key, user.session_epoch).await?;
    }
    auth.epoch = user.session_epoch;
    Ok(session.insert(SESSION_KEY, auth).await?)
}

/// The required factor is enrolled: the whole Area Clienti opens.
pub async fn enrolled(session: &Session) -> Result<(), SessionError> {
    if let Some(mut auth) = session.get::<SessionAuth>(SESSION_KEY).await? {
        auth.must_enrol = false;
        session.insert(SESSION_KEY, auth).await?;
    }
    Ok(())
}

/// Marks the session as used now, so the store pushes its idle expiry forward; writes at
/// most once per [`KEEP_ALIVE_EVERY`], and says whether it did (the caller then pushes the
/// session's row forward too).
pub async fn keep_alive(session: &Session) -> Result<bool, SessionError> {
    let now = now().unix_timestamp();
    let seen: Option<i64> = session.get(SEEN_KEY).await?;
    let due = seen.is_none_or(|seen| now - seen >= KEEP_ALIVE_EVERY.whole_seconds());
    if due {
        session.insert(SEEN_KEY, now).await?;
    }
    Ok(due)
}

/// The key of this session's row, when a user is logged in on it.
pub async fn key_of(session: &Session) -> Result<Option<Uuid>, SessionError> {
    let auth: Option<SessionAuth> = session.get(SESSION_KEY).await?;
    Ok(auth.and_then(|a| a.key))
}

/// Ends the login of this browser (its row too), keeping the rest of the session: a new
/// password step begins on it.
pub async fn end_login(pool: &PgPool, session: &Session) -> anyhow::Result<()> {
    if let Some(auth) = session.remove::<SessionAuth>(SESSION_KEY).await? {
        end_row(pool, &auth).await?;
    }
    Ok(())
}

/// Destroys the session server-side, and ends its row.
pub async fn logout(pool: &PgPool, session: &Session) -> anyhow::Result<()> {
    if let Some(auth) = session.get::<SessionAuth>(SESSION_KEY).await? {
        end_row(pool, &auth).await?;
    }
    Ok(session.flush().await?)
}

async fn end_row(pool: &PgPool, auth: &SessionAuth) -> sqlx::Result<()> {
    if let Some(key) = auth.key {
        db::end(&mut *pool.acquire().await?, auth.user_id, key, now()).await?;
    }
    Ok(())
}

/// Whether this session belongs to a logged-in user (not checked against the database).
pub async fn is_logged_in(session: &Session) -> Result<bool, SessionError> {
    Ok(session.get::<SessionAuth>(SESSION_KEY).await?.is_some())
}

/// Whether a session opened as `auth` still holds for `user` at `now`, its row being
/// `open` (not ended).
pub fn still_valid(auth: &SessionAuth, user: &User, open: bool, now: OffsetDateTime) -> bool {
    open && auth.key.is_some()
        && user.state == RegistrationState::Active
        && user.session_epoch == auth.epoch
        && now - auth.logged_in_at < ABSOLUTE_LIFETIME
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Profile;

    fn user(state: RegistrationState, epoch: i32) -> User {
        User {
            id: Uuid::nil(),
            company_id: Uuid::nil(),
            username: "u".into(),
            email: crate::domain::EmailAddress::parse("u@example.it").unwrap(),
            mobile: None,
            first_name: String::new(),
            last_name: String::new(),
            profile: Profile::User,
            state,
            session_epoch: epoch,
            created_at: OffsetDateTime::now_utc(),
            activated_at: None,
        }
    }

    #[test]
    fn a_session_lives_twelve_hours_at_most_and_dies_with_a_new_epoch_a_disabled_account_or_its_row()
     {
        let now = OffsetDateTime::now_utc();
        let auth = |hours: i64| SessionAuth {
            user_id: Uuid::nil(),
            epoch: 3,
            logged_in_at: now - Duration::hours(hours),
            must_enrol: false,
            key: Some(Uuid::nil()),
        };
        let active = user(RegistrationState::Active, 3);
        assert!(still_valid(&auth(11), &active, true, now));
        assert!(!still_valid(&auth(12), &active, true, now));
        assert!(!still_valid(
            &auth(1),
            &user(RegistrationState::Active, 4),
            true,
            now
        ));
        assert!(!still_valid(
            &auth(1),
            &user(RegistrationState::Disabled, 3),
            true,
            now
        ));
        assert!(!still_valid(&auth(1), &active, false, now), "row ended");
        let before_rows = SessionAuth {
            key: None,
            ..auth(1)
        };
        assert!(!still_valid(&before_rows, &active, true, now), "no row");
    }

    #[test]
    fn a_record_written_before_session_rows_reads_back_without_a_key() {
        let old = serde_json::json!({ "user_id": Uuid::nil(), "epoch": 1, "logged_in_at": 0 });
        let auth: SessionAuth = serde_json::from_value(old).unwrap();
        assert_eq!(auth.key, None);
    }
}
