//! `/accedi/verifica`: the second step of a login, after the right password of an account
//! with an app, or whose profile requires a factor (use case in `auth::second_step`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::pages::Layout;
use crate::auth::factors::{self, Next};
use crate::auth::second_step::{self, PendingLogin, SmsOutcome, StepOutcome, StepPassed};
use crate::auth::session;
use crate::db::factors::Owner;
use crate::db::passkeys;
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::current::ENROL;
use crate::web::kit::{CsrfForm, CsrfToken, ThisBrowser, flash};
use crate::web::outcome;
use crate::web::step_up;

pub const VERIFY: &str = "/accedi/verifica";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(VERIFY, get(form).post(verify))
        .route("/accedi/verifica/sms", post(send_sms))
}

/// After a password that was right (login, or a new password from Recupera Password): in
/// at once, or on to the second step when the account has a factor. A password step ends
/// whatever login the browser had.
pub async fn after_password(
    state: &AppState,
    session: &Session,
    browser: &ThisBrowser,
    user: &User,
    username: &str,
    next: Next,
) -> Result<Response, AppError> {
    let (pool, config, origin) = (&state.pool, &state.config, browser.origin());
    match next {
        Next::SecondStep { strong } => {
            session::end_login(pool, session).await?;
            second_step::begin(session, user, username, strong).await?;
            Ok(Redirect::to(VERIFY).into_response())
        }
        Next::MustEnrol => {
            session::login_to_enrol(pool, config, session, user, &origin).await?;
            step_up::landing(state, session, user).await?;
            Ok((browser.remembered(), Redirect::to(ENROL)).into_response())
        }
        Next::LoggedIn => {
            session::login(pool, config, session, user, &origin).await?;
            let to = step_up::landing(state, session, user).await?;
            Ok((browser.remembered(), Redirect::to(&to)).into_response())
        }
        Next::ReenrolByLink => {
            session::end_login(pool, session).await?;
            flash::set(session, outcome::REENROL_BY_LINK.to_owned()).await?;
            Ok(Redirect::to("/accedi").into_response())
        }
    }
}

/// After a password set from an activation or recovery link (link + code): an enrolled app
/// is still asked (Recupera Password changes the password only), while the code just typed
/// came by SMS when the user has a mobile, and that is the SMS factor.
pub async fn after_new_password(
    state: &AppState,
    session: &Session,
    browser: &ThisBrowser,
    user: &User,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let strong = factors::has_strong_factor(&mut conn, Owner::User(user.id)).await?;
    drop(conn);
    let required = state.config.mfa_required(user.profile);
    let mobile = user.mobile.is_some();
    let next = factors::next_after_password(strong, required, mobile, mobile);
    after_password(state, session, browser, user, &user.username, next).await
}

#[derive(Template, WebTemplate)]
#[template(path = "public/verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    /// An app's code is asked (or a recovery code).
    pub has_app: bool,
    /// "Usa la passkey" is offered. Without app and passkey the code comes by SMS.
    pub has_passkey: bool,
    /// Where the last SMS code went ("+39 333 ••• 4567").
    pub sms_sent_to: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// Which strong factors the pending login's account has: what the page offers.
async fn strong_factors(
    state: &AppState,
    pending: &PendingLogin,
) -> Result<(bool, bool), AppError> {
    if !pending.strong {
        return Ok((false, false));
    }
    let owner = Owner::User(pending.user_id);
    let mut conn = state.pool.acquire().await?;
    let app = crate::db::factors::has_app(&mut conn, owner).await?;
    let passkey = state.passkeys.is_some() && passkeys::has_any(&mut conn, owner).await?;
    // Passkeys on a host where browsers refuse them: recovery codes still work.
    Ok((app || !passkey, passkey))
}

impl VerifyPage {
    fn of(
        pending: &PendingLogin,
        (has_app, has_passkey): (bool, bool),
        csrf: String,
        notice: Option<String>,
        error: Option<String>,
    ) -> Self {
        VerifyPage {
            layout: Layout::anonymous(csrf),
            has_app,
            has_passkey,
            sms_sent_to: pending.sms.as_ref().map(|s| s.masked_mobile.clone()),
            notice,
            error,
        }
    }
}

async fn form(
    State(state): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, AppError> {
    let Some(pending) = second_step::pending(&session).await? else {
        return Ok(Redirect::to("/accedi").into_response());
    };
    let notice = flash::take(&session).await?;
    let factors = strong_factors(&state, &pending).await?;
    Ok(VerifyPage::of(&pending, factors, csrf, notice, None).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn send_sms(
    State(state): State<AppState>,
    session: Session,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let Some(pending) = second_step::pending(&session).await? else {
        flash::set(&session, outcome::login_step_expired().to_owned()).await?;
        return Ok(Redirect::to("/accedi").into_response());
    };
    let notice =
        match second_step::send_sms(&state.pool, &session, pending, state.clock.now()).await? {
            SmsOutcome::Sent => None,
            SmsOutcome::TooSoon => Some(outcome::LOGIN_SMS_TOO_SOON.to_owned()),
            SmsOutcome::NotOffered => None,
        };
    if let Some(notice) = notice {
        flash::set(&session, notice).await?;
    }
    Ok(Redirect::to(VERIFY).into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn verify(
    State(state): State<AppState>,
    session: Session,
    browser: ThisBrowser,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(pending) = second_step::pending(&session).await? else {
        flash::set(&session, outcome::login_step_expired().to_owned()).await?;
        return Ok(Redirect::to("/accedi").into_response());
    };
    let now = state.clock.now();
    let (pool, config, code) = (&state.pool, &state.config, form.code.trim());
    let origin = browser.origin();
    match second_step::verify(pool, config, &session, pending, code, &origin, now).await? {
        StepOutcome::Passed(StepPassed { user, opened }, _) => {
            session::login_opened(&session, &user, opened).await?;
            let to = step_up::landing(&state, &session, &user).await?;
            Ok((browser.remembered(), Redirect::to(&to)).into_response())
        }
        StepOutcome::Wrong { tries_left } => {
            let csrf = csrf.token().await?;
            let pending = second_step::pending(&session).await?;
            let Some(pending) = pending else {
                return Ok(Redirect::to("/accedi").into_response());
            };
            let error = Some(outcome::wrong_second_factor(tries_left));
            let factors = strong_factors(&state, &pending).await?;
            let page = VerifyPage::of(&pending, factors, csrf, None, error);
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
