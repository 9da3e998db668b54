//! `/accedi/conferma` (the password again, then the factor as at login) and
//! `/accedi/conferma/riprendi` (the kept form, ready to send again).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{KEPT_KEY, KeptForm};
use crate::auth::login::{self, Credentials, LoginOutcome, PasswordVerified};
use crate::db::users::User;
use crate::web::AppState;
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{CsrfForm, CsrfToken, CurrentUser, ThisBrowser};
use crate::web::outcome;
use crate::web::pages::Layout;
use crate::web::second_step::after_password;

#[derive(Template, WebTemplate)]
#[template(path = "account/confirm_identity.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub username: String,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/resume_form.html")]
pub struct ResumePage {
    pub layout: Layout,
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub had_password: bool,
    pub back_to: String,
}

fn confirm_page(user: &User, csrf: String, error: Option<String>) -> ConfirmPage {
    ConfirmPage {
        layout: layout_for(user, csrf),
        username: user.username.clone(),
        error,
    }
}

pub(super) async fn form(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
) -> ConfirmPage {
    confirm_page(&user, csrf, None)
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// The password of the logged-in user, checked as a login is (throttle, audit); the
/// factor follows at `/accedi/verifica` exactly as after a login.
pub(super) async fn confirm(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    browser: ThisBrowser,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let typed_in = Credentials {
        username: &user.username,
        password: &form.password,
        client: browser.origin().client_addr,
    };
    let required = &state.config.mfa_required_for;
    let (status, message) =
        match login::customer(&state.pool, &state.hasher, &typed_in, required).await? {
            LoginOutcome::LoggedIn(PasswordVerified {
                user: verified,
                next,
            }) => {
                let (state, username) = (&state, &user.username);
                return after_password(state, &session, &browser, &verified, username, next).await;
            }
            LoginOutcome::Refused => (
                StatusCode::UNAUTHORIZED,
                outcome::WRONG_CURRENT_PASSWORD.to_owned(),
            ),
            LoginOutcome::Throttled { wait_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                outcome::login_throttled(wait_secs),
            ),
        };
    let csrf = csrf.token().await?;
    Ok((status, confirm_page(&user, csrf, Some(message))).into_response())
}

/// The kept form, once: its fields as they were sent, with a fresh CSRF token.
pub(super) async fn resume(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<Response, AppError> {
    let kept: Option<KeptForm> = session.remove(KEPT_KEY).await?;
    let Some(kept) = kept.filter(|k| k.user_id == user.id) else {
        return Ok(Redirect::to(super::HOME).into_response());
    };
    if kept.reopen {
        return Ok(Redirect::to(&kept.action).into_response());
    }
    let page = ResumePage {
        layout: layout_for(&user, csrf),
        action: kept.action,
        fields: kept.fields,
        had_password: kept.had_password,
        back_to: kept.back_to,
    };
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response())
}
