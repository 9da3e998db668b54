//! HTTP handlers by area. Each area exposes `router()`; [`router`] merges them.
//! Handlers parse the request into domain types, call a use case, and render.

pub mod account;
pub mod activation;
pub mod api;
pub mod assets;
pub mod company;
pub mod dev_mailbox;
pub mod email_confirmation;
pub mod error;
pub mod health;
pub mod invitations;
pub mod kit;
pub mod outcome;
pub mod own_account;
pub mod own_contacts;
pub mod pages;
pub mod passkey_login;
pub mod public;
pub mod recovery;
pub mod reenrolment;
pub mod second_step;
pub mod security;
pub mod step_up;
pub mod support;
pub mod support_access;
pub mod support_factors;
pub mod support_views;
pub mod user_management;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use sqlx::PgPool;

use crate::auth::PasswordHasher;
use crate::auth::factors::passkey::RelyingParty;
use crate::clock::Clock;
use crate::config::Config;
use crate::notify::Transports;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub hasher: PasswordHasher,
    pub transports: Transports,
    pub clock: Clock,
    /// The portal as a WebAuthn relying party; `None` on an IP-address host, where browsers
    /// refuse passkeys (the pages then say why).
    pub passkeys: Option<Arc<RelyingParty>>,
    /// Signs the CSRF cookie of visitors without a session (`kit::csrf`).
    pub anonymous_csrf: kit::csrf::AnonymousCsrf,
    /// `CLIENT_REQUESTS_PER_MINUTE`, when not 0 (`kit::client_limit`).
    pub client_limit: Option<kit::client_limit::ClientLimit>,
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> PgPool {
        state.pool.clone()
    }
}

/// All routes of the portal (layers are added by `app`).
pub fn router(state: &AppState) -> Router<AppState> {
    // Changing factors, own contacts or password, and every Gestione Utenze action need a
    // recent login or confirmation (step-up, CONTRACT.md §4b).
    let recent = || axum::middleware::from_fn_with_state(state.clone(), step_up::require_recent);
    let sensitive = Router::new()
        .merge(own_account::router())
        .merge(security::router())
        .merge(user_management::router())
        .route_layer(recent());
    let mut router = Router::new()
        .merge(public::router())
        .merge(activation::router())
        .merge(recovery::router())
        .merge(reenrolment::router())
        .merge(email_confirmation::router())
        .merge(account::router())
        .merge(company::router())
        .merge(second_step::router())
        .merge(passkey_login::router())
        .merge(step_up::router())
        .merge(sensitive)
        .merge(health::router())
        .nest("/api/v1", api::router());
    // The dev mailbox shows links and codes: only for a portal reachable from this machine.
    if state.transports.dev_mode() && state.config.bind_addr.ip().is_loopback() {
        router = router.merge(dev_mailbox::router());
    } else if state.transports.dev_mode() {
        tracing::warn!(
            "/dev/posta not served: the portal listens beyond this machine; dev-mode messages stay in the dev_mailbox table"
        );
    }
    router
}
