//! Internal API for sales channels (bearer token): `POST /api/v1/contratti`, the events
//! after the first contract (CONTRACT.md §3b, `contracts::events`), and the delivery
//! receipts of the SMS gateway and the mail system (`notify::receipts`).
//! Answers are JSON; invalid input names its field (errors in [`ApiError`]).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

mod error;

pub use error::ApiError;

use super::AppState;
use crate::contracts::events::{self, Context, EventOutcome, Via};
use crate::contracts::{self, payload};
use crate::notify::receipts::{self, ReceiptPayload};

/// Large enough for a contract with the biggest customer's 20,000 lines.
const MAX_BODY: usize = 8 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contratti", post(create_contract))
        .route("/linee/{number}/cessazione", post(cease_line))
        .route(
            "/aziende/{vat_number}/rappresentante-legale",
            post(change_legal_representative),
        )
        .route("/aziende/{vat_number}/cessazione", post(close_company))
        .route("/notifiche/esiti", post(delivery_receipt))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // ASVS 14.4.2: a browser never renders an API answer inline.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CONTENT_DISPOSITION,
            axum::http::HeaderValue::from_static("attachment; filename=\"api.json\""),
        ))
}

/// Whether the request carries the configured bearer token.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.config.internal_api_token else {
        return Err(ApiError::Disabled);
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(sent.as_bytes().ct_eq(expected.expose_secret().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
}

#[tracing::instrument(skip_all)]
async fn create_contract(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let body = body.map_err(|rejection| ApiError::UnreadableBody {
        status: rejection.status(),
        max_mib: MAX_BODY / (1024 * 1024),
    })?;
    if !is_json(&headers) {
        return Err(ApiError::NotJson);
    }
    let payload = payload::parse_json(&body).map_err(|e| ApiError::Invalid(vec![e]))?;
    let outcome =
        contracts::ingest(&state.pool, &state.config, state.clock.now(), &payload).await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(outcome)).into_response())
}

/// The checks every event request passes before its body is parsed: token, readable body,
/// JSON.
fn event_body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    authorize(state, headers)?;
    let body = body.map_err(|rejection| ApiError::UnreadableBody {
        status: rejection.status(),
        max_mib: MAX_BODY / (1024 * 1024),
    })?;
    if !is_json(headers) {
        return Err(ApiError::NotJson);
    }
    payload::parse_json_as(&body).map_err(|e| ApiError::Invalid(vec![e]))
}

fn event_context(state: &AppState) -> Context<'_> {
    Context {
        pool: &state.pool,
        config: &state.config,
        now: state.clock.now(),
        via: Via::Api,
    }
}

fn event_answer(outcome: EventOutcome) -> Response {
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    (status, Json(outcome.body)).into_response()
}

#[tracing::instrument(skip_all)]
async fn cease_line(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let payload = event_body(&state, &headers, body)?;
    let ctx = event_context(&state);
    let outcome = events::line_cessation::cease_line(&ctx, &number, &payload).await?;
    Ok(event_answer(outcome))
}

#[tracing::instrument(skip_all)]
async fn change_legal_representative(
    State(state): State<AppState>,
    Path(vat_number): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let payload = event_body(&state, &headers, body)?;
    let ctx = event_context(&state);
    let outcome =
        events::legal_representative::change_legal_representative(&ctx, &vat_number, &payload)
            .await?;
    Ok(event_answer(outcome))
}

#[tracing::instrument(skip_all)]
async fn close_company(
    State(state): State<AppState>,
    Path(vat_number): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let payload = event_body(&state, &headers, body)?;
    let ctx = event_context(&state);
    let outcome = events::closure::close_company(&ctx, &vat_number, &payload).await?;
    Ok(event_answer(outcome))
}

#[tracing::instrument(skip_all)]
async fn delivery_receipt(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let payload: ReceiptPayload = event_body(&state, &headers, body)?;
    let receipt = payload.validate().map_err(ApiError::Invalid)?;
    let outcome = receipts::record(&state.pool, &receipt).await?;
    Ok((StatusCode::OK, Json(outcome)).into_response())
}
