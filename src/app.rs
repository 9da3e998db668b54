//! Builds the application (state, router, layers), serves it, runs the notification
//! worker beside it, and shuts both down gracefully.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::auth::PasswordHasher;
use crate::auth::factors::passkey::RelyingParty;
use crate::auth::session::IDLE_LIFETIME;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::session_store::SessionRows;
use crate::notify::{Transports, worker};
use crate::web::{self, AppState};

/// Strict CSP: no inline script or style, nothing from elsewhere, never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A bound, ready-to-run portal.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// The connections of the worker and the session cleanup ([`crate::db::background_pool`]).
    background_pool: PgPool,
}

impl Application {
    /// Connects (creating and migrating the database), binds `config.bind_addr`
    /// (port 0 picks a free port) and assembles the router.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let pool = crate::db::connect_and_migrate(&config.database_url).await?;
        Self::build_with_pool(config, pool).await
    }

    pub async fn build_with_pool(config: Config, pool: PgPool) -> anyhow::Result<Application> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        crate::metrics::handle();
        let passkeys = RelyingParty::of(&config.public_base_url)
            .context("PUBLIC_BASE_URL non valido come relying party WebAuthn")?;
        if passkeys.is_none() {
            tracing::warn!(
                "PUBLIC_BASE_URL has an IP-address host: browsers refuse passkeys there, so they are not offered"
            );
        }
        if config.trusted_proxies.is_empty() {
            tracing::info!(
                "TRUSTED_PROXIES is empty: the TCP peer is the client (behind a reverse proxy every client would share the proxy's address: set it)"
            );
        } else {
            tracing::info!(trusted_proxies = %config.trusted_proxies, "X-Forwarded-For is believed from these proxies only");
        }
        let csrf_key = crate::db::secrets::get_or_create(
            &pool,
            crate::web::kit::csrf::KEY_NAME,
            &rand::RngExt::random::<[u8; 32]>(&mut rand::rng()),
        )
        .await
        .context("chiave CSRF condivisa (portal_secrets)")?;
        let state = AppState {
            anonymous_csrf: crate::web::kit::csrf::AnonymousCsrf::new(&csrf_key, config.is_https()),
            client_limit: crate::web::kit::client_limit::ClientLimit::per_minute(
                config.client_requests_per_minute,
            ),
            passkeys: passkeys.map(Arc::new),
            transports: Transports::from_settings(&config.notify, pool.clone())?,
            hasher: PasswordHasher::new(cores)?,
            config: Arc::new(config),
            pool,
            clock: Clock::system(),
        };
        let listener = TcpListener::bind(state.config.bind_addr)
            .await
            .with_context(|| format!("impossibile ascoltare su {}", state.config.bind_addr))?;
        let router = router(state.clone());
        Ok(Application {
            listener,
            router,
            background_pool: crate::db::background_pool(&state.pool),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The assembled router with its layers, to drive it without the network (the router
    /// fuzz target sends each input through it with `tower::ServiceExt::oneshot`).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub fn pool(&self) -> &PgPool {
        &self.state.pool
    }

    /// The transports the outbox worker delivers through (tests run it on demand).
    pub fn transports(&self) -> &Transports {
        &self.state.transports
    }

    /// The clock every use case of this application reads (tests move it forward).
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The worker of this application (tests run it on demand with [`worker::drain`]).
    pub fn worker(&self) -> worker::Worker {
        worker::Worker {
            pool: self.background_pool.clone(),
            transports: self.state.transports.clone(),
            settings: worker::WorkerSettings::from(&self.state.config.notify),
            config: self.state.config.clone(),
            clock: self.state.clock.clone(),
            last_scan: Default::default(),
        }
    }

    /// Serves HTTP, runs the outbox worker and deletes expired sessions until `shutdown` completes; then stops
    /// taking requests, lets in-flight requests and deliveries finish, and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        // Off only in in-process tests, which run the pending work on demand.
        let worker = self
            .state
            .config
            .background_worker
            .then(|| tokio::spawn(worker::run(self.worker(), stop.clone().cancelled_owned())));
        let cleanup = tokio::spawn(delete_expired_sessions(
            PostgresStore::new(self.background_pool.clone()),
            self.state.config.session_cleanup_interval,
        ));
        let forget_idle_clients = self
            .state
            .client_limit
            .clone()
            .map(|limit| tokio::spawn(limit.forget_idle_every(Duration::from_secs(60))));
        tracing::info!(addr = %self.listener.local_addr()?, "Area Clienti in ascolto");
        let stop_serving = stop.clone();
        crate::http_server::serve(
            self.listener,
            self.router,
            self.state.config.header_read_timeout,
            async move {
                shutdown.await;
                stop_serving.cancel();
            },
        )
        .await;
        stop.cancel();
        cleanup.abort();
        if let Some(task) = forget_idle_clients {
            task.abort();
        }
        if let Some(worker) = worker {
            worker.await.context("outbox worker panicked")?;
        }
        Ok(())
    }
}

fn router(state: AppState) -> Router {
    let https = state.config.is_https();
    let (sessions, staff_sessions) = session_layers(&state.pool, https);
    let router = web::router(&state)
        .layer(sessions)
        .merge(web::support::router().layer(staff_sessions))
        .merge(web::assets::router())
        .layer(axum::middleware::from_fn_with_state(
            state.anonymous_csrf.clone(),
            crate::web::kit::csrf::anonymous_cookie,
        ))
        .layer(axum::middleware::from_fn(session_store_failures))
        // Outside the sessions: a refused request costs no database work.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::kit::client_limit::per_client,
        ))
        .fallback(|| async { crate::web::error::AppError::NotFound })
        // Inside the header layers, so a timed-out answer carries the security headers too.
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(crate::metrics::track_requests));
    with_security_headers(router, https)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        // Outside the trace layer, whose span names the id.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::kit::request_id::assign,
        ))
        .with_state(state)
}

/// The session layers answer a bare 500 when they cannot save a session: the database is
/// busy or unreachable, so the client hears 503 with Retry-After, as from a handler. (Every
/// other 5xx of the portal is a page with a content type.)
async fn session_store_failures(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if response.status() == axum::http::StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        return crate::web::error::database_busy();
    }
    response
}

/// The customers' session cookie and the staff's, which is scoped to /assistenza so the two
/// sessions never mix.
fn session_layers(
    pool: &PgPool,
    https: bool,
) -> (
    SessionManagerLayer<SessionRows>,
    SessionManagerLayer<SessionRows>,
) {
    let sessions = SessionManagerLayer::new(SessionRows::new(pool.clone()))
        .with_name(if https {
            "__Host-area_clienti"
        } else {
            "area_clienti"
        })
        .with_secure(https)
        .with_http_only(true)
        // Lax, not Strict: the first page after following the emailed link must see the session.
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(IDLE_LIFETIME));
    let staff_sessions = SessionManagerLayer::new(SessionRows::new(pool.clone()))
        .with_name(if https {
            "__Host-area_clienti_assistenza"
        } else {
            "area_clienti_assistenza"
        })
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Strict)
        .with_path(if https { "/" } else { "/assistenza" })
        .with_expiry(Expiry::OnInactivity(IDLE_LIFETIME));
    (sessions, staff_sessions)
}

/// The headers every answer carries (HSTS only over HTTPS).
fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    https: bool,
) -> Router<S> {
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if https {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
}

/// The request span names the route pattern, never the concrete path: paths may carry
/// link tokens, which must not reach the logs.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("<nessuna rotta>", |p| p.as_str());
    let request_id = crate::web::kit::request_id::of(request);
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

/// Deletes the expired sessions every `interval`, for as long as the portal runs: a failed
/// round (database restarting, failing over, busy) is logged and the next one tries again.
async fn delete_expired_sessions(store: PostgresStore, interval: Duration) {
    use tower_sessions::ExpiredDeletion;
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match store.delete_expired().await {
            Ok(()) => tracing::debug!("expired sessions deleted"),
            Err(error) => tracing::warn!(
                %error,
                "expired session cleanup failed; retrying in {} s",
                interval.as_secs()
            ),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutdown requested: finishing in-flight requests and deliveries");
}
