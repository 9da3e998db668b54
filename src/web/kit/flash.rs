//! One-time messages for the next page of a session ("Utente registrato", …).

use tower_sessions::Session;

use crate::web::error::AppError;

/// Session key of the message.
const FLASH_KEY: &str = "flash";

/// Leaves a one-time message for the next page of this session.
pub async fn set(session: &Session, message: String) -> Result<(), AppError> {
    Ok(session.insert(FLASH_KEY, message).await?)
}

/// The one-time message left for this page, if any; reading it removes it. Without one the
/// session is not touched (no write on every page view).
pub async fn take(session: &Session) -> Result<Option<String>, AppError> {
    if session.get::<String>(FLASH_KEY).await?.is_none() {
        return Ok(None);
    }
    Ok(session.remove(FLASH_KEY).await?)
}
