//! Typed path segments: an id that does not parse (not a UUID, bad percent-encoding, control
//! characters) is a page that does not exist, so these extractors answer 404 themselves and
//! handlers receive a `Uuid`.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::web::error::AppError;

/// The id of the one `{…}` segment of the route, or 404.
async fn one_id<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Uuid, AppError> {
    let Path(raw) = Path::<String>::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::NotFound)?;
    Uuid::parse_str(&raw).map_err(|_| AppError::NotFound)
}

macro_rules! id_segment {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub Uuid);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
                one_id(parts, state).await.map($name)
            }
        }
    };
}

id_segment!(
    /// `{user_id}` of `/…/utenti/{user_id}/…`.
    UserId
);
id_segment!(
    /// `{line_id}` of `/area-clienti/gestione-utenze/linee/{line_id}/aggiorna`.
    LineId
);
id_segment!(
    /// `{company_id}` of `/assistenza/aziende/{company_id}`.
    CompanyId
);
id_segment!(
    /// `{message_id}` of `/assistenza/messaggi/{message_id}/reinvia`.
    MessageId
);
id_segment!(
    /// `{id}` of `/area-clienti/sicurezza/sessioni/{id}/termina`.
    SessionId
);

/// Ids posted in a form (checkboxes of a list): all of them parse, or the request is 404.
pub fn form_ids(raw: &[String]) -> Result<Vec<Uuid>, AppError> {
    raw.iter()
        .map(|id| Uuid::parse_str(id).map_err(|_| AppError::NotFound))
        .collect()
}
