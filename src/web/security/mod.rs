//! "Sicurezza" (`/area-clienti/sicurezza…`): the user's second factors, sessions and last
//! accesses. The authenticator app is enrolled in two steps (password, then a code from the
//! app proving it was set up); recovery codes are shown once, when issued. Use cases in
//! `auth::factors`; sessions in `sessions.rs` (`auth::session_list`).

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
use super::account::layout_for;
use super::pages::{FormErrors, Layout};
use crate::actor::Actor;
use crate::auth::factors::{self, Holder};
use crate::auth::login::{self, LoginOutcome};
use crate::db::factors::Owner;
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{ClientAddr, CsrfForm, CurrentUser, flash};
use crate::web::outcome;

mod enrol;
mod passkey;

pub(crate) use passkey::refusal as passkey_refusal;
mod sessions;

pub(crate) use enrol::{AppEnrolPage, CodeForm, WRONG_ENROLMENT_CODE};

pub(super) const SECURITY: &str = "/area-clienti/sicurezza";
/// Session key of the secret being enrolled (until a code from the app confirms it).
pub(crate) const ENROLMENT_KEY: &str = "totp_enrolment";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(SECURITY, get(overview))
        .route("/area-clienti/sicurezza/attiva", get(enrol::required))
        .route("/area-clienti/sicurezza/app", post(enrol::start_app))
        .route(
            "/area-clienti/sicurezza/app/conferma",
            post(enrol::confirm_app),
        )
        .route("/area-clienti/sicurezza/app/rimuovi", post(remove_app))
        .route(
            "/area-clienti/sicurezza/codici-recupero",
            post(regenerate_codes),
        )
        .route(passkey::PAGE, get(passkey::page).post(passkey::start))
        .route(
            "/area-clienti/sicurezza/passkey/opzioni",
            post(passkey::options),
        )
        .route(
            "/area-clienti/sicurezza/passkey/conferma",
            post(passkey::confirm),
        )
        .route(
            "/area-clienti/sicurezza/passkey/codici",
            get(passkey::codes),
        )
        .route(
            "/area-clienti/sicurezza/passkey/rimuovi",
            post(passkey::remove),
        )
        .route(
            "/area-clienti/sicurezza/sessioni/{id}/termina",
            post(sessions::end_one),
        )
        .route(
            "/area-clienti/sicurezza/sessioni/termina-altre",
            post(sessions::end_others),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "account/security.html")]
pub struct SecurityPage {
    pub layout: Layout,
    pub flash: Option<String>,
    pub app_since: Option<String>,
    /// Why passkeys are not offered (an IP-address host), or `None` when they are.
    pub passkeys_unavailable: Option<&'static str>,
    pub passkeys: Vec<PasskeyRow>,
    pub recovery_codes_left: i64,
    /// Which form the error below belongs to: `app`, `rimuovi`, `codici`, `passkey` or
    /// `passkey-rimuovi`.
    pub failed_form: &'static str,
    pub errors: FormErrors,
    pub activity: sessions::Activity,
}

/// A passkey as Sicurezza lists it.
pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub added: String,
    pub last_used: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub layout: Layout,
    pub app_enrolled: bool,
    pub codes: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn security_page(
    state: &AppState,
    user: &User,
    session: &Session,
    flash: Option<String>,
    failed: (&'static str, FormErrors),
) -> Result<SecurityPage, AppError> {
    let csrf = crate::web::kit::csrf::logged_in_token(session).await?;
    let current = crate::auth::session::key_of(session).await?;
    let mut conn = state.pool.acquire().await?;
    let enrolled = factors::enrolled(&mut conn, Owner::User(user.id)).await?;
    let activity = sessions::activity(&mut conn, user, current).await?;
    Ok(SecurityPage {
        activity,
        layout: layout_for(user, csrf),
        flash,
        app_since: enrolled.app_since.map(crate::clock::in_rome_date),
        passkeys_unavailable: state
            .passkeys
            .is_none()
            .then_some(outcome::PASSKEYS_NEED_A_DOMAIN),
        passkeys: enrolled
            .passkeys
            .iter()
            .map(|p| PasskeyRow {
                id: p.id.to_string(),
                name: p.name.clone(),
                added: crate::clock::in_rome_date(p.created_at),
                last_used: p.last_used_at.map(crate::clock::in_rome_date),
            })
            .collect(),
        recovery_codes_left: enrolled.recovery_codes_left,
        failed_form: failed.0,
        errors: failed.1,
    })
}

async fn overview(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
) -> Result<SecurityPage, AppError> {
    let flash = flash::take(&session).await?;
    security_page(&state, &user, &session, flash, ("", FormErrors::default())).await
}

/// Whether a new factor may be enrolled from Sicurezza: not while a reset waits for its
/// link (back to Sicurezza with why), and only with the current password (else the page
/// with the reason next to `form`'s field).
pub(super) async fn may_enrol(
    state: &AppState,
    session: &Session,
    user: &User,
    password: &str,
    client: Option<&str>,
    form: &'static str,
) -> Result<Option<Response>, AppError> {
    if factors::reset_pending(&mut *state.pool.acquire().await?, user.id).await? {
        flash::set(session, outcome::ENROL_AFTER_RESET_BY_LINK.to_owned()).await?;
        return Ok(Some(Redirect::to(SECURITY).into_response()));
    }
    password_checked(state, session, user, password, client, form).await
}

/// The current password again, or the Sicurezza page with the reason next to `form`'s field.
pub(super) async fn password_checked(
    state: &AppState,
    session: &Session,
    user: &User,
    password: &str,
    client: Option<&str>,
    form: &'static str,
) -> Result<Option<Response>, AppError> {
    let message =
        match login::reauthenticate(&state.pool, &state.hasher, user, password, client).await? {
            LoginOutcome::LoggedIn(()) => return Ok(None),
            LoginOutcome::Refused => outcome::WRONG_CURRENT_PASSWORD.to_owned(),
            LoginOutcome::Throttled { wait_secs } => outcome::current_password_throttled(wait_secs),
        };
    let mut errors = FormErrors::default();
    errors.add("password", message);
    let page = security_page(state, user, session, None, (form, errors)).await?;
    Ok(Some(
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
    ))
}

/// The recovery codes, shown once; `layout` says whose (a customer's or an operator's),
/// and so where the page leads on.
pub(crate) fn codes_page(layout: Layout, app_enrolled: bool, codes: Vec<String>) -> Response {
    let page = RecoveryCodesPage {
        layout,
        app_enrolled,
        codes,
    };
    // Shown once: never from a cache.
    ([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response()
}

async fn remove_app(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let typed = client.as_deref();
    if let Some(refused) =
        password_checked(&state, &session, &user, &form.password, typed, "rimuovi").await?
    {
        return Ok(refused);
    }
    let actor = Actor::user(user.id, &user.username, client);
    if factors::remove_app(&state.pool, Holder::User(&user), &actor).await? {
        flash::set(&session, outcome::APP_REMOVED.to_owned()).await?;
    }
    Ok(Redirect::to(SECURITY).into_response())
}

async fn regenerate_codes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let typed = client.as_deref();
    if let Some(refused) =
        password_checked(&state, &session, &user, &form.password, typed, "codici").await?
    {
        return Ok(refused);
    }
    let actor = Actor::user(user.id, &user.username, client);
    let now = state.clock.now();
    let holder = Holder::User(&user);
    let regenerated = factors::regenerate_recovery_codes(&state.pool, holder, &actor, now).await?;
    let Some(codes) = regenerated else {
        return Ok(Redirect::to(SECURITY).into_response());
    };
    let csrf = csrf.token().await?;
    Ok(codes_page(layout_for(&user, csrf), false, codes))
}
