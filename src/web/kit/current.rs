//! Who is logged in: `CurrentUser` for customer pages, `CurrentStaff` for the console.
//! Each request reloads the account (with its session's row, in the same query), so a
//! disabled account, a bumped session epoch or a session ended elsewhere ends it at once (rules in `auth::session` and `auth::staff`).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::Session;

use crate::auth::session::{self, SessionAuth};
use crate::auth::staff;
use crate::db::sessions as db_sessions;
use crate::db::staff::{self as staff_db, StaffUser};
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::return_to::login_returning_to;

/// The logged-in, active user of this request. Without one, pages redirect to `/accedi`.
pub struct CurrentUser(pub User);

/// The logged-in staff user; without one, pages redirect to `/assistenza/accedi`, and an
/// operator who still has to enrol the app is sent to [`STAFF_ENROL`].
pub struct CurrentStaff(pub StaffUser);

/// Why a request has no current user or staff: go to `login`, or an error page.
pub enum NotLoggedIn {
    Redirect(&'static str),
    /// To `/accedi`, and after the login back to the page asked for (`?dopo=`).
    Login(String),
    Error(AppError),
}

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        match self {
            NotLoggedIn::Redirect(login) => Redirect::to(login).into_response(),
            NotLoggedIn::Login(to) => Redirect::to(&to).into_response(),
            NotLoggedIn::Error(e) => e.into_response(),
        }
    }
}

impl From<sqlx::Error> for NotLoggedIn {
    fn from(e: sqlx::Error) -> Self {
        NotLoggedIn::Error(e.into())
    }
}

impl From<tower_sessions::session::Error> for NotLoggedIn {
    fn from(e: tower_sessions::session::Error) -> Self {
        NotLoggedIn::Error(e.into())
    }
}

async fn session_of<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Session, NotLoggedIn> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| NotLoggedIn::Error(AppError::Internal(anyhow::anyhow!(msg))))
}

/// The logged-in user's session as it is, whether or not a required factor is still to be
/// enrolled.
async fn logged_in_user<S>(parts: &mut Parts, state: &S) -> Result<(User, SessionAuth), NotLoggedIn>
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    let session = session_of(parts, state).await?;
    let auth: Option<SessionAuth> = session.get(session::SESSION_KEY).await?;
    let Some(auth) = auth else {
        return Err(to_login(parts));
    };
    // A session from before `user_sessions` has no key: refused (see `SessionAuth::key`).
    let key = auth.key.unwrap_or_default();
    let mut conn = PgPool::from_ref(state).acquire().await?;
    match db_sessions::user_with_session(&mut conn, auth.user_id, key).await? {
        Some((user, open)) if session::still_valid(&auth, &user, open, session::now()) => {
            if session::keep_alive(&session).await? {
                db_sessions::touch(&mut conn, key, session::now()).await?;
            }
            Ok((user, auth))
        }
        _ => {
            tracing::info!(user_id = %auth.user_id, "session ended: expired, ended, disabled or credentials changed");
            let _ = session.flush().await;
            Err(to_login(parts))
        }
    }
}

/// The login, bringing a page view (GET) back to its page afterwards; a form sent without
/// a session cannot be resumed, so it meets the plain login.
fn to_login(parts: &Parts) -> NotLoggedIn {
    if parts.method != axum::http::Method::GET {
        return NotLoggedIn::Login("/accedi".to_owned());
    }
    let asked = parts.uri.path_and_query().map_or("/accedi", |p| p.as_str());
    NotLoggedIn::Login(login_returning_to(asked))
}
/// Where a user whose profile requires a second factor enrols it before anything else.
pub const ENROL: &str = "/area-clienti/sicurezza/attiva";

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    type Rejection = NotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match logged_in_user(parts, state).await? {
            (_, auth) if auth.must_enrol => Err(NotLoggedIn::Redirect(ENROL)),
            (user, _) => Ok(CurrentUser(user)),
        }
    }
}

/// The logged-in user on the pages that enrol a second factor: also a user who must enrol
/// one before any other page opens (`must_enrol`).
pub struct EnrollingUser {
    pub user: User,
    pub must_enrol: bool,
}

impl<S> FromRequestParts<S> for EnrollingUser
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    type Rejection = NotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (user, auth) = logged_in_user(parts, state).await?;
        Ok(EnrollingUser {
            user,
            must_enrol: auth.must_enrol,
        })
    }
}

/// Where an operator without an app enrols one before any other console page opens.
pub const STAFF_ENROL: &str = "/assistenza/sicurezza/attiva";
const STAFF_LOGIN: &str = "/assistenza/accedi";

/// The logged-in operator's session as it is, whether or not the app is still to be
/// enrolled; a session of a disabled operator, of an older epoch or past its lifetime ends.
async fn logged_in_staff<S>(parts: &mut Parts, state: &S) -> Result<(StaffUser, bool), NotLoggedIn>
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    let session = session_of(parts, state).await?;
    let Some(auth) = staff::of(&session).await? else {
        return Err(NotLoggedIn::Redirect(STAFF_LOGIN));
    };
    let mut conn = PgPool::from_ref(state).acquire().await?;
    match staff_db::find(&mut conn, auth.staff_id).await? {
        Some(staff) if auth.still_valid(&staff, OffsetDateTime::now_utc()) => {
            session::keep_alive(&session).await?;
            Ok((staff, auth.must_enrol))
        }
        _ => {
            tracing::info!(staff_id = %auth.staff_id, "staff session ended: expired, disabled or factors reset");
            let _ = session.flush().await;
            Err(NotLoggedIn::Redirect(STAFF_LOGIN))
        }
    }
}

impl<S> FromRequestParts<S> for CurrentStaff
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    type Rejection = NotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match logged_in_staff(parts, state).await? {
            (_, true) => Err(NotLoggedIn::Redirect(STAFF_ENROL)),
            (staff, false) => Ok(CurrentStaff(staff)),
        }
    }
}

/// The logged-in operator on the page that enrols the app: also one logged in only to do
/// that (`must_enrol`).
pub struct EnrollingStaff {
    pub staff: StaffUser,
    pub must_enrol: bool,
}

impl<S> FromRequestParts<S> for EnrollingStaff
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    type Rejection = NotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (staff, must_enrol) = logged_in_staff(parts, state).await?;
        Ok(EnrollingStaff { staff, must_enrol })
    }
}
