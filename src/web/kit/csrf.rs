//! CSRF protection with the synchronizer-token pattern: a random token lives in the
//! server-side session and every state-changing form sends it back in `csrf_token`.
//! (A cookie-based double-submit crate would need one more shared secret across
//! instances; our sessions are already in PostgreSQL.)

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::web::error::AppError;

const SESSION_KEY: &str = "csrf";
/// Name of the hidden form field.
pub const FIELD: &str = "csrf_token";
/// Forms are small; anything bigger is refused before parsing.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The session's CSRF token, created on first use; put it in every form.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(CsrfToken(token_of(&session_of(parts, state).await?).await?))
    }
}

async fn session_of<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Session, AppError> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| AppError::Internal(anyhow::anyhow!(msg)))
}

/// Returns the session's token, creating one when missing.
pub async fn token_of(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(SESSION_KEY).await.map_err(internal)? {
        return Ok(token);
    }
    let token = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>());
    session
        .insert(SESSION_KEY, &token)
        .await
        .map_err(internal)?;
    Ok(token)
}

/// A urlencoded form whose `csrf_token` matched the session's; otherwise 403, nothing done.
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = session_of(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        verify(&session, &bytes).await?;
        let form = serde_html_form::from_bytes(&bytes).map_err(|_| AppError::BadForm)?;
        Ok(CsrfForm(form))
    }
}

/// Header carrying the token on the JSON requests of the passkey script.
pub const HEADER: &str = "x-csrf-token";
/// The passkey ceremonies' answers are small.
const MAX_JSON_BYTES: usize = 32 * 1024;

/// A JSON body (a `fetch` of `static/js/passkey.js`) sent with the session's token in the
/// `X-CSRF-Token` header; otherwise 403, nothing done.
pub struct CsrfJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = session_of(&mut parts, state).await?;
        let sent = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        matches(&session, sent).await?;
        let bytes = axum::body::to_bytes(body, MAX_JSON_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        let value = serde_json::from_slice(&bytes).map_err(|_| AppError::BadForm)?;
        Ok(CsrfJson(value))
    }
}

/// Whether a urlencoded `body` carries the session's token (403 otherwise).
pub(crate) async fn verify(session: &Session, body: &Bytes) -> Result<(), AppError> {
    let sent = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned());
    matches(session, sent).await
}

async fn matches(session: &Session, sent: Option<String>) -> Result<(), AppError> {
    let expected = session.get::<String>(SESSION_KEY).await.map_err(internal)?;
    match (sent, expected) {
        (Some(sent), Some(expected)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {
            Ok(())
        }
        _ => {
            tracing::warn!("form refused: missing or wrong CSRF token");
            Err(AppError::Csrf)
        }
    }
}

fn internal(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(e.into())
}
