//! Sessions of Servizio Clienti 191 staff: their own cookie (scoped to `/assistenza`) and
//! their own key, so a staff session never opens customer pages and vice versa. The
//! `CurrentStaff` extractor that applies these rules to each request is in `web::kit`.
//!
//! A staff session is opened only after the operator's app (or a recovery code) proved
//! the login (`auth::staff_step`), or, for an operator without an app, only to enrol one
//! (`must_enrol`): staff never get in with a password alone (CONTRACT.md §4b).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

use super::session::ABSOLUTE_LIFETIME;
use crate::db::staff::StaffUser;

pub(crate) const SESSION_KEY: &str = "staff";

/// What a staff session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffAuth {
    pub staff_id: Uuid,
    /// The operator's `session_epoch` at login: `staff disable` and `staff reset-factors`
    /// move it on, which ends the session.
    #[serde(default)]
    pub epoch: i32,
    #[serde(with = "time::serde::timestamp")]
    pub logged_in_at: OffsetDateTime,
    /// Logged in only to enrol the app: every other console page sends the operator to
    /// `/assistenza/sicurezza/attiva` until then.
    #[serde(default)]
    pub must_enrol: bool,
}

impl StaffAuth {
    /// Whether the session still holds for `staff` (reloaded, so enabled) at `now`: the same
    /// epoch, and 12 hours after login at most, as customers'.
    pub fn still_valid(&self, staff: &StaffUser, now: OffsetDateTime) -> bool {
        staff.session_epoch == self.epoch && now - self.logged_in_at < ABSOLUTE_LIFETIME
    }
}

/// Logs the operator in with a fresh session id, after the second factor.
pub async fn login(session: &Session, staff: &StaffUser) -> Result<(), SessionError> {
    open(session, staff, false).await
}

/// Logs the operator in for the one thing left to do: enrolling the app.
pub async fn login_to_enrol(session: &Session, staff: &StaffUser) -> Result<(), SessionError> {
    open(session, staff, true).await
}

async fn open(session: &Session, staff: &StaffUser, must_enrol: bool) -> Result<(), SessionError> {
    super::session::new_id(session).await?;
    session.remove_value(super::staff_step::PENDING_KEY).await?;
    let auth = StaffAuth {
        staff_id: staff.id,
        epoch: staff.session_epoch,
        logged_in_at: OffsetDateTime::now_utc(),
        must_enrol,
    };
    super::session::bind_form_token(session).await?;
    session.insert(SESSION_KEY, auth).await
}

/// The app is enrolled: the whole console opens.
pub async fn enrolled(session: &Session) -> Result<(), SessionError> {
    if let Some(mut auth) = of(session).await? {
        auth.must_enrol = false;
        session.insert(SESSION_KEY, auth).await?;
    }
    Ok(())
}

/// The staff record of this session, if any (not checked against the database).
pub async fn of(session: &Session) -> Result<Option<StaffAuth>, SessionError> {
    session.get(SESSION_KEY).await
}

/// Ends the staff session server-side.
pub async fn logout(session: &Session) -> Result<(), SessionError> {
    session.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staff_session_ends_with_a_new_epoch_or_after_twelve_hours() {
        let now = OffsetDateTime::now_utc();
        let staff = |epoch| StaffUser {
            id: Uuid::nil(),
            username: "operatore".into(),
            session_epoch: epoch,
        };
        let auth = |hours: i64| StaffAuth {
            staff_id: Uuid::nil(),
            epoch: 2,
            logged_in_at: now - time::Duration::hours(hours),
            must_enrol: false,
        };
        assert!(auth(11).still_valid(&staff(2), now));
        assert!(!auth(12).still_valid(&staff(2), now));
        assert!(
            !auth(1).still_valid(&staff(3), now),
            "disabled or factors reset"
        );
    }
}
