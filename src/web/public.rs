//! Public pages: `/`, `/accedi`, `/esci`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::pages::{Layout, LoginPage};
use crate::auth::login::{self, Credentials, LoginOutcome, PasswordVerified};
use crate::auth::session;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{CsrfForm, CsrfToken, ThisBrowser};
use crate::web::second_step::after_password;

/// The one message for every failed login: it must not tell which part was wrong.
pub const LOGIN_FAILED: &str = "Username o password non corretti. Controlla i dati e riprova.";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/accedi", get(login_form).post(login))
        .route("/esci", post(logout))
}

async fn root(session: Session) -> Result<Redirect, AppError> {
    let logged_in = session
        .get::<session::SessionAuth>(session::SESSION_KEY)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .is_some();
    Ok(Redirect::to(if logged_in {
        "/area-clienti"
    } else {
        "/accedi"
    }))
}

async fn login_form(
    State(state): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
) -> Result<LoginPage, AppError> {
    Ok(LoginPage {
        layout: Layout::anonymous(csrf),
        username: String::new(),
        error: crate::web::kit::flash::take(&session).await?,
        passkeys: state.passkeys.is_some(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    session: Session,
    browser: ThisBrowser,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let typed_in = Credentials {
        username: &form.username,
        password: &form.password,
        client: browser.client_addr.as_deref(),
    };
    let required = &state.config.mfa_required_for;
    match login::customer(&state.pool, &state.hasher, &typed_in, required).await? {
        LoginOutcome::LoggedIn(PasswordVerified { user, next }) => {
            after_password(&state, &session, &browser, &user, &form.username, next).await
        }
        LoginOutcome::Refused => {
            let message = LOGIN_FAILED.to_owned();
            login_refused(
                &state,
                &csrf,
                &form.username,
                StatusCode::UNAUTHORIZED,
                message,
            )
            .await
        }
        LoginOutcome::Throttled { wait_secs } => {
            let message = crate::web::outcome::login_throttled(wait_secs);
            login_refused(
                &state,
                &csrf,
                &form.username,
                StatusCode::TOO_MANY_REQUESTS,
                message,
            )
            .await
        }
    }
}

/// The login form again, with what was typed (never the password) and why it failed.
async fn login_refused(
    state: &AppState,
    csrf: &Csrf,
    username: &str,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let csrf = csrf.token().await?;
    let page = LoginPage {
        layout: Layout::anonymous(csrf),
        username: login::typed(username),
        error: Some(message),
        passkeys: state.passkeys.is_some(),
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<AppState>,
    session: Session,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Redirect, AppError> {
    session::logout(&state.pool, &session).await?;
    Ok(Redirect::to("/accedi"))
}
