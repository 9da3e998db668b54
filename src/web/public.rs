//! Public pages: `/`, `/accedi`, `/esci`.

use axum::Router;
use axum::extract::{Query, State};
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
use crate::web::kit::return_to::own_area_path;
use crate::web::kit::{CsrfForm, CsrfToken, ThisBrowser};
use crate::web::second_step::after_password;
use crate::web::step_up;

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

#[derive(Deserialize, Default)]
struct LoginQuery {
    /// The page to land on after the login (`return_to::AFTER_LOGIN`).
    #[serde(default)]
    dopo: String,
    /// `1` right after Esci.
    #[serde(default)]
    uscito: String,
}

/// Said above the login form right after Esci.
pub const LOGGED_OUT: &str = "Sei uscito dall'Area Clienti. Per sicurezza, se usi un computer condiviso chiudi anche il browser.";
/// Said above the login form when a page asked for needs the login first.
pub const LOGIN_TO_CONTINUE: &str =
    "Accedi per continuare: dopo l'accesso ti riportiamo alla pagina che avevi aperto.";

async fn login_form(
    State(state): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<LoginQuery>,
) -> Result<LoginPage, AppError> {
    let after_login = own_area_path(&query.dopo).unwrap_or_default();
    let notice = if query.uscito == "1" {
        Some(LOGGED_OUT)
    } else if !after_login.is_empty() {
        Some(LOGIN_TO_CONTINUE)
    } else {
        None
    };
    Ok(LoginPage {
        layout: Layout::anonymous(csrf),
        username: String::new(),
        error: crate::web::kit::flash::take(&session).await?,
        notice,
        after_login,
        passkeys: state.passkeys.is_some(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    dopo: String,
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
            if let Some(path) = own_area_path(&form.dopo) {
                step_up::land_after_login_on(&session, path).await?;
            }
            after_password(&state, &session, &browser, &user, &form.username, next).await
        }
        LoginOutcome::Refused => {
            let message = LOGIN_FAILED.to_owned();
            login_refused(&state, &csrf, &form, StatusCode::UNAUTHORIZED, message).await
        }
        LoginOutcome::Throttled { wait_secs } => {
            let message = crate::web::outcome::login_throttled(wait_secs);
            login_refused(&state, &csrf, &form, StatusCode::TOO_MANY_REQUESTS, message).await
        }
    }
}

/// The login form again, with what was typed (never the password) and why it failed.
async fn login_refused(
    state: &AppState,
    csrf: &Csrf,
    form: &LoginForm,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let csrf = csrf.token().await?;
    let page = LoginPage {
        layout: Layout::anonymous(csrf),
        username: login::typed(&form.username),
        error: Some(message),
        notice: None,
        after_login: own_area_path(&form.dopo).unwrap_or_default(),
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
    Ok(Redirect::to("/accedi?uscito=1"))
}
