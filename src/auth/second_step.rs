//! The login's second step (`/accedi/verifica`): after the right password of an account
//! with a factor, the session holds a [`PendingLogin`] (not a login) until a code from
//! the app or a recovery code proves the factor. Wrong codes count in the login throttle
//! like wrong passwords, and the fifth ends the attempt.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

use super::factors::{self, FactorUsed};
use super::login::{LoginError, typed};
use super::throttle::{self, Keys};
use crate::actor::Actor;
use crate::db::audit;
use crate::db::factors::Owner;
use crate::db::users::{self, User};
use crate::domain::{AuditAction, RegistrationState};

const PENDING_KEY: &str = "login_pending";
/// Wrong codes that end the attempt.
pub const MAX_WRONG_CODES: u8 = 5;
/// The password step is good for this long.
pub const PENDING_LIFETIME: Duration = Duration::minutes(10);

/// A password that was right, waiting for the second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub user_id: Uuid,
    epoch: i32,
    /// The username as typed at login: the throttle key the password step used.
    username: String,
    #[serde(with = "time::serde::timestamp")]
    password_at: OffsetDateTime,
    wrong_codes: u8,
}

/// Remembers the password step; a new session id, as for a login.
pub async fn begin(session: &Session, user: &User, username: &str) -> Result<(), SessionError> {
    session.cycle_id().await?;
    let pending = PendingLogin {
        user_id: user.id,
        epoch: user.session_epoch,
        username: typed(username),
        password_at: OffsetDateTime::now_utc(),
        wrong_codes: 0,
    };
    session.insert(PENDING_KEY, pending).await
}

/// The pending login of this session, if it is still good.
pub async fn pending(session: &Session) -> Result<Option<PendingLogin>, SessionError> {
    let pending: Option<PendingLogin> = session.get(PENDING_KEY).await?;
    Ok(pending.filter(|p| OffsetDateTime::now_utc() - p.password_at < PENDING_LIFETIME))
}

pub async fn abandon(session: &Session) -> Result<(), SessionError> {
    session.remove::<PendingLogin>(PENDING_KEY).await.map(drop)
}

/// What a typed code came to.
#[derive(Debug)]
pub enum StepOutcome {
    Passed(User, FactorUsed),
    Wrong {
        tries_left: u8,
    },
    /// The fifth wrong code, the throttle, or an account changed meanwhile: log in again.
    Ended,
    Throttled {
        wait_secs: u64,
    },
}

/// Checks the code typed at `/accedi/verifica` and updates the pending login.
pub async fn verify(
    pool: &PgPool,
    session: &Session,
    mut pending: PendingLogin,
    code: &str,
    client: Option<&str>,
    now: OffsetDateTime,
) -> Result<StepOutcome, LoginError> {
    let keys = Keys::new("", &pending.username, client);
    if let Some(wait_secs) = throttle::reserve(pool, &keys).await? {
        abandon(session).await.map_err(anyhow::Error::from)?;
        return Ok(StepOutcome::Throttled { wait_secs });
    }
    let mut tx = pool.begin().await?;
    let user = users::find(&mut tx, pending.user_id).await?;
    let Some(user) =
        user.filter(|u| u.state == RegistrationState::Active && u.session_epoch == pending.epoch)
    else {
        abandon(session).await.map_err(anyhow::Error::from)?;
        return Ok(StepOutcome::Ended);
    };
    let actor = Actor::visitor(client.map(str::to_owned));
    let clean = crate::domain::text::is_clean(code, crate::domain::text::Lines::Single);
    let used = match clean && code.len() <= 64 {
        true => factors::check_code(&mut tx, Owner::User(user.id), code, now).await?,
        false => None,
    };
    let outcome = match used {
        Some(factor) => {
            throttle::succeeded(&mut tx, &keys).await?;
            let details = serde_json::json!({ "fattore": factor.as_str() });
            let event = actor.event(user.company_id, Some(user.id), AuditAction::Login, details);
            audit::append(&mut tx, &event).await?;
            tracing::info!(user_id = %user.id, factor = factor.as_str(), "login");
            StepOutcome::Passed(user, factor)
        }
        None => {
            let action = AuditAction::SecondFactorWrong;
            let event = actor.event(
                user.company_id,
                Some(user.id),
                action,
                serde_json::json!({}),
            );
            audit::append(&mut tx, &event).await?;
            pending.wrong_codes += 1;
            StepOutcome::Wrong {
                tries_left: MAX_WRONG_CODES.saturating_sub(pending.wrong_codes),
            }
        }
    };
    tx.commit().await?;
    let session_result = match &outcome {
        StepOutcome::Wrong { tries_left: 0 } => abandon(session).await,
        StepOutcome::Wrong { .. } => session.insert(PENDING_KEY, pending).await,
        _ => abandon(session).await,
    };
    session_result.map_err(anyhow::Error::from)?;
    Ok(match outcome {
        StepOutcome::Wrong { tries_left: 0 } => StepOutcome::Ended,
        other => other,
    })
}
