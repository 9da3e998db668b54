//! The one error of the internal JSON API: each variant documents its status, and every
//! answer has the `{"errors": [{"field", "message"}]}` shape of CONTRACT.md. Use-case errors
//! become an `ApiError` here, in one `From` each. Internal errors are logged with an id and
//! never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::contracts::events::EventError;
use crate::contracts::{FieldError, IngestError};
use crate::notify::receipts::ReceiptError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: the API does not exist (no token configured).
    #[error("api disabled")]
    Disabled,
    /// 401: missing or wrong bearer token.
    #[error("unauthorized")]
    Unauthorized,
    /// The body could not be read (its status: 413 over the limit, 400 otherwise).
    #[error("unreadable body")]
    UnreadableBody { status: StatusCode, max_mib: usize },
    /// 415: not `application/json`.
    #[error("not json")]
    NotJson,
    /// 422: the fields that are wrong, each with its Italian message.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// 409: the `contract_id` was used for a contract with other data.
    #[error("conflict")]
    Conflict,
    /// 404: the event names a company or a number the portal does not have (open).
    #[error("not found")]
    NotFound {
        field: &'static str,
        message: String,
    },
    /// 409: the `event_id` was used for another event, or with other data.
    #[error("event conflict")]
    EventConflict,
    /// 500: logged with an id, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Invalid(list) => ApiError::Invalid(list),
            IngestError::Conflict => ApiError::Conflict,
            IngestError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<EventError> for ApiError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::Invalid(list) => ApiError::Invalid(list),
            EventError::NotFound { field, message } => ApiError::NotFound { field, message },
            EventError::Conflict => ApiError::EventConflict,
            EventError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<ReceiptError> for ApiError {
    fn from(e: ReceiptError) -> Self {
        match e {
            ReceiptError::Invalid(list) => ApiError::Invalid(list),
            ReceiptError::UnknownMessage => ApiError::NotFound {
                field: "message_id",
                message: "Nessun messaggio con questo identificativo".to_owned(),
            },
            ReceiptError::Internal(e) => ApiError::Internal(e),
        }
    }
}

fn one(field: &str, message: String) -> Vec<FieldError> {
    vec![FieldError {
        field: field.to_owned(),
        message,
    }]
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, errors) = match self {
            ApiError::Disabled => return StatusCode::NOT_FOUND.into_response(),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                one("Authorization", "Token mancante o non valido".into()),
            ),
            ApiError::UnreadableBody { status, max_mib } => (
                status,
                one(
                    "body",
                    format!("Corpo della richiesta non leggibile o oltre {max_mib} MiB"),
                ),
            ),
            ApiError::NotJson => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                one(
                    "Content-Type",
                    "Il corpo deve essere JSON (application/json)".into(),
                ),
            ),
            ApiError::Invalid(list) => (StatusCode::UNPROCESSABLE_ENTITY, list),
            ApiError::Conflict => (
                StatusCode::CONFLICT,
                one(
                    "contract_id",
                    "Questo contract_id è già stato usato per un contratto con dati diversi".into(),
                ),
            ),
            ApiError::NotFound { field, message } => (StatusCode::NOT_FOUND, one(field, message)),
            ApiError::EventConflict => (
                StatusCode::CONFLICT,
                one(
                    "event_id",
                    "Questo event_id è già stato usato per un evento diverso o con dati diversi"
                        .into(),
                ),
            ),
            ApiError::Internal(e) if crate::db::is_pool_exhausted(&e) => {
                tracing::warn!("API request refused: no database connection free in time");
                crate::metrics::database_busy();
                let body = json!({ "errors": [{ "field": "", "message": "Servizio momentaneamente occupato: riprova tra qualche secondo" }] });
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static(
                        crate::web::error::DATABASE_BUSY_RETRY_AFTER_SECS,
                    ),
                );
                return response;
            }
            ApiError::Internal(e) => {
                let error_id = uuid::Uuid::new_v4();
                tracing::error!(%error_id, error = ?e, "internal API error");
                let body = json!({ "errors": [{ "field": "", "message": "Errore interno" }], "error_id": error_id });
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
            }
        };
        (status, Json(json!({ "errors": errors }))).into_response()
    }
}
