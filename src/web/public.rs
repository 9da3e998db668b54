//! Public pages: `/`, `/accedi`, `/esci`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use super::AppState;
use super::pages::{Layout, LoginPage};
use crate::actor::Actor;
use crate::auth::{session, throttle};
use crate::db::{audit, users};
use crate::domain::AuditAction;
use crate::domain::RegistrationState;
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::{CsrfForm, CsrfToken};

/// The one message for every failed login: it must not tell which part was wrong.
pub const LOGIN_FAILED: &str = "Username o password non corretti. Controlla i dati e riprova.";
/// Longer input cannot be a valid username or password; it is refused after the same work.
const MAX_USERNAME: usize = 254;
const MAX_PASSWORD: usize = 1024;

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

async fn login_form(CsrfToken(csrf): CsrfToken) -> LoginPage {
    LoginPage {
        layout: Layout::anonymous(csrf),
        username: String::new(),
        error: None,
    }
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
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim();
    let candidate = (username.len() <= MAX_USERNAME && !username.is_empty())
        .then_some(username)
        .filter(|_| form.password.len() <= MAX_PASSWORD);
    let mut conn = state.pool.acquire().await?;
    if let Some(wait) = throttle::wait_before_login(&mut conn, username, client.as_deref()).await? {
        tracing::warn!(wait_secs = wait, "login throttled");
        crate::metrics::login_throttled();
        let minutes = wait.div_ceil(60);
        let message = format!(
            "Troppi tentativi di accesso non riusciti. Riprova tra {minutes} {} oppure usa Recupera Password.",
            if minutes == 1 { "minuto" } else { "minuti" }
        );
        return login_refused(&session, username, StatusCode::TOO_MANY_REQUESTS, message).await;
    }
    let found = match candidate {
        Some(u) => users::find_credentials(&mut conn, u).await?,
        None => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) if user.state == RegistrationState::Active => (Some(user), hash),
        _ => (None, None),
    };
    // Always one Argon2 verification, so unknown users cost the same time as known ones.
    let password = if candidate.is_some() {
        form.password.as_str()
    } else {
        ""
    };
    // The connection goes back to the pool while Argon2 runs (tens of milliseconds, more
    // when logins queue): pages must not wait for connections that only wait for a hash.
    drop(conn);
    let ok = state.hasher.verify(password, hash.as_deref()).await?;
    let mut conn = state.pool.acquire().await?;
    let actor = Actor::visitor(client.clone());
    match user {
        Some(user) if ok => {
            throttle::clear_account(&mut conn, username).await?;
            session::login(&session, &user).await?;
            let event = actor.event(
                user.company_id,
                Some(user.id),
                AuditAction::Login,
                json!({}),
            );
            audit::append(&mut conn, &event).await?;
            tracing::info!(user_id = %user.id, "login");
            Ok(Redirect::to("/area-clienti").into_response())
        }
        user => {
            throttle::record_failure(&mut conn, username, client.as_deref()).await?;
            if let Some(user) = user {
                let event = actor.event(
                    user.company_id,
                    Some(user.id),
                    AuditAction::LoginFailed,
                    json!({}),
                );
                audit::append(&mut conn, &event).await?;
            }
            tracing::info!("login failed");
            crate::metrics::login_failed();
            login_refused(
                &session,
                username,
                StatusCode::UNAUTHORIZED,
                LOGIN_FAILED.to_owned(),
            )
            .await
        }
    }
}

/// The login form again, with what was typed (never the password) and why it failed.
async fn login_refused(
    session: &Session,
    username: &str,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let csrf = crate::web::kit::csrf::token_of(session).await?;
    let page = LoginPage {
        layout: Layout::anonymous(csrf),
        username: username.chars().take(MAX_USERNAME).collect(),
        error: Some(message),
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(session: Session, CsrfForm(_): CsrfForm<Empty>) -> Result<Redirect, AppError> {
    session::logout(&session).await?;
    Ok(Redirect::to("/accedi"))
}
