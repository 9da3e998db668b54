//! Enrolling the authenticator app: from "Sicurezza" after the password, or at
//! `/area-clienti/sicurezza/attiva` right after a login or an activation when the profile
//! requires a second factor and the user has none (then no other page opens until done).
//! The new secret waits in the session until a code from the app confirms it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{ENROLMENT_KEY, PasswordForm, SECURITY, codes_page, may_enrol};
use crate::actor::Actor;
use crate::auth::factors::{self, EnrolError, Holder, totp};
use crate::auth::session;
use crate::db::users::User;
use crate::web::AppState;
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, CurrentUser, EnrollingUser, flash};
use crate::web::outcome;
use crate::web::pages::{FormErrors, Layout};

#[derive(Template, WebTemplate)]
#[template(path = "account/app_enrol.html")]
pub struct AppEnrolPage {
    pub layout: Layout,
    /// Enrolment the profile requires before anything else (no way out but "Esci"). The
    /// texts are an operator's when `layout.staff` is set.
    pub required: bool,
    /// Why a customer's is required: without a mobile no SMS code can stand in (otherwise
    /// the user came from the link sent after a reset of the factors).
    pub no_mobile: bool,
    /// Where the form with the app's code goes.
    pub confirm_action: &'static str,
    pub qr_svg: String,
    pub secret: String,
    /// A passkey may be enrolled instead (not on an IP-address host).
    pub passkeys: bool,
    pub errors: FormErrors,
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    pub code: String,
}

fn enrol_page(
    state: &AppState,
    enrolling: &EnrollingUser,
    csrf: String,
    secret: &[u8],
    errors: FormErrors,
) -> AppEnrolPage {
    let user = &enrolling.user;
    AppEnrolPage {
        layout: layout_for(user, csrf),
        required: enrolling.must_enrol,
        no_mobile: user.mobile.is_none(),
        confirm_action: "/area-clienti/sicurezza/app/conferma",
        qr_svg: totp::qr_svg(secret, &user.username).unwrap_or_default(),
        secret: totp::secret_text(secret),
        passkeys: state.passkeys.is_some(),
        errors,
    }
}

/// `/area-clienti/sicurezza/attiva`: the password was just typed (or set), so the QR code
/// is shown at once.
pub(super) async fn required(
    State(state): State<AppState>,
    enrolling: EnrollingUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<Response, AppError> {
    if !enrolling.must_enrol {
        return Ok(Redirect::to(SECURITY).into_response());
    }
    let secret = match session.get::<Vec<u8>>(ENROLMENT_KEY).await? {
        Some(secret) => secret,
        None => {
            let secret = totp::new_secret();
            session.insert(ENROLMENT_KEY, &secret).await?;
            secret
        }
    };
    Ok(enrol_page(&state, &enrolling, csrf, &secret, FormErrors::default()).into_response())
}

pub(super) async fn start_app(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let client = client.as_deref();
    if let Some(refused) = may_enrol(&state, &session, &user, &form.password, client, "app").await?
    {
        return Ok(refused);
    }
    let secret = totp::new_secret();
    session.insert(ENROLMENT_KEY, &secret).await?;
    let csrf = csrf.token().await?;
    let enrolling = EnrollingUser {
        user,
        must_enrol: false,
    };
    Ok(enrol_page(&state, &enrolling, csrf, &secret, FormErrors::default()).into_response())
}

pub(super) async fn confirm_app(
    State(state): State<AppState>,
    enrolling: EnrollingUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(secret) = session.get::<Vec<u8>>(ENROLMENT_KEY).await? else {
        return Ok(Redirect::to(SECURITY).into_response());
    };
    let user: &User = &enrolling.user;
    let actor = Actor::user(user.id, &user.username, client);
    let (now, code) = (state.clock.now(), form.code.trim());
    match factors::enrol_app(&state.pool, Holder::User(user), &actor, &secret, code, now).await {
        Ok(codes) => {
            session.remove::<Vec<u8>>(ENROLMENT_KEY).await?;
            session::enrolled(&session).await?;
            let Some(codes) = codes else {
                flash::set(&session, outcome::APP_ENROLLED.to_owned()).await?;
                return Ok(Redirect::to(SECURITY).into_response());
            };
            let csrf = csrf.token().await?;
            Ok(codes_page(layout_for(user, csrf), true, codes))
        }
        Err(EnrolError::WrongCode) => {
            let mut errors = FormErrors::default();
            errors.add("code", WRONG_ENROLMENT_CODE);
            let csrf = csrf.token().await?;
            let page = enrol_page(&state, &enrolling, csrf, &secret, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(EnrolError::AlreadyEnrolled) if enrolling.must_enrol => {
            // The app was enrolled from another browser meanwhile: this session proved the
            // password only, so it ends; the next login asks for that app's code.
            session::logout(&state.pool, &session).await?;
            flash::set(&session, outcome::APP_ENROLLED_ELSEWHERE.to_owned()).await?;
            Ok(Redirect::to("/accedi").into_response())
        }
        Err(EnrolError::AlreadyEnrolled) => {
            session.remove::<Vec<u8>>(ENROLMENT_KEY).await?;
            Ok(Redirect::to(SECURITY).into_response())
        }
        Err(EnrolError::ReenrolByLink) => {
            session.remove::<Vec<u8>>(ENROLMENT_KEY).await?;
            flash::set(&session, outcome::ENROL_AFTER_RESET_BY_LINK.to_owned()).await?;
            Ok(Redirect::to(SECURITY).into_response())
        }
        Err(EnrolError::Database(e)) => Err(e.into()),
    }
}

pub(crate) const WRONG_ENROLMENT_CODE: &str = "Il codice non corrisponde. Controlla di aver aggiunto l'account nell'app e inserisci il codice a 6 cifre che vedi ora.";
