//! The one error type of the web layer.
//!
//! Which variant to use:
//! - `NotFound`: the thing does not exist *for this user* (also another company's ids and
//!   actions above one's profile: we never say 403, so nothing leaks about what exists);
//! - `Csrf`: a state-changing form came without a valid CSRF token;
//! - `TooManyRequests`: a limit was hit; the message says when to try again;
//! - `LinkDead`: an emailed link that is expired, used or superseded (410);
//! - `Overloaded`: password hashing is at capacity (503 with Retry-After), from whichever
//!   handler hashed;
//! - `DatabaseBusy`: every database connection stayed busy (503 with Retry-After). Nobody
//!   builds it by hand: a pool timeout or an unreachable session store becomes it here;
//! - `Internal`: anything unexpected. It is logged with an error id; the page shows only the id.
//!
//! Validation errors are not errors here: handlers re-render their form with status 422.
//! Use-case errors become an `AppError` here, in one `From` each, and nowhere else.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::HashError;

/// A full hashing queue drains in well under a second.
const OVERLOAD_RETRY_AFTER_SECS: &str = "1";
/// A database at capacity needs a few seconds more than the hashing queue.
pub const DATABASE_BUSY_RETRY_AFTER_SECS: &str = "5";

pub use crate::credentials::DeadLink;
use crate::web::pages::ErrorPage;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404: missing, or not visible to this user.
    #[error("not found")]
    NotFound,
    /// 403: missing or wrong CSRF token.
    #[error("csrf token missing or invalid")]
    Csrf,
    /// 429 with an Italian explanation.
    #[error("too many requests")]
    TooManyRequests(&'static str),
    /// 400: a form body that could not be read at all (not a validation error).
    #[error("malformed form")]
    BadForm,
    /// 413: a body over the limit of its route.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 410 (404 for an unknown link) with the way forward.
    #[error("dead link: {0:?}")]
    LinkDead(DeadLink),
    /// 503 with Retry-After: password hashing is at capacity.
    #[error("password hashing at capacity")]
    Overloaded,
    /// 503 with Retry-After: no database connection came free in time.
    #[error("database busy")]
    DatabaseBusy,
    /// 500: logged with an id, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => AppError::DatabaseBusy,
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        use tower_sessions::session_store::Error as StoreError;
        match e {
            // The store keeps only the text of the database error: a busy or unreachable
            // database, both temporary for whoever is asking.
            tower_sessions::session::Error::Store(StoreError::Backend(cause)) => {
                tracing::warn!(error = %cause, "session store unavailable");
                AppError::DatabaseBusy
            }
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<HashError> for AppError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Overloaded => AppError::Overloaded,
            HashError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<crate::auth::login::LoginError> for AppError {
    fn from(e: crate::auth::login::LoginError) -> Self {
        match e {
            crate::auth::login::LoginError::Hashing(e) => e.into(),
            crate::auth::login::LoginError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<crate::credentials::LinkError> for AppError {
    fn from(e: crate::credentials::LinkError) -> Self {
        match e {
            crate::credentials::LinkError::Dead(reason) => AppError::LinkDead(reason),
            crate::credentials::LinkError::Hashing(e) => e.into(),
            crate::credentials::LinkError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, page) = match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorPage::new(
                    "Pagina non trovata",
                    "La pagina che cerchi non esiste o non è disponibile per il tuo profilo.",
                ),
            ),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                ErrorPage::new(
                    "Modulo scaduto",
                    "Per la tua sicurezza il modulo non è stato accettato perché è scaduto o non proviene da questo sito. Torna alla pagina precedente, ricaricala e riprova.",
                ),
            ),
            AppError::BadForm => (
                StatusCode::BAD_REQUEST,
                ErrorPage::new(
                    "Richiesta non valida",
                    "I dati inviati non sono leggibili. Torna alla pagina precedente, ricaricala e riprova.",
                ),
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorPage::new(
                    "Dati troppo grandi",
                    "Il modulo inviato supera la dimensione consentita. Controlla i dati inseriti e riprova.",
                ),
            ),
            AppError::TooManyRequests(message) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorPage::new("Troppe richieste", message),
            ),
            AppError::LinkDead(reason) => dead_link_page(reason),
            AppError::Overloaded => {
                tracing::warn!("password check refused: hashing at capacity");
                let page = ErrorPage::new(
                    "Servizio molto richiesto",
                    "In questo momento stiamo ricevendo molte richieste di accesso. Riprova tra qualche secondo: i dati inseriti non sono stati registrati.",
                );
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, page).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(OVERLOAD_RETRY_AFTER_SECS),
                );
                return response;
            }
            AppError::DatabaseBusy => return database_busy(),
            AppError::Internal(error) if crate::db::is_pool_exhausted(&error) => {
                return database_busy();
            }
            AppError::Internal(error) => {
                if let Some(database) = error.chain().find_map(|e| e.downcast_ref::<sqlx::Error>())
                {
                    crate::db::failover::note_error(database);
                }
                let error_id = uuid::Uuid::new_v4();
                tracing::error!(%error_id, error = ?error, "internal error");
                let mut page = ErrorPage::new(
                    "Si è verificato un errore",
                    "Non siamo riusciti a completare la richiesta. Riprova tra qualche minuto; se il problema continua, chiama il Servizio Clienti 191 indicando il codice errore.",
                );
                page.error_id = Some(error_id.to_string());
                (StatusCode::INTERNAL_SERVER_ERROR, page)
            }
        };
        (status, page).into_response()
    }
}

/// 503 + Retry-After: the database is at capacity; nothing of the request was kept.
pub fn database_busy() -> Response {
    tracing::warn!("request refused: no database connection free in time");
    crate::metrics::database_busy();
    let page = ErrorPage::new(
        "Servizio momentaneamente occupato",
        "In questo momento il servizio è molto richiesto e non è riuscito a rispondere. Riprova tra qualche secondo: i dati inseriti non sono stati registrati.",
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, page).into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(DATABASE_BUSY_RETRY_AFTER_SECS),
    );
    response
}

fn dead_link_page(reason: DeadLink) -> (StatusCode, ErrorPage) {
    let (status, title, message) = match reason {
        DeadLink::Unknown => (
            StatusCode::NOT_FOUND,
            "Link non valido",
            "Il link che hai aperto non è valido. Controlla di averlo copiato per intero dalla e-mail, oppure chiedi nuovamente l'invio della e-mail.",
        ),
        DeadLink::Expired => (
            StatusCode::GONE,
            "Link scaduto",
            "Il link che hai aperto è scaduto. Chiedi nuovamente l'invio della e-mail: riceverai un link nuovo.",
        ),
        DeadLink::Used => (
            StatusCode::GONE,
            "Link già usato",
            "Questo link è già stato usato. Se hai già scelto la password, accedi; se non la ricordi, usa Recupera Password.",
        ),
        DeadLink::Superseded => (
            StatusCode::GONE,
            "Link non più valido",
            "Ti abbiamo inviato una e-mail più recente: usa il link contenuto nell'ultima e-mail ricevuta.",
        ),
    };
    let mut page = ErrorPage::new(title, message);
    page.links = vec![
        (
            "/reinvio-credenziali",
            "Chiedi nuovamente l'invio della e-mail",
        ),
        ("/recupera-password", "Recupera Password"),
        ("/accedi", "Accedi"),
    ];
    (status, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_hashing_queue_answers_503_with_retry_after() {
        let response = AppError::from(HashError::Overloaded).into_response();

        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static(OVERLOAD_RETRY_AFTER_SECS))
        );
    }

    #[test]
    fn a_pool_timeout_answers_503_with_retry_after_even_inside_a_context() {
        let wrapped = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("loading the roster");
        for response in [
            AppError::from(sqlx::Error::PoolTimedOut).into_response(),
            AppError::Internal(wrapped).into_response(),
        ] {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response.headers().get(header::RETRY_AFTER),
                Some(&HeaderValue::from_static(DATABASE_BUSY_RETRY_AFTER_SECS))
            );
        }
    }

    #[test]
    fn any_other_internal_error_is_a_500_without_retry_after() {
        let response = AppError::Internal(anyhow::anyhow!("boom")).into_response();

        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
    }
}
