//! One code typed at the second step of a login, customers' (`auth::second_step`) or
//! Servizio Clienti operators' (`auth::staff_step`): the throttle, the count of wrong
//! codes and what the session keeps are the same for both; each says how its account is
//! reloaded, which factors prove it and where that is audited.

use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use tower_sessions::Session;

use super::factors::FactorUsed;
use super::login::LoginError;
use super::throttle::{self, Keys};
use crate::db::users::User;
use crate::domain::text::{self, Lines};

/// Wrong codes that end the attempt.
pub const MAX_WRONG_CODES: u8 = 5;
/// The password step is good for this long.
pub const PENDING_LIFETIME: time::Duration = time::Duration::minutes(10);

/// What a typed code came to; `A` is the account that logged in (a customer, or an
/// operator in `auth::staff_step`).
#[derive(Debug)]
pub enum StepOutcome<A = User> {
    Passed(A, FactorUsed),
    Wrong {
        tries_left: u8,
    },
    /// The fifth wrong code, the throttle, or an account changed meanwhile: log in again.
    Ended,
    Throttled {
        wait_secs: u64,
    },
}

/// A pending login kept in the session until its second step passes (customers' here,
/// operators' in `auth::staff_step`).
pub(crate) trait Pending: Serialize + Send + Sync {
    /// The session key it is kept under.
    const KEY: &'static str;
    fn wrong_codes(&mut self) -> &mut u8;
}

/// What one typed code proved, as the account's own check says (after auditing it).
pub(crate) enum Proof<A> {
    Passed(A, FactorUsed),
    Wrong,
    /// The account was disabled, or its sessions ended, since the password.
    Gone,
}

/// What every second step does with a typed code, in one transaction: the login throttle
/// under the password step's `keys` is checked (codes count like passwords), `check` proves
/// the code, a right one clears the account's failures and any other counts as a failure;
/// the session keeps the pending login only after a wrong code short of the fifth.
pub(crate) async fn verify_code<P: Pending, A>(
    pool: &PgPool,
    session: &Session,
    mut pending: P,
    keys: &Keys,
    check: impl AsyncFnOnce(&mut PgConnection, &P) -> sqlx::Result<Proof<A>>,
) -> Result<StepOutcome<A>, LoginError> {
    let mut tx = pool.begin().await?;
    let outcome = match throttle::check(&mut tx, keys).await? {
        Some(wait_secs) => StepOutcome::Throttled { wait_secs },
        None => {
            let proof = check(&mut tx, &pending).await?;
            match proof {
                Proof::Passed(..) => throttle::proved(&mut tx, keys).await?,
                // An account changed since its password is no guess, but neither is it a
                // login: it counts, as every attempt that did not pass.
                Proof::Wrong | Proof::Gone => throttle::failed(&mut tx, keys).await?,
            }
            match proof {
                Proof::Passed(account, factor) => StepOutcome::Passed(account, factor),
                Proof::Gone => StepOutcome::Ended,
                Proof::Wrong => {
                    let wrong = pending.wrong_codes();
                    *wrong += 1;
                    match MAX_WRONG_CODES.saturating_sub(*wrong) {
                        0 => StepOutcome::Ended,
                        tries_left => StepOutcome::Wrong { tries_left },
                    }
                }
            }
        }
    };
    tx.commit().await?;
    let kept = match outcome {
        StepOutcome::Wrong { .. } => session.insert(P::KEY, &pending).await,
        _ => session.remove_value(P::KEY).await.map(drop),
    };
    kept.map_err(anyhow::Error::from)?;
    Ok(outcome)
}

/// Whether `typed` may be a code at all: longer text or control characters never reach
/// SQL (issue 17).
pub(crate) fn could_be_code(typed: &str) -> bool {
    typed.len() <= 64 && text::is_clean(typed, Lines::Single)
}
