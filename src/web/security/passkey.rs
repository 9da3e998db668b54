//! Adding and removing passkeys from "Sicurezza". Like the app: the password first (or the
//! login just done, on the required-enrolment page), then the page whose script
//! (`static/js/passkey.js`) runs the WebAuthn ceremony against the two JSON endpoints here.
//! The ceremony's state waits in the session between them.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use uuid::Uuid;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::{PasswordForm, SECURITY, codes_page, may_enrol, password_checked};
use crate::actor::Actor;
use crate::auth::factors::passkey::{self, RelyingParty};
use crate::auth::factors::passkey_enrolment::{self, PasskeyEnrolError};
use crate::auth::session;
use crate::db::factors::Owner;
use crate::db::passkeys;
use crate::web::AppState;
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::kit::{
    ClientAddr, CsrfForm, CsrfJson, CsrfToken, CurrentUser, EnrollingUser, flash,
};
use crate::web::outcome;
use crate::web::pages::Layout;

pub(super) const PAGE: &str = "/area-clienti/sicurezza/passkey";
const CODES_PAGE: &str = "/area-clienti/sicurezza/passkey/codici";
/// Session key: when the password was typed to add a passkey.
const ALLOWED_KEY: &str = "passkey_enrol_allowed_at";
/// Session key of the registration ceremony in progress.
const CEREMONY_KEY: &str = "passkey_registration";
/// Session key of the recovery codes issued with the first passkey, shown once.
const CODES_KEY: &str = "passkey_recovery_codes";
/// The password typed opens the passkey page for this long.
const ALLOWED_FOR: Duration = Duration::minutes(10);

#[derive(Template, WebTemplate)]
#[template(path = "account/passkey_enrol.html")]
pub struct PasskeyEnrolPage {
    pub layout: Layout,
    pub required: bool,
}

/// `POST /area-clienti/sicurezza/passkey`: the password, then the passkey page.
pub(super) async fn start(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let typed = client.as_deref();
    if let Some(refused) =
        may_enrol(&state, &session, &user, &form.password, typed, "passkey").await?
    {
        return Ok(refused);
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    session.insert(ALLOWED_KEY, now).await?;
    Ok(Redirect::to(PAGE).into_response())
}

/// Whether this session may add a passkey now: right after the password, or while
/// enrolling the factor the profile requires (the password was just typed).
async fn allowed(session: &Session, enrolling: &EnrollingUser) -> Result<bool, AppError> {
    if enrolling.must_enrol {
        return Ok(true);
    }
    let since: Option<i64> = session.get(ALLOWED_KEY).await?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    Ok(since.is_some_and(|t| now - t < ALLOWED_FOR.whole_seconds()))
}

pub(super) async fn page(
    State(state): State<AppState>,
    enrolling: EnrollingUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<Response, AppError> {
    if state.passkeys.is_none() || !allowed(&session, &enrolling).await? {
        return Ok(Redirect::to(SECURITY).into_response());
    }
    let page = PasskeyEnrolPage {
        layout: layout_for(&enrolling.user, csrf),
        required: enrolling.must_enrol,
    };
    Ok(page.into_response())
}

fn relying_party(state: &AppState) -> Result<&RelyingParty, AppError> {
    state.passkeys.as_deref().ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub(super) struct NoOptions {}

/// `POST …/passkey/opzioni`: the options for `navigator.credentials.create`.
pub(super) async fn options(
    State(state): State<AppState>,
    enrolling: EnrollingUser,
    session: Session,
    CsrfJson(_): CsrfJson<NoOptions>,
) -> Result<Response, AppError> {
    let relying_party = relying_party(&state)?;
    if !allowed(&session, &enrolling).await? {
        return Ok(refusal(
            StatusCode::FORBIDDEN,
            outcome::PASSKEY_CEREMONY_EXPIRED,
        ));
    }
    let user = &enrolling.user;
    let mut conn = state.pool.acquire().await?;
    let existing = passkeys::of_owner(&mut conn, Owner::User(user.id)).await?;
    drop(conn);
    let display = user.display_name();
    let (challenge, ceremony) = relying_party
        .start_registration(user.id, &user.username, &display, &existing)
        .map_err(|e| AppError::Internal(e.into()))?;
    session.insert(CEREMONY_KEY, ceremony).await?;
    Ok(Json(challenge).into_response())
}

#[derive(Deserialize)]
pub(super) struct Registered {
    credential: RegisterPublicKeyCredential,
    #[serde(default)]
    name: String,
}

/// `POST …/passkey/conferma`: the browser's answer; the passkey is recorded.
pub(super) async fn confirm(
    State(state): State<AppState>,
    enrolling: EnrollingUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfJson(answer): CsrfJson<Registered>,
) -> Result<Response, AppError> {
    let relying_party = relying_party(&state)?;
    let ceremony: Option<PasskeyRegistration> = session.remove(CEREMONY_KEY).await?;
    let Some(ceremony) = ceremony else {
        return Ok(refusal(
            StatusCode::CONFLICT,
            outcome::PASSKEY_CEREMONY_EXPIRED,
        ));
    };
    let user = &enrolling.user;
    let actor = Actor::user(user.id, &user.username, client);
    let name = passkey::clean_name(&answer.name);
    let now = state.clock.now();
    let ceremony = (&ceremony, &answer.credential);
    let enrolled = passkey_enrolment::enrol_passkey(
        &state.pool,
        relying_party,
        user,
        &actor,
        ceremony,
        &name,
        now,
    )
    .await;
    let next = match enrolled {
        Ok(Some(codes)) => {
            session.insert(CODES_KEY, codes).await?;
            CODES_PAGE
        }
        Ok(None) => {
            flash::set(&session, outcome::PASSKEY_ADDED.to_owned()).await?;
            SECURITY
        }
        Err(PasskeyEnrolError::Refused(e)) => {
            tracing::info!(user_id = %user.id, error = %e, "passkey registration refused");
            return Ok(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome::PASSKEY_REFUSED,
            ));
        }
        Err(PasskeyEnrolError::AlreadyRegistered) => {
            let message = outcome::PASSKEY_ALREADY_REGISTERED;
            return Ok(refusal(StatusCode::UNPROCESSABLE_ENTITY, message));
        }
        Err(PasskeyEnrolError::ReenrolByLink) => {
            let message = outcome::ENROL_AFTER_RESET_BY_LINK;
            return Ok(refusal(StatusCode::FORBIDDEN, message));
        }
        Err(PasskeyEnrolError::Database(e)) => return Err(e.into()),
    };
    session.remove::<i64>(ALLOWED_KEY).await?;
    session::enrolled(&session).await?;
    Ok(Json(json!({ "redirect": next })).into_response())
}

/// The recovery codes issued with the first passkey, once.
pub(super) async fn codes(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<Response, AppError> {
    let codes: Option<Vec<String>> = session.remove(CODES_KEY).await?;
    match codes {
        Some(codes) => Ok(codes_page(layout_for(&user, csrf), true, codes)),
        None => Ok(Redirect::to(SECURITY).into_response()),
    }
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    #[serde(default)]
    passkey: String,
    #[serde(default)]
    password: String,
}

/// `POST …/passkey/rimuovi`: fields `passkey` (which one) and `password`.
pub(super) async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<RemoveForm>,
) -> Result<Response, AppError> {
    let Ok(passkey_id) = Uuid::parse_str(form.passkey.trim()) else {
        return Err(AppError::NotFound);
    };
    let typed = client.as_deref();
    if let Some(refused) = password_checked(
        &state,
        &session,
        &user,
        &form.password,
        typed,
        "passkey-rimuovi",
    )
    .await?
    {
        return Ok(refused);
    }
    let actor = Actor::user(user.id, &user.username, client);
    if !passkey_enrolment::remove_passkey(&state.pool, &user, &actor, passkey_id).await? {
        return Err(AppError::NotFound);
    }
    flash::set(&session, outcome::PASSKEY_REMOVED.to_owned()).await?;
    Ok(Redirect::to(SECURITY).into_response())
}

/// A JSON refusal the script shows next to the button.
pub(crate) fn refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
