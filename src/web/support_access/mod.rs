//! How an operator gets into the Servizio Clienti 191 console past the password (CONTRACT.md
//! §4b): the app's code (or a recovery code) at `/assistenza/accedi/verifica`, or, without
//! an app yet, its enrolment at `/assistenza/sicurezza/attiva` before any other page
//! (`enrol`). Use cases in `auth::staff_step` and `auth::factors`; the password step is in
//! `web::support`. These routes share the console's session layer (`web::support::router`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_sessions::Session;

use super::AppState;
use super::pages::Layout;
use super::security::CodeForm;
use crate::auth::factor_step::StepOutcome;
use crate::auth::factors::Next;
use crate::auth::login::StaffPasswordVerified;
use crate::auth::{staff, staff_step};
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::current::STAFF_ENROL;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, flash};
use crate::web::outcome;

mod enrol;

pub const STAFF_VERIFY: &str = "/assistenza/accedi/verifica";
const STAFF_LOGIN: &str = "/assistenza/accedi";
const CONSOLE: &str = "/assistenza";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(STAFF_VERIFY, get(form).post(verify))
        .route(STAFF_ENROL, get(enrol::form).post(enrol::confirm))
}

/// After the operator's right password: on to the app's code, or logged in only to enrol
/// an app. Never in on the password alone.
pub async fn after_password(
    session: &Session,
    verified: &StaffPasswordVerified,
    username: &str,
) -> Result<Redirect, AppError> {
    match verified.next {
        Next::MustEnrol => {
            staff::login_to_enrol(session, &verified.staff).await?;
            Ok(Redirect::to(STAFF_ENROL))
        }
        // `LoggedIn` and `ReenrolByLink` are never decided for staff; were they, the code
        // is still asked.
        Next::SecondStep { .. } | Next::LoggedIn | Next::ReenrolByLink => {
            staff_step::begin(session, &verified.staff, username).await?;
            Ok(Redirect::to(STAFF_VERIFY))
        }
    }
}

/// The console's second step: the app's code or a recovery code. A passkey, when operators
/// get one, is a second form on this page.
#[derive(Template, WebTemplate)]
#[template(path = "support/verify.html")]
pub struct StaffVerifyPage {
    pub layout: Layout,
    pub notice: Option<String>,
    pub error: Option<String>,
}

async fn form(session: Session, CsrfToken(csrf): CsrfToken) -> Result<Response, AppError> {
    if staff_step::pending(&session).await?.is_none() {
        return Ok(Redirect::to(STAFF_LOGIN).into_response());
    }
    let notice = flash::take(&session).await?;
    let page = StaffVerifyPage {
        layout: Layout::anonymous(csrf),
        notice,
        error: None,
    };
    Ok(page.into_response())
}

async fn verify(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(client): ClientAddr,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(pending) = staff_step::pending(&session).await? else {
        return back_to_login(&session, outcome::login_step_expired().to_owned()).await;
    };
    let (now, code, client) = (state.clock.now(), form.code.trim(), client.as_deref());
    match staff_step::verify(&state.pool, &session, pending, code, client, now).await? {
        StepOutcome::Passed(staff_user, _) => {
            staff::login(&session, &staff_user).await?;
            Ok(Redirect::to(CONSOLE).into_response())
        }
        StepOutcome::Wrong { tries_left } => {
            let page = StaffVerifyPage {
                layout: Layout::anonymous(csrf.token().await?),
                notice: None,
                error: Some(outcome::wrong_staff_code(tries_left)),
            };
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        StepOutcome::Ended => back_to_login(&session, outcome::LOGIN_STEP_ENDED.to_owned()).await,
        StepOutcome::Throttled { wait_secs } => {
            back_to_login(&session, outcome::staff_login_throttled(wait_secs)).await
        }
    }
}

/// Back to the password, with the reason on the login page.
async fn back_to_login(session: &Session, message: String) -> Result<Response, AppError> {
    flash::set(session, message).await?;
    Ok(Redirect::to(STAFF_LOGIN).into_response())
}
