//! Login sessions: what we keep in the server-side session and when it stops holding.
//! The `CurrentUser` extractor that applies these rules to each request is in `web::kit`.
//!
//! A session stores the user id, the user's `session_epoch` at login and the login time.
//! Each request reloads the user: a disabled account or a bumped epoch (password change,
//! disable) ends the session at once, and sessions older than 12 hours end too.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

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
const KEEP_ALIVE_EVERY: Duration = Duration::minutes(1);
/// Session key of the last keep-alive (Unix seconds).
const SEEN_KEY: &str = "seen_at";

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
}

/// Logs the user in: a new session id (no fixation), then the auth record.
pub async fn login(session: &Session, user: &User) -> Result<(), SessionError> {
    open(session, user, false).await
}

/// Logs the user in for the one thing left to do: enrolling a required second factor.
pub async fn login_to_enrol(session: &Session, user: &User) -> Result<(), SessionError> {
    open(session, user, true).await
}

async fn open(session: &Session, user: &User, must_enrol: bool) -> Result<(), SessionError> {
    session.cycle_id().await?;
    let auth = SessionAuth {
        user_id: user.id,
        epoch: user.session_epoch,
        logged_in_at: OffsetDateTime::now_utc(),
        must_enrol,
    };
    session.insert(SESSION_KEY, auth).await
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
/// most once per [`KEEP_ALIVE_EVERY`].
pub async fn keep_alive(session: &Session) -> Result<(), SessionError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let seen: Option<i64> = session.get(SEEN_KEY).await?;
    if seen.is_none_or(|seen| now - seen >= KEEP_ALIVE_EVERY.whole_seconds()) {
        session.insert(SEEN_KEY, now).await?;
    }
    Ok(())
}

/// Destroys the session server-side.
pub async fn logout(session: &Session) -> Result<(), SessionError> {
    session.flush().await
}

/// Whether this session belongs to a logged-in user (not checked against the database).
pub async fn is_logged_in(session: &Session) -> Result<bool, SessionError> {
    Ok(session.get::<SessionAuth>(SESSION_KEY).await?.is_some())
}

/// Whether a session opened as `auth` still holds for `user` at `now`.
pub fn still_valid(auth: &SessionAuth, user: &User, now: OffsetDateTime) -> bool {
    user.state == RegistrationState::Active
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
    fn a_session_lives_twelve_hours_at_most_and_dies_with_a_new_epoch_or_a_disabled_account() {
        let now = OffsetDateTime::now_utc();
        let auth = |hours: i64| SessionAuth {
            user_id: Uuid::nil(),
            epoch: 3,
            logged_in_at: now - Duration::hours(hours),
            must_enrol: false,
        };
        assert!(still_valid(
            &auth(11),
            &user(RegistrationState::Active, 3),
            now
        ));
        assert!(!still_valid(
            &auth(12),
            &user(RegistrationState::Active, 3),
            now
        ));
        assert!(!still_valid(
            &auth(1),
            &user(RegistrationState::Active, 4),
            now
        ));
        assert!(!still_valid(
            &auth(1),
            &user(RegistrationState::Disabled, 3),
            now
        ));
    }
}
