//! Prometheus metrics: requests by route and status with latency histograms, login
//! failures and throttling, deliveries by result, delivery receipts by status, and the outbox's depth and age
//! (read from the database at scrape time, so every instance reports the shared queue).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (installed once, whatever number of apps a test process runs).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".to_owned()),
                    &[
                        0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .expect("static bucket list")
                .install_recorder()
                .expect("the only metrics recorder of the process")
        })
        .clone()
}

/// Middleware: one count and one latency sample per request, labelled by route pattern
/// (never the concrete path, which may hold a token).
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

pub fn login_failed() {
    metrics::counter!("login_failures_total").increment(1);
}

/// A password check refused because every hashing thread was busy and the queue full.
pub fn hashing_overloaded() {
    metrics::counter!("password_hashing_overloaded_total").increment(1);
}

/// A request answered 503 because no database connection came free in time.
pub fn database_busy() {
    metrics::counter!("database_busy_total").increment(1);
}

/// A request refused by the general cap on requests from one client address.
pub fn client_limited() {
    metrics::counter!("client_limited_total").increment(1);
}

pub fn login_throttled() {
    metrics::counter!("login_throttled_total").increment(1);
}

/// `result`: `sent`, `retry` or `failed`.
pub fn delivery(channel: &'static str, result: &'static str) {
    metrics::counter!("outbox_deliveries_total", "channel" => channel, "result" => result)
        .increment(1);
}

/// A delivery receipt: `status` as received, `outcome` `recorded` or `repeated` (the same
/// receipt again, which changed nothing).
pub fn delivery_receipt(channel: &'static str, status: &'static str, outcome: &'static str) {
    metrics::counter!(
        "delivery_receipts_total",
        "channel" => channel,
        "status" => status,
        "outcome" => outcome
    )
    .increment(1);
}

/// A delivery receipt for an id the portal never gave a message (answered 404).
pub fn delivery_receipt_unknown() {
    metrics::counter!("delivery_receipts_unknown_total").increment(1);
}

/// Sets the outbox gauges just before a scrape.
pub fn outbox_gauges(queued: i64, oldest_age_secs: Option<f64>) {
    metrics::gauge!("outbox_queued_messages").set(queued as f64);
    metrics::gauge!("outbox_oldest_queued_age_seconds").set(oldest_age_secs.unwrap_or(0.0));
}
