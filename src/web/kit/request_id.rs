//! The request id: one per request, in its log lines (the `request` span) and in the
//! answer's `X-Request-Id`, so a user's report, the proxy's access log and the portal's log
//! meet. Behind a trusted proxy the id it sent is kept (nginx: `$request_id`); anyone
//! else's is replaced, so no client can make its requests look like another's.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::web::AppState;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware: gives the request its id (a proxy's, or a new UUID) and the answer the same.
pub async fn assign(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let from_trusted_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ci| state.config.trusted_proxies.contains(ci.0.ip()));
    let kept = from_trusted_proxy
        .then(|| request.headers().get(&HEADER))
        .flatten()
        .filter(|v| well_formed(v))
        .cloned();
    let id = kept.unwrap_or_else(|| {
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a header value")
    });
    request.headers_mut().insert(HEADER, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(HEADER, id);
    response
}

/// The id of a request [`assign`] saw, for its log span.
pub fn of(request: &Request) -> &str {
    request
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A proxy's id is kept only when it is short and plain (it goes into every log line).
fn well_formed(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        for kept in ["5f1c0e2a9b7d4c3e8a6f0b1d2c3e4f5a", "req-1.a_b"] {
            assert!(well_formed(&HeaderValue::from_static(kept)), "{kept}");
        }
        let long = "a".repeat(65);
        for replaced in ["", "due parole", "a\"b", "<script>", long.as_str()] {
            let value = HeaderValue::from_str(replaced).unwrap();
            assert!(!well_formed(&value), "{replaced}");
        }
    }
}
