//! Sessions of Servizio Clienti 191 staff: their own cookie (scoped to `/assistenza`) and
//! their own key, so a staff session never opens customer pages and vice versa. The
//! `CurrentStaff` extractor that applies these rules to each request is in `web::kit`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

use super::session::ABSOLUTE_LIFETIME;
use crate::db::staff::StaffUser;

const SESSION_KEY: &str = "staff";

/// What a staff session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffAuth {
    pub staff_id: Uuid,
    #[serde(with = "time::serde::timestamp")]
    pub logged_in_at: OffsetDateTime,
}

impl StaffAuth {
    /// Staff sessions end as customers' do: 12 hours after login at most.
    pub fn still_valid(&self, now: OffsetDateTime) -> bool {
        now - self.logged_in_at < ABSOLUTE_LIFETIME
    }
}

/// Logs a staff user in with a fresh session id.
pub async fn login(session: &Session, staff: &StaffUser) -> Result<(), SessionError> {
    session.cycle_id().await?;
    let auth = StaffAuth {
        staff_id: staff.id,
        logged_in_at: OffsetDateTime::now_utc(),
    };
    session.insert(SESSION_KEY, auth).await
}

/// The staff record of this session, if any (not checked against the database).
pub async fn of(session: &Session) -> Result<Option<StaffAuth>, SessionError> {
    session.get(SESSION_KEY).await
}

/// Ends the staff session server-side.
pub async fn logout(session: &Session) -> Result<(), SessionError> {
    session.flush().await
}
