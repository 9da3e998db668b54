//! Internal API for sales channels: `POST /api/v1/contratti` (bearer token).
//! Answers are JSON; invalid input names its field.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::ExposeSecret;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::contracts::{self, FieldError, IngestError, payload};

/// Large enough for a contract with the biggest customer's 20,000 lines.
const MAX_BODY: usize = 8 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contratti", post(create_contract))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // ASVS 14.4.2: a browser never renders an API answer inline.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CONTENT_DISPOSITION,
            axum::http::HeaderValue::from_static("attachment; filename=\"api.json\""),
        ))
}

fn errors(status: StatusCode, errors: Vec<FieldError>) -> Response {
    (status, Json(json!({ "errors": errors }))).into_response()
}

fn error(status: StatusCode, field: &str, message: &str) -> Response {
    errors(
        status,
        vec![FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        }],
    )
}

/// `None` when the request may go on; otherwise the answer to give.
fn authorize(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(expected) = &state.config.internal_api_token else {
        // The API does not exist when no token is configured.
        return Some(StatusCode::NOT_FOUND.into_response());
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(sent.as_bytes().ct_eq(expected.expose_secret().as_bytes())) {
        None
    } else {
        Some(error(
            StatusCode::UNAUTHORIZED,
            "Authorization",
            "Token mancante o non valido",
        ))
    }
}

#[tracing::instrument(skip_all)]
async fn create_contract(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(denied) = authorize(&state, &headers) {
        return denied;
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let message = format!(
                "Corpo della richiesta non leggibile o oltre {} MiB",
                MAX_BODY / (1024 * 1024)
            );
            return error(rejection.status(), "body", &message);
        }
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            "Il corpo deve essere JSON (application/json)",
        );
    }
    let payload = match payload::parse_json(&body) {
        Ok(p) => p,
        Err(e) => return errors(StatusCode::UNPROCESSABLE_ENTITY, vec![e]),
    };
    match contracts::ingest(&state.pool, &state.config, &payload).await {
        Ok(outcome) => {
            let status = if outcome.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(outcome)).into_response()
        }
        Err(IngestError::Invalid(list)) => errors(StatusCode::UNPROCESSABLE_ENTITY, list),
        Err(IngestError::Conflict) => error(
            StatusCode::CONFLICT,
            "contract_id",
            "Questo contract_id è già stato usato per un contratto con dati diversi",
        ),
        Err(IngestError::Internal(e)) => {
            let error_id = uuid::Uuid::new_v4();
            tracing::error!(%error_id, error = ?e, "contract ingestion failed");
            let body = json!({ "errors": [{ "field": "", "message": "Errore interno" }], "error_id": error_id });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}
