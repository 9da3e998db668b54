//! Step-up (CONTRACT.md §4b): changing factors, own contacts or password, and every
//! Gestione Utenze action need a login or a confirmation within the last 15 minutes.
//! Otherwise [`require_recent`] keeps the form that was sent (never a password field) and
//! answers `303` to `/accedi/conferma`: the password, then the factor, exactly as a login
//! (it *is* a new login of the same user, in the same browser). Then
//! `/accedi/conferma/riprendi` shows the kept form, ready to send again.

mod pages;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

use super::AppState;
use crate::auth::session::{SESSION_KEY, SessionAuth};
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::return_to::own_area_path;

pub const CONFIRM: &str = "/accedi/conferma";
const RESUME: &str = "/accedi/conferma/riprendi";
/// How long a login or a confirmation covers sensitive actions.
pub const WINDOW: Duration = Duration::minutes(15);
/// Session key: when this session's user last logged in or confirmed (portal clock).
const CONFIRMED_KEY: &str = "confirmed_at";
/// Session key of the page a login was asked from.
const LANDING_KEY: &str = "after_login";
/// Session key of the form that waits for the confirmation.
const KEPT_KEY: &str = "step_up_form";
/// Forms are small; a bigger body is not kept (the user fills it in again).
const MAX_KEPT_BYTES: usize = 16 * 1024;
const HOME: &str = "/area-clienti";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(CONFIRM, get(pages::form).post(pages::confirm))
        .route(RESUME, get(pages::resume))
}

/// A form sent while the last confirmation was too old.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeptForm {
    /// Whose form: only they get it back.
    user_id: uuid::Uuid,
    /// Where it was posted (a path of this portal).
    action: String,
    /// Its fields, without the CSRF token and without any password.
    fields: Vec<(String, String)>,
    /// A password field was dropped: the user types it again.
    had_password: bool,
    /// The page the form was on (same-origin Referer path), to go back to.
    back_to: String,
    /// An upload (`multipart/form-data`, the CSV import) is not kept: after the
    /// confirmation the page at `action` opens again, to choose the file again.
    #[serde(default)]
    reopen: bool,
}

/// Where a completed login goes (password, and the factor when one was asked): back to the
/// form a confirmation was asked for, if it is this user's, else home. Either way the user
/// is confirmed from now.
pub async fn landing(state: &AppState, session: &Session, user: &User) -> Result<String, AppError> {
    confirmed(state, session).await?;
    let kept: Option<KeptForm> = session.get(KEPT_KEY).await?;
    let asked: Option<String> = session.remove(LANDING_KEY).await?;
    let elsewhere = asked.as_deref().and_then(own_area_path);
    Ok(match kept {
        Some(kept) if kept.user_id == user.id => RESUME.to_owned(),
        Some(_) => {
            session.remove::<KeptForm>(KEPT_KEY).await?;
            elsewhere.unwrap_or_else(|| HOME.to_owned())
        }
        None => elsewhere.unwrap_or_else(|| HOME.to_owned()),
    })
}

/// The page the login was asked from (`/accedi?dopo=`): [`landing`] goes there once the
/// login completes (password, then the factor when one is asked).
pub async fn land_after_login_on(session: &Session, path: String) -> Result<(), AppError> {
    session.insert(LANDING_KEY, path).await?;
    Ok(())
}

/// Records that this session's user proved who they are now.
pub async fn confirmed(state: &AppState, session: &Session) -> Result<(), AppError> {
    let now = state.clock.now().unix_timestamp();
    session.insert(CONFIRMED_KEY, now).await?;
    Ok(())
}

/// Route layer of the sensitive areas: a POST from a logged-in session whose last login or
/// confirmation is older than [`WINDOW`] is kept and sent to confirm; anything else goes
/// on (an anonymous request meets the areas' own login redirect).
pub async fn require_recent(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if request.method() != Method::POST {
        return Ok(next.run(request).await);
    }
    let auth = session.get::<SessionAuth>(SESSION_KEY).await?;
    let confirmed_at: Option<i64> = session.get(CONFIRMED_KEY).await?;
    let recent = confirmed_at.is_some_and(|at| still_covers(at, state.clock.now()));
    // Not logged in (the area's own login redirect answers), or enrolling a required
    // factor right after the password: nothing to confirm.
    let Some(auth) = auth.filter(|a| !recent && !a.must_enrol) else {
        return Ok(next.run(request).await);
    };
    let (mut parts, body) = request.into_parts();
    if crate::web::kit::multipart::boundary(&parts.headers).is_some() {
        // The file is not kept (nor its CSRF part read): the upload page opens again after
        // the confirmation. What was sent is read and dropped, so the browser gets the answer.
        crate::web::kit::multipart::drain(body).await;
        let kept = KeptForm {
            user_id: auth.user_id,
            action: parts.uri.path().to_owned(),
            fields: Vec::new(),
            had_password: false,
            back_to: HOME.to_owned(),
            reopen: true,
        };
        tracing::info!(action = %kept.action, "step-up: confirmation asked before an upload");
        session.insert(KEPT_KEY, kept).await?;
        return Ok(Redirect::to(CONFIRM).into_response());
    }
    let csrf = crate::web::kit::Csrf::from_request_parts(&mut parts, &state).await?;
    let body = axum::body::to_bytes(body, MAX_KEPT_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    // Only a form of this session is kept: anything else goes on to be refused (403) by
    // the handler, so a forged POST can never come back on the resume page.
    if csrf.verify(&body).await.is_err() {
        return Ok(next.run(Request::from_parts(parts, body.into())).await);
    }
    let kept = keep(auth.user_id, &parts, &body);
    tracing::info!(action = %kept.action, "step-up: confirmation asked");
    session.insert(KEPT_KEY, kept).await?;
    Ok(Redirect::to(CONFIRM).into_response())
}

fn keep(user_id: uuid::Uuid, parts: &axum::http::request::Parts, body: &[u8]) -> KeptForm {
    let action = parts.uri.path().to_owned();
    let back_to = parts
        .headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(same_origin_path)
        .unwrap_or_else(|| HOME.to_owned());
    let (mut fields, mut had_password) = (Vec::new(), false);
    for (name, value) in url::form_urlencoded::parse(body) {
        if name.contains("password") {
            had_password = true;
        } else if name != crate::web::kit::csrf::FIELD {
            fields.push((name.into_owned(), value.into_owned()));
        }
    }
    KeptForm {
        user_id,
        action,
        fields,
        had_password,
        back_to,
        reopen: false,
    }
}

/// The path (and query) of a Referer on this portal: only a path is ever redirected to.
fn same_origin_path(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    let path = url.path();
    let local = path.starts_with("/area-clienti") && !path.starts_with("//");
    local.then(|| match url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    })
}

/// Whether `confirmed_at` (Unix seconds) still covers `now`.
pub fn still_covers(confirmed_at: i64, now: OffsetDateTime) -> bool {
    now.unix_timestamp() - confirmed_at < WINDOW.whole_seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_the_area_clienti_is_kept_as_the_way_back() {
        let kept = same_origin_path("http://localhost:8080/area-clienti/gestione-utenze?q=rossi");
        assert_eq!(
            kept.as_deref(),
            Some("/area-clienti/gestione-utenze?q=rossi")
        );
        assert_eq!(
            same_origin_path("https://evil.example/area-clienti"),
            Some("/area-clienti".into())
        );
        assert_eq!(same_origin_path("http://localhost:8080/accedi"), None);
        assert_eq!(same_origin_path("non un indirizzo"), None);
    }

    #[test]
    fn a_confirmation_covers_fifteen_minutes() {
        let now = OffsetDateTime::now_utc();
        let at = |minutes: i64| (now - Duration::minutes(minutes)).unix_timestamp();
        assert!(still_covers(at(14), now));
        assert!(!still_covers(at(15), now));
    }
}
