//! The general cap on requests from one client address (ASVS 11.1.4): a scraper or a flood
//! from one address is answered 429 with Retry-After before any work is done, whatever the
//! route. The specific limits (login throttle, code and recovery caps) stay in PostgreSQL,
//! shared by every instance; this one guards each instance's own capacity, so it lives in
//! its memory (`governor`, a token bucket per address).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::client;
use crate::web::AppState;
use crate::web::error::AppError;

/// Routes outside the cap: the sales channels' API (its own bearer token, and a channel
/// sends in bulk from one address), the probes and the metrics a monitor polls, and the
/// static files a page pulls in (answered from memory).
const EXEMPT_PREFIXES: [&str; 5] = ["/api/", "/healthz", "/readyz", "/metrics", "/static/"];

/// Requests per minute per client address, with a burst of as many.
#[derive(Clone)]
pub struct ClientLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl ClientLimit {
    /// `None` when `per_minute` is 0 (no cap).
    pub fn per_minute(per_minute: u32) -> Option<ClientLimit> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
        Some(ClientLimit {
            limiter: Arc::new(RateLimiter::keyed(quota)),
        })
    }

    /// Whether `client` may make one more request now; otherwise how long until it may.
    fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets the addresses whose bucket is full again (they would start afresh anyway),
    /// every `interval`, for as long as the portal runs: memory follows the clients of the
    /// last minute, not every client ever seen.
    pub async fn forget_idle_every(self, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

/// Middleware: counts the request against its client's bucket (the client as
/// [`client::resolve`] names it, so behind a trusted proxy each client has its own).
pub async fn per_client(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (Some(limit), Some(ConnectInfo(peer))) = (
        state.client_limit.as_ref(),
        request.extensions().get::<ConnectInfo<SocketAddr>>(),
    ) else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if EXEMPT_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return next.run(request).await;
    }
    let forwarded = request.headers().get_all("x-forwarded-for");
    let client = client::resolve(peer.ip(), forwarded, &state.config.trusted_proxies);
    match limit.check(client) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::warn!("request refused: too many requests from one client address");
            crate::metrics::client_limited();
            let wait_secs = wait.as_secs().max(1);
            let mut response =
                AppError::TooManyRequests(crate::web::outcome::CLIENT_LIMITED).into_response();
            if let Ok(value) = HeaderValue::from_str(&wait_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_bucket_of_a_minutes_requests() {
        let limit = ClientLimit::per_minute(3).expect("a cap");
        let (one, other): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap());
        for _ in 0..3 {
            assert!(limit.check(one).is_ok());
        }
        let wait = limit.check(one).expect_err("the fourth waits");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(
            limit.check(other).is_ok(),
            "another address is not held back"
        );
    }

    #[test]
    fn zero_means_no_cap() {
        assert!(ClientLimit::per_minute(0).is_none());
    }
}
