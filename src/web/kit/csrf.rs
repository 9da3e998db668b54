//! CSRF protection. Every state-changing form sends a token back in `csrf_token`:
//!
//! - on a session that holds one (every logged-in session), the synchronizer-token pattern: the token lives in the server-side session;
//! - for a visitor without one (the login, recovery and activation pages), a signed
//!   double-submit cookie: the cookie carries a random value and the form its HMAC under
//!   a key all instances share (`portal_secrets`), so showing an anonymous form writes no
//!   session row. A value planted by a sibling host cannot be signed without the key, and
//!   login binds a new token to the session (`auth::session::bind_form_token`), so a
//!   token learnt before login is worth nothing after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::credentials::secret;
use crate::web::error::AppError;

use crate::auth::session::FORM_TOKEN_KEY as SESSION_KEY;
/// Name of the hidden form field.
pub const FIELD: &str = "csrf_token";
/// Forms are small; anything bigger is refused before parsing.
const MAX_FORM_BYTES: usize = 16 * 1024;
/// Name of the key in `portal_secrets`.
pub const KEY_NAME: &str = "csrf_cookie";
const COOKIE: &str = "area_clienti_csrf";
/// Over HTTPS, `__Host-` prefixed like the session cookie: only this host can set it.
const HTTPS_COOKIE: &str = "__Host-area_clienti_csrf";
/// A form page left open for a day can still be sent.
const COOKIE_LIFETIME: time::Duration = time::Duration::days(1);

/// What signs the anonymous visitors' cookie, and how that cookie is sent.
#[derive(Clone)]
pub struct AnonymousCsrf {
    key: Arc<Hmac<Sha256>>,
    https: bool,
}

impl AnonymousCsrf {
    pub fn new(key: &[u8], https: bool) -> AnonymousCsrf {
        let key = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        AnonymousCsrf {
            key: Arc::new(key),
            https,
        }
    }

    fn cookie_name(&self) -> &'static str {
        if self.https { HTTPS_COOKIE } else { COOKIE }
    }

    fn sign(&self, value: &str) -> String {
        let mut mac = (*self.key).clone();
        mac.update(b"area-clienti csrf v1:");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// The anonymous token of this request, put in its extensions by [`anonymous_cookie`].
#[derive(Clone)]
struct Anonymous {
    token: String,
    /// Set when a page showed the token while the cookie was not there yet: the answer then
    /// carries it.
    shown: Option<Arc<AtomicBool>>,
}

/// Middleware: reads the visitor's CSRF cookie (or draws a value for it) and, when the page
/// showed a token made from a new value, sets the cookie on the answer. Nothing is stored.
pub async fn anonymous_cookie(
    State(csrf): State<AnonymousCsrf>,
    mut request: Request,
    next: Next,
) -> Response {
    let sent = CookieJar::from_headers(request.headers())
        .get(csrf.cookie_name())
        .map(|c| c.value().to_owned())
        .filter(|v| secret::looks_like_link_token(v));
    let fresh = sent.is_none();
    let value = sent.unwrap_or_else(secret::new_link_token);
    let shown = fresh.then(|| Arc::new(AtomicBool::new(false)));
    request.extensions_mut().insert(Anonymous {
        token: csrf.sign(&value),
        shown: shown.clone(),
    });
    let mut response = next.run(request).await;
    if shown.is_some_and(|s| s.load(Ordering::Relaxed)) {
        let cookie = super::host_cookie(csrf.cookie_name(), value, csrf.https, COOKIE_LIFETIME);
        if let Ok(header) = cookie.parse() {
            response.headers_mut().append(SET_COOKIE, header);
        }
    }
    response
}

/// The CSRF context of a request: its session and its anonymous token.
#[derive(Clone)]
pub struct Csrf {
    session: Session,
    anonymous: Anonymous,
}

impl<S: Send + Sync> FromRequestParts<S> for Csrf {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| AppError::Internal(anyhow::anyhow!(msg)))?;
        let anonymous = parts
            .extensions
            .get::<Anonymous>()
            .cloned()
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("csrf::anonymous_cookie is not layered"))
            })?;
        Ok(Csrf { session, anonymous })
    }
}

impl Csrf {
    /// The token to put in this page's forms.
    pub async fn token(&self) -> Result<String, AppError> {
        if let Some(token) = self.bound().await? {
            return Ok(token);
        }
        if let Some(shown) = &self.anonymous.shown {
            shown.store(true, Ordering::Relaxed);
        }
        Ok(self.anonymous.token.clone())
    }

    /// Whether a urlencoded `body` carries this request's token (403 otherwise).
    pub async fn verify(&self, body: &Bytes) -> Result<(), AppError> {
        let sent = url::form_urlencoded::parse(body)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned());
        self.matches(sent).await
    }

    /// Whether `sent` (e.g. the `csrf_token` part of an upload) is this request's token
    /// (403 otherwise).
    pub async fn matches(&self, sent: Option<String>) -> Result<(), AppError> {
        let expected = self
            .bound()
            .await?
            .unwrap_or_else(|| self.anonymous.token.clone());
        match sent {
            Some(sent) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
            _ => {
                tracing::warn!("form refused: missing or wrong CSRF token");
                Err(AppError::Csrf)
            }
        }
    }

    async fn bound(&self) -> Result<Option<String>, AppError> {
        self.session
            .get::<String>(SESSION_KEY)
            .await
            .map_err(internal)
    }
}

/// The token of a logged-in session's forms, for a page that has only the session at hand
/// (a session that predates [`crate::auth::session::bind_form_token`] is given one now).
pub async fn logged_in_token(session: &Session) -> Result<String, AppError> {
    crate::auth::session::bind_form_token(session)
        .await
        .map_err(internal)
}

/// This request's CSRF token, to put in every form of the page.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let csrf = Csrf::from_request_parts(parts, state).await?;
        Ok(CsrfToken(csrf.token().await?))
    }
}

/// A urlencoded form whose `csrf_token` matched; otherwise 403, nothing done.
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let csrf = Csrf::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        csrf.verify(&bytes).await?;
        let form = serde_html_form::from_bytes(&bytes).map_err(|_| AppError::BadForm)?;
        Ok(CsrfForm(form))
    }
}

/// Header carrying the token on the JSON requests of the passkey script.
pub const HEADER: &str = "x-csrf-token";
/// The passkey ceremonies' answers are small.
const MAX_JSON_BYTES: usize = 32 * 1024;

/// A JSON body (a `fetch` of `static/js/passkey.js`) sent with the page's token in the
/// `X-CSRF-Token` header; otherwise 403, nothing done.
pub struct CsrfJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let csrf = Csrf::from_request_parts(&mut parts, state).await?;
        let sent = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        csrf.matches(sent).await?;
        let bytes = axum::body::to_bytes(body, MAX_JSON_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        let value = serde_json::from_slice(&bytes).map_err(|_| AppError::BadForm)?;
        Ok(CsrfJson(value))
    }
}

fn internal(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anonymous_token_is_the_cookie_value_signed_with_the_shared_key() {
        let one = AnonymousCsrf::new(&[7; 32], false);
        let same_key = AnonymousCsrf::new(&[7; 32], true);
        let other_key = AnonymousCsrf::new(&[8; 32], false);
        let value = secret::new_link_token();
        assert_eq!(one.sign(&value), same_key.sign(&value), "any instance");
        assert_ne!(one.sign(&value), other_key.sign(&value), "needs the key");
        assert_ne!(one.sign(&value), one.sign(&secret::new_link_token()));
        assert_ne!(one.sign(&value), value, "never the cookie itself");
    }
}
