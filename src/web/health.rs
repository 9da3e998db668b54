//! Liveness and readiness probes, and the Prometheus metrics.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers within two seconds and accepts writes (a portal on a standby or
/// a read-only server cannot log anyone in: every request writes its session).
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let ask = sqlx::query_scalar::<_, String>("SELECT current_setting('transaction_read_only')")
        .fetch_one(&state.pool);
    match tokio::time::timeout(Duration::from_secs(2), ask).await {
        Ok(Ok(read_only)) if read_only == "off" => (StatusCode::OK, "ok"),
        Ok(Ok(_)) => (StatusCode::SERVICE_UNAVAILABLE, "database in sola lettura"),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database non raggiungibile",
        ),
    }
}

/// Prometheus text format.
async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    match crate::db::outbox::queue_stats(&state.pool).await {
        Ok((queued, oldest)) => crate::metrics::outbox_gauges(queued, oldest),
        Err(e) => tracing::warn!(error = %e, "outbox gauges not refreshed"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::handle().render(),
    )
}
