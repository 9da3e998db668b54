//! The second step of a Servizio Clienti 191 login (`/assistenza/accedi/verifica`): after
//! the right password of an operator with an app, the staff session holds a
//! [`PendingStaffLogin`] (not a login) until a code from the app, accepted once, or a
//! recovery code proves the factor. Operators never get SMS codes. Wrong codes count in the
//! staff login throttle like wrong passwords, and the fifth ends the attempt (the shared
//! rules are `auth::factor_step`); each outcome is in `staff_events`.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

use super::factor_step::{self, PENDING_LIFETIME, Pending, Proof, StepOutcome};
use super::factors;
use super::login::{LoginError, STAFF_NAMESPACE, typed};
use super::throttle::Keys;
use crate::db::factors::Owner;
use crate::db::staff::{self as staff_db, StaffUser};
use crate::domain::AuditAction;

pub(crate) const PENDING_KEY: &str = "staff_login_pending";

/// An operator's password that was right, waiting for the app's code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingStaffLogin {
    staff_id: Uuid,
    epoch: i32,
    /// The username as typed at login: the throttle key the password step used.
    username: String,
    #[serde(with = "time::serde::timestamp")]
    password_at: OffsetDateTime,
    wrong_codes: u8,
}

impl Pending for PendingStaffLogin {
    const KEY: &'static str = PENDING_KEY;
    fn wrong_codes(&mut self) -> &mut u8 {
        &mut self.wrong_codes
    }
}

/// Remembers the password step; a new session id, as for a login, and whoever was logged
/// in on this browser is not any more.
pub async fn begin(
    session: &Session,
    staff: &StaffUser,
    username: &str,
) -> Result<(), SessionError> {
    super::session::new_id(session).await?;
    session.remove_value(super::staff::SESSION_KEY).await?;
    let pending = PendingStaffLogin {
        staff_id: staff.id,
        epoch: staff.session_epoch,
        username: typed(username),
        password_at: OffsetDateTime::now_utc(),
        wrong_codes: 0,
    };
    session.insert(PENDING_KEY, pending).await
}

/// The pending login of this staff session, if it is still good.
pub async fn pending(session: &Session) -> Result<Option<PendingStaffLogin>, SessionError> {
    let pending: Option<PendingStaffLogin> = session.get(PENDING_KEY).await?;
    Ok(pending.filter(|p| OffsetDateTime::now_utc() - p.password_at < PENDING_LIFETIME))
}

/// Checks the code typed at `/assistenza/accedi/verifica` and updates the pending login.
pub async fn verify(
    pool: &PgPool,
    session: &Session,
    pending: PendingStaffLogin,
    code: &str,
    client: Option<&str>,
    now: OffsetDateTime,
) -> Result<StepOutcome<StaffUser>, LoginError> {
    let keys = Keys::new(STAFF_NAMESPACE, &pending.username, client);
    let check = async |conn: &mut PgConnection, pending: &PendingStaffLogin| {
        // Disabled (not found) or factors reset (a new epoch) since the password.
        let staff = staff_db::find(conn, pending.staff_id).await?;
        let Some(staff) = staff.filter(|s| s.session_epoch == pending.epoch) else {
            return Ok(Proof::Gone);
        };
        let factor = match factor_step::could_be_code(code) {
            true => factors::check_code(conn, Owner::Staff(staff.id), code, now).await?,
            false => None,
        };
        let (action, details) = match factor {
            Some(factor) => (
                AuditAction::StaffLogin,
                json!({ "fattore": factor.as_str() }),
            ),
            None => (AuditAction::SecondFactorWrong, json!({})),
        };
        staff_db::append_detailed_event(conn, staff.id, action, client, &details, None).await?;
        Ok(match factor {
            Some(factor) => {
                tracing::info!(staff = %staff.username, factor = factor.as_str(), "staff login");
                Proof::Passed(staff, factor)
            }
            None => Proof::Wrong,
        })
    };
    factor_step::verify_code(pool, session, pending, &keys, check).await
}
