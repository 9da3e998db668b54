//! The one login use case: customers (`/accedi`), Servizio Clienti staff
//! (`/assistenza/accedi`) and re-authentication (the current password typed again on
//! own-account pages). Input limits, throttling, the pool connection released while Argon2
//! runs, audit and metrics live here once; handlers only map the outcome to a page.

mod password_step;
pub mod passwordless;

use serde_json::json;
use sqlx::{PgConnection, PgPool};

use password_step::{Checked, check_password};

use super::factors::{self, Next};
use super::throttle::{self, Keys};
use super::{HashError, PasswordHasher};
use crate::actor::Actor;
use crate::db::audit;
use crate::db::factors::Owner;
use crate::db::staff::{self as staff_db, StaffUser};
use crate::db::users::{self, User};
use crate::domain::text::{self, Lines};
use crate::domain::{AuditAction, Profile, RegistrationState};

/// Longer input cannot be a valid username or password; it is refused after the same work.
pub const MAX_USERNAME: usize = 254;
pub const MAX_PASSWORD: usize = 1024;
/// Staff failures are counted apart from customers' (same rules, own namespace).
pub(crate) const STAFF_NAMESPACE: &str = "assistenza:";
const REAUTH_NAMESPACE: &str = "riautenticazione:";

/// What a login attempt came to.
#[derive(Debug)]
pub enum LoginOutcome<T> {
    LoggedIn(T),
    /// Wrong password, unknown or inactive account, or input that cannot be valid: one
    /// answer for all, so nothing tells which.
    Refused,
    /// Too many failures: try again in `wait_secs` seconds.
    Throttled {
        wait_secs: u64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Hashing(#[from] HashError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LoginError {
    fn from(e: sqlx::Error) -> Self {
        LoginError::Internal(e.into())
    }
}

/// What was typed into a login form.
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub client: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// The username and password if they can be valid at all: within the limits and free of
    /// control characters (issue 17: such text never reaches SQL, the audit or the logs).
    fn candidate(&self) -> Option<(&'a str, &'a str)> {
        let username = self.username.trim();
        let fits = !username.is_empty()
            && username.len() <= MAX_USERNAME
            && self.password.len() <= MAX_PASSWORD;
        let clean =
            text::is_clean(username, Lines::Single) && text::is_clean(self.password, Lines::Single);
        (fits && clean).then_some((username, self.password))
    }

    /// What the throttle counts: the username without refused characters, cut to the limit.
    fn keys(&self, namespace: &str) -> Keys {
        Keys::new(namespace, &typed(self.username), self.client)
    }
}

/// The username as it may be shown back or counted: trimmed, cut to the limit, without
/// control characters.
pub fn typed(username: &str) -> String {
    username
        .trim()
        .chars()
        .filter(|c| !text::is_refused(*c, Lines::Single))
        .take(MAX_USERNAME)
        .collect()
}

/// A customer whose password was right.
#[derive(Debug)]
pub struct PasswordVerified {
    pub user: User,
    /// Unless `LoggedIn`, the login is not complete: see `auth::factors::Next`.
    pub next: Next,
}

/// A customer logs in; only active users may. With a second step to pass, the account's
/// failures are kept until it passes (each code typed there counts as an attempt).
#[tracing::instrument(skip_all)]
pub async fn customer(
    pool: &PgPool,
    hasher: &PasswordHasher,
    typed_in: &Credentials<'_>,
    mfa_required_for: &[Profile],
) -> Result<LoginOutcome<PasswordVerified>, LoginError> {
    let keys = typed_in.keys("");
    let find = async |conn: &mut PgConnection, username: &str| {
        let found = users::find_for_login(conn, username).await?;
        Ok(found
            .filter(|found| found.user.state == RegistrationState::Active)
            .map(|found| ((found.user, found.strong_factor), found.password_hash)))
    };
    let (found, ok) = match check_password(pool, hasher, typed_in, &keys, find).await? {
        Checked::Throttled(wait_secs) => return Ok(LoginOutcome::Throttled { wait_secs }),
        Checked::Verified(found, ok) => (found, ok),
    };
    let actor = Actor::visitor(typed_in.client.map(str::to_owned));
    let (user, strong) = match found {
        Some(found) if ok => found,
        found => {
            if let Some((user, _)) = found {
                let action = AuditAction::LoginFailed;
                let event = actor.event(user.company_id, Some(user.id), action, json());
                audit::append(&mut *pool.acquire().await?, &event).await?;
            }
            return Ok(failed("login failed"));
        }
    };
    let required = mfa_required_for.contains(&user.profile);
    let mobile = user.mobile.is_some();
    let next = factors::next_after_password(strong, required, mobile, false);
    if let Next::SecondStep { .. } = next {
        // The common case, in one statement: nothing else is written until the factor.
        throttle::password_passed(&mut *pool.acquire().await?, &keys).await?;
        return Ok(LoginOutcome::LoggedIn(PasswordVerified { user, next }));
    }
    let mut tx = pool.begin().await?;
    let next = match next {
        // An account that never had a factor enrols its first one after the password: that
        // password was chosen after link + code (activation, recovery), the onboarding
        // every account goes through. An account whose factors were reset was protected by
        // more than its password, and a reset must not lower it to password-only: it proves
        // itself again with link + code (`credentials::factor_reset`) before enrolling
        // anything.
        Next::MustEnrol if factors::reset_pending(&mut tx, user.id).await? => Next::ReenrolByLink,
        next => next,
    };
    match next {
        Next::SecondStep { .. } | Next::ReenrolByLink => {
            throttle::password_passed(&mut tx, &keys).await?
        }
        Next::LoggedIn | Next::MustEnrol => logged_in(&mut tx, &keys, &actor, &user).await?,
    }
    tx.commit().await?;
    Ok(LoginOutcome::LoggedIn(PasswordVerified { user, next }))
}

/// The login is complete: the account's failures are forgotten and the login audited.
async fn logged_in(
    conn: &mut PgConnection,
    keys: &Keys,
    actor: &Actor,
    user: &User,
) -> sqlx::Result<()> {
    throttle::succeeded(conn, keys).await?;
    let event = actor.event(user.company_id, Some(user.id), AuditAction::Login, json());
    audit::append(conn, &event).await?;
    tracing::info!(user_id = %user.id, "login");
    Ok(())
}

/// An operator whose password was right: never logged in by it alone (CONTRACT.md §4b).
#[derive(Debug)]
pub struct StaffPasswordVerified {
    pub staff: StaffUser,
    /// `SecondStep` (the app's code) or `MustEnrol` (no app yet): see `auth::factors::Next`.
    pub next: Next,
}

/// A Servizio Clienti 191 operator logs in; both outcomes of a known account are audited in
/// `staff_events`. With an app the account's failures are kept until its code passes; an
/// operator without one is logged in only to enrol it (audited as such).
#[tracing::instrument(skip_all)]
pub async fn staff(
    pool: &PgPool,
    hasher: &PasswordHasher,
    typed_in: &Credentials<'_>,
) -> Result<LoginOutcome<StaffPasswordVerified>, LoginError> {
    let keys = typed_in.keys(STAFF_NAMESPACE);
    let find = async |conn: &mut PgConnection, username: &str| {
        let found = staff_db::find_credentials(conn, username).await?;
        Ok(found.map(|(staff_user, hash)| (staff_user, Some(hash))))
    };
    let (found, ok) = match check_password(pool, hasher, typed_in, &keys, find).await? {
        Checked::Throttled(wait_secs) => return Ok(LoginOutcome::Throttled { wait_secs }),
        Checked::Verified(found, ok) => (found, ok),
    };
    let mut tx = pool.begin().await?;
    let outcome = match found {
        Some(staff) if ok => {
            let has_app = factors::has_strong_factor(&mut tx, Owner::Staff(staff.id)).await?;
            // Staff always need a factor and have no mobile: the app, or enrolling one.
            let next = factors::next_after_password(has_app, true, false, false);
            if next == Next::MustEnrol {
                throttle::succeeded(&mut tx, &keys).await?;
                let (action, details) =
                    (AuditAction::StaffLogin, json!({"solo_attivazione": true}));
                staff_db::append_detailed_event(
                    &mut tx,
                    staff.id,
                    action,
                    typed_in.client,
                    &details,
                    None,
                )
                .await?;
                tracing::info!(staff = %staff.username, "staff login to enrol the app");
            } else {
                throttle::password_passed(&mut tx, &keys).await?;
            }
            LoginOutcome::LoggedIn(StaffPasswordVerified { staff, next })
        }
        found => {
            if let Some(staff_user) = found {
                let action = AuditAction::StaffLoginFailed;
                staff_db::append_event(&mut tx, staff_user.id, action, typed_in.client).await?;
            }
            failed("staff login failed")
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// A logged-in user types their current password again before a sensitive change.
/// Throttled (own namespace, keyed on the username) and audited like a login.
#[tracing::instrument(skip_all)]
pub async fn reauthenticate(
    pool: &PgPool,
    hasher: &PasswordHasher,
    user: &User,
    password: &str,
    client: Option<&str>,
) -> Result<LoginOutcome<()>, LoginError> {
    let typed_in = Credentials {
        username: &user.username,
        password,
        client,
    };
    let keys = typed_in.keys(REAUTH_NAMESPACE);
    let find = async |conn: &mut PgConnection, _: &str| {
        Ok(Some(((), users::password_hash(conn, user.id).await?)))
    };
    let ok = match check_password(pool, hasher, &typed_in, &keys, find).await? {
        Checked::Throttled(wait_secs) => return Ok(LoginOutcome::Throttled { wait_secs }),
        Checked::Verified(_, ok) => ok,
    };
    let actor = Actor::user(user.id, &user.username, client.map(str::to_owned));
    let (action, outcome) = if ok {
        (AuditAction::Reauthenticated, LoginOutcome::LoggedIn(()))
    } else {
        (
            AuditAction::ReauthenticationFailed,
            failed("re-authentication failed"),
        )
    };
    let mut tx = pool.begin().await?;
    if ok {
        throttle::succeeded(&mut tx, &keys).await?;
    }
    let event = actor.event(user.company_id, Some(user.id), action, json());
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(outcome)
}

fn failed<T>(what: &'static str) -> LoginOutcome<T> {
    tracing::info!("{what}");
    crate::metrics::login_failed();
    LoginOutcome::Refused
}

fn json() -> serde_json::Value {
    json!({})
}
