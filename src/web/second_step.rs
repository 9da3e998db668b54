//! `/accedi/verifica`: the second step of a login, after the right password of an account
//! with an authenticator app (use case in `auth::second_step`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::pages::Layout;
use crate::auth::second_step::{self, StepOutcome};
use crate::auth::session;
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, flash};
use crate::web::outcome;

pub const VERIFY: &str = "/accedi/verifica";

pub fn router() -> Router<AppState> {
    Router::new().route(VERIFY, get(form).post(verify))
}

/// After a password that was right (login, or a new password from Recupera Password): in
/// at once, or on to the second step when the account has a factor.
pub async fn after_password(
    session: &Session,
    user: &User,
    username: &str,
    second_step: bool,
) -> Result<Redirect, AppError> {
    if second_step {
        second_step::begin(session, user, username).await?;
        return Ok(Redirect::to(VERIFY));
    }
    session::login(session, user).await?;
    Ok(Redirect::to("/area-clienti"))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub error: Option<String>,
}

async fn form(session: Session, CsrfToken(csrf): CsrfToken) -> Result<Response, AppError> {
    if second_step::pending(&session).await?.is_none() {
        return Ok(Redirect::to("/accedi").into_response());
    }
    let page = VerifyPage {
        layout: Layout::anonymous(csrf),
        error: None,
    };
    Ok(page.into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn verify(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(pending) = second_step::pending(&session).await? else {
        flash::set(&session, outcome::login_step_expired().to_owned()).await?;
        return Ok(Redirect::to("/accedi").into_response());
    };
    let now = state.clock.now();
    let (pool, code) = (&state.pool, form.code.trim());
    match second_step::verify(pool, &session, pending, code, client.as_deref(), now).await? {
        StepOutcome::Passed(user, _) => {
            session::login(&session, &user).await?;
            Ok(Redirect::to("/area-clienti").into_response())
        }
        StepOutcome::Wrong { tries_left } => {
            let csrf = crate::web::kit::csrf::token_of(&session).await?;
            let page = VerifyPage {
                layout: Layout::anonymous(csrf),
                error: Some(outcome::wrong_second_factor(tries_left)),
            };
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        StepOutcome::Ended => {
            flash::set(&session, outcome::LOGIN_STEP_ENDED.to_owned()).await?;
            Ok(Redirect::to("/accedi").into_response())
        }
        StepOutcome::Throttled { wait_secs } => {
            flash::set(&session, outcome::login_throttled(wait_secs)).await?;
            Ok(Redirect::to("/accedi").into_response())
        }
    }
}
