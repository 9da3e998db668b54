//! "Accedi con una passkey": on `/accedi` without a username (a discoverable credential
//! names its account), and on `/accedi/verifica` as the second step after the password.
//! `static/js/passkey.js` runs the ceremony against `/accedi/passkey/opzioni` and
//! `/accedi/passkey/conferma`; the state waits in the session between them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential,
};

use super::AppState;
use super::security::passkey_refusal as refusal;
use crate::auth::factors::passkey::RelyingParty;
use crate::auth::login::passwordless;
use crate::auth::second_step;
use crate::auth::session;
use crate::db::factors::Owner;
use crate::db::passkeys;
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::{CsrfJson, ThisBrowser};
use crate::web::outcome;

const CEREMONY_KEY: &str = "passkey_login";
const HOME: &str = "/area-clienti";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accedi/passkey/opzioni", post(options))
        .route("/accedi/passkey/conferma", post(confirm))
}

/// The ceremony in progress: a login without username, or the second step of `user_id`.
#[derive(Serialize, Deserialize)]
enum Ceremony {
    Login(DiscoverableAuthentication),
    SecondStep {
        user_id: Uuid,
        state: PasskeyAuthentication,
    },
}

#[derive(Deserialize)]
struct Start {
    /// From `/accedi/verifica`: the passkeys of the account whose password was right.
    #[serde(default)]
    second_step: bool,
}

fn relying_party(state: &AppState) -> Result<&RelyingParty, AppError> {
    state.passkeys.as_deref().ok_or(AppError::NotFound)
}

async fn options(
    State(state): State<AppState>,
    session: Session,
    CsrfJson(start): CsrfJson<Start>,
) -> Result<Response, AppError> {
    let relying_party = relying_party(&state)?;
    let internal = |e: webauthn_rs::prelude::WebauthnError| AppError::Internal(e.into());
    if !start.second_step {
        let (challenge, auth) = relying_party.start_login().map_err(internal)?;
        session.insert(CEREMONY_KEY, Ceremony::Login(auth)).await?;
        return Ok(Json(challenge).into_response());
    }
    let Some(pending) = second_step::pending(&session).await? else {
        return Ok(refusal(StatusCode::CONFLICT, outcome::login_step_expired()));
    };
    let mut conn = state.pool.acquire().await?;
    let stored = passkeys::of_owner(&mut conn, Owner::User(pending.user_id)).await?;
    drop(conn);
    if stored.is_empty() {
        return Ok(refusal(StatusCode::CONFLICT, outcome::PASSKEY_REFUSED));
    }
    let (challenge, auth) = relying_party.start_second_step(&stored).map_err(internal)?;
    let ceremony = Ceremony::SecondStep {
        user_id: pending.user_id,
        state: auth,
    };
    session.insert(CEREMONY_KEY, ceremony).await?;
    Ok(Json(challenge).into_response())
}

async fn confirm(
    State(state): State<AppState>,
    session: Session,
    browser: ThisBrowser,
    CsrfJson(credential): CsrfJson<PublicKeyCredential>,
) -> Result<Response, AppError> {
    let relying_party = relying_party(&state)?;
    let Some(ceremony) = session.remove::<Ceremony>(CEREMONY_KEY).await? else {
        return Ok(refusal(
            StatusCode::CONFLICT,
            outcome::PASSKEY_CEREMONY_EXPIRED,
        ));
    };
    let client = browser.origin().client_addr;
    let user = match ceremony {
        Ceremony::Login(auth) => {
            let Some(user_id) = discovered(&state, relying_party, &credential, auth).await? else {
                return Ok(refusal(StatusCode::UNAUTHORIZED, outcome::PASSKEY_REFUSED));
            };
            passwordless::with_passkey(&state.pool, user_id, client).await?
        }
        Ceremony::SecondStep {
            user_id,
            state: auth,
        } => {
            let pending = second_step::pending(&session).await?;
            let Some(pending) = pending.filter(|p| p.user_id == user_id) else {
                return Ok(refusal(StatusCode::CONFLICT, outcome::login_step_expired()));
            };
            let owner = Owner::User(user_id);
            if !answered(&state, relying_party, &credential, &auth, owner).await? {
                return Ok(refusal(StatusCode::UNAUTHORIZED, outcome::PASSKEY_REFUSED));
            }
            second_step::passed_with_passkey(&state.pool, &session, &pending, client).await?
        }
    };
    logged_in(&state, &session, &browser, user).await
}

async fn logged_in(
    state: &AppState,
    session: &Session,
    browser: &ThisBrowser,
    user: Option<User>,
) -> Result<Response, AppError> {
    let Some(user) = user else {
        return Ok(refusal(StatusCode::UNAUTHORIZED, outcome::PASSKEY_REFUSED));
    };
    session::login(
        &state.pool,
        &state.config,
        session,
        &user,
        &browser.origin(),
    )
    .await?;
    let answer = Json(json!({ "redirect": HOME }));
    Ok((browser.remembered(), answer).into_response())
}

/// The account whose passkey answered a usernameless login, its use recorded.
async fn discovered(
    state: &AppState,
    relying_party: &RelyingParty,
    credential: &PublicKeyCredential,
    auth: DiscoverableAuthentication,
) -> Result<Option<Uuid>, AppError> {
    let mut conn = state.pool.acquire().await?;
    let stored = passkeys::by_credential(&mut conn, credential.get_credential_id()).await?;
    let Some(stored) = stored else {
        tracing::info!("passkey login refused: unknown credential");
        return Ok(None);
    };
    let checked = relying_party
        .identify(credential, &stored)
        .and_then(|owner| {
            Ok((
                owner,
                relying_party.finish_login(credential, auth, &stored)?,
            ))
        });
    match checked {
        Ok((Owner::User(user_id), passkey)) => {
            passkeys::record_use(&mut conn, stored.id, &passkey, state.clock.now()).await?;
            Ok(Some(user_id))
        }
        // An operator's passkey opens the console only, never the Area Clienti.
        Ok((Owner::Staff(_), _)) => Ok(None),
        Err(e) => {
            tracing::info!(error = %e, "passkey login refused");
            Ok(None)
        }
    }
}

/// Whether one of `owner`'s passkeys answered the second step (its use then recorded).
async fn answered(
    state: &AppState,
    relying_party: &RelyingParty,
    credential: &PublicKeyCredential,
    auth: &PasskeyAuthentication,
    owner: Owner,
) -> Result<bool, AppError> {
    let mut conn = state.pool.acquire().await?;
    let stored = passkeys::of_owner(&mut conn, owner).await?;
    match relying_party.finish_second_step(credential, auth, &stored) {
        Ok((id, passkey)) => {
            passkeys::record_use(&mut conn, id, &passkey, state.clock.now()).await?;
            Ok(true)
        }
        Err(e) => {
            tracing::info!(error = %e, "passkey second step refused");
            Ok(false)
        }
    }
}
