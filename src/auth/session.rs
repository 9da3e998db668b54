//! Login sessions: what we keep in the server-side session, and the `CurrentUser`
//! extractor that every logged-in page uses.
//!
//! A session stores the user id, the user's `session_epoch` at login and the login time.
//! Each request reloads the user: a disabled account or a bumped epoch (password change,
//! disable) ends the session at once, and sessions older than 12 hours end too.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use uuid::Uuid;

use crate::db::users::{self, User};
use crate::domain::RegistrationState;
use crate::error::AppError;

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
/// Session key of a one-time message for the next page ("Utente registrato", …).
const FLASH_KEY: &str = "flash";

/// What a logged-in session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    pub epoch: i32,
    #[serde(with = "time::serde::timestamp")]
    pub logged_in_at: OffsetDateTime,
}

/// Logs the user in: a new session id (no fixation), then the auth record.
pub async fn login(session: &Session, user: &User) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    let auth = SessionAuth {
        user_id: user.id,
        epoch: user.session_epoch,
        logged_in_at: OffsetDateTime::now_utc(),
    };
    session.insert(SESSION_KEY, auth).await.map_err(internal)
}

/// Marks the session as used now, so the store pushes its idle expiry forward; writes at
/// most once per [`KEEP_ALIVE_EVERY`].
pub async fn keep_alive(session: &Session) -> Result<(), tower_sessions::session::Error> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let seen: Option<i64> = session.get(SEEN_KEY).await?;
    if seen.is_none_or(|seen| now - seen >= KEEP_ALIVE_EVERY.whole_seconds()) {
        session.insert(SEEN_KEY, now).await?;
    }
    Ok(())
}

/// Leaves a one-time message for the next page of this session.
pub async fn set_flash(session: &Session, message: String) -> Result<(), AppError> {
    session.insert(FLASH_KEY, message).await.map_err(internal)
}

/// The one-time message left for this page, if any; reading it removes it. Without one the
/// session is not touched (no write on every page view).
pub async fn take_flash(session: &Session) -> Result<Option<String>, AppError> {
    if session
        .get::<String>(FLASH_KEY)
        .await
        .map_err(internal)?
        .is_none()
    {
        return Ok(None);
    }
    session.remove(FLASH_KEY).await.map_err(internal)
}

/// Destroys the session server-side.
pub async fn logout(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}

/// The logged-in, active user of this request. Without one, pages redirect to `/accedi`.
pub struct CurrentUser(pub User);

/// Why a request has no current user.
pub enum NotLoggedIn {
    Redirect,
    Error(AppError),
}

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        match self {
            NotLoggedIn::Redirect => Redirect::to("/accedi").into_response(),
            NotLoggedIn::Error(e) => e.into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    type Rejection = NotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| NotLoggedIn::Error(AppError::Internal(anyhow::anyhow!(msg))))?;
        let auth: Option<SessionAuth> = session
            .get(SESSION_KEY)
            .await
            .map_err(|e| NotLoggedIn::Error(internal(e)))?;
        let Some(auth) = auth else {
            return Err(NotLoggedIn::Redirect);
        };
        let pool = PgPool::from_ref(state);
        let mut conn = pool
            .acquire()
            .await
            .map_err(|e| NotLoggedIn::Error(e.into()))?;
        let user = users::find(&mut conn, auth.user_id)
            .await
            .map_err(|e| NotLoggedIn::Error(e.into()))?;
        match user {
            Some(user) if still_valid(&auth, &user, OffsetDateTime::now_utc()) => {
                keep_alive(&session)
                    .await
                    .map_err(|e| NotLoggedIn::Error(internal(e)))?;
                Ok(CurrentUser(user))
            }
            _ => {
                tracing::info!(user_id = %auth.user_id, "session ended: expired, disabled or credentials changed");
                let _ = session.flush().await;
                Err(NotLoggedIn::Redirect)
            }
        }
    }
}

fn still_valid(auth: &SessionAuth, user: &User, now: OffsetDateTime) -> bool {
    user.state == RegistrationState::Active
        && user.session_epoch == auth.epoch
        && now - auth.logged_in_at < ABSOLUTE_LIFETIME
}

fn internal(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(e.into())
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
            email: "u@example.it".into(),
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
