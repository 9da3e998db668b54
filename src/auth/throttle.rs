//! Login throttling (ASVS 2.2.1): failures are counted per username typed and per client
//! address in PostgreSQL, so the limits hold across instances. After a few failures an
//! account must wait before the next try, the wait doubling up to 15 minutes: an attacker
//! gets a handful of guesses an hour (far below NIST's 100), while the real owner is never
//! locked out for longer than 15 minutes and can always use Recupera Password, which clears
//! the count. Keyed on the username as typed, known or not, so the answer reveals nothing.
//!
//! A password attempt is *reserved* on the account before the password is hashed: the count
//! and the record happen in one statement under the account's advisory lock, so a burst of
//! parallel guesses at one account cannot all pass the check before any of them is counted;
//! a success then takes its attempt back. The client address is counted before the attempt
//! too, but records a failure only once the password was wrong: an address is shared (a
//! NAT, an office), is never locked, and a reservation on it made every login from one
//! address write and delete a row under one key. A typed code needs no slow hash: it is
//! checked, proved and counted in one transaction under the account's lock.

use sqlx::{PgConnection, PgPool};

use crate::db::rate_limits;

/// Failures allowed before waits begin.
const FREE_FAILURES: i64 = 5;
/// Longest wait imposed on an account.
const MAX_WAIT_SECS: f64 = 15.0 * 60.0;
/// Failures of one client address in the window before it must wait out the window.
const CLIENT_FAILURES: i64 = 50;
/// Window in which failures count.
const WINDOW_SECS: i64 = 60 * 60;
const CLIENT_WINDOW_SECS: i64 = 15 * 60;

/// Who is counted: `account` is a namespaced, already clean username (see `auth::login`).
#[derive(Debug, Clone)]
pub struct Keys {
    account: String,
    client: Option<String>,
}

impl Keys {
    /// `namespace` keeps staff, customers and re-authentication apart (same rules).
    pub fn new(namespace: &str, username: &str, client: Option<&str>) -> Keys {
        Keys {
            account: format!(
                "login:fallito:account:{namespace}{}",
                username.to_lowercase()
            ),
            client: client.map(|c| format!("login:fallito:client:{c}")),
        }
    }
}

impl Keys {
    /// Every key, account first (the one that is locked: see `rate_limits::lock_and_count`).
    fn all(&self) -> Vec<&str> {
        std::iter::once(self.account.as_str())
            .chain(self.client.as_deref())
            .collect()
    }

    /// Every key with the window its failures count in, in the order of [`Keys::all`].
    fn windows(&self) -> Vec<(&str, i64)> {
        std::iter::once((self.account.as_str(), WINDOW_SECS))
            .chain(self.client.as_deref().map(|c| (c, CLIENT_WINDOW_SECS)))
            .collect()
    }
}

/// The customer key of `username`, as password resets clear it.
fn customer_account_key(username: &str) -> String {
    Keys::new("", username, None).account
}

/// Counts the attempt as a failure of the account at once, in a statement of its own
/// (serialised per account), for a password, whose Argon2 check must not hold a transaction
/// open; taken back when the limits say it may not be made. Returns the seconds to wait then.
pub async fn reserve(pool: &PgPool, keys: &Keys) -> sqlx::Result<Option<u64>> {
    let mut conn = pool.acquire().await?;
    let counts = rate_limits::reserve_first(&mut conn, &keys.windows()).await?;
    let wait = wait_owed(&counts);
    if wait.is_some() {
        take_back(&mut conn, keys).await?;
    }
    Ok(wait)
}

/// Locks the account's key until the end of the caller's transaction and checks the limits; `Some`
/// is the wait owed. An attempt proved in that same transaction (a typed code: no slow
/// hash) is then settled by [`failed`] or [`proved`] before the locks go, with nothing
/// reserved to take back.
pub async fn check(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<Option<u64>> {
    let counts = rate_limits::lock_and_count(conn, &keys.windows()).await?;
    Ok(wait_owed(&counts))
}

/// The wait owed by the account (its failures and the latest's age, first) or the client.
fn wait_owed(counts: &[(i64, Option<f64>)]) -> Option<u64> {
    let (failures, last_ago) = counts[0];
    if let Some(wait) = account_wait(failures, last_ago) {
        return Some(wait);
    }
    match counts.get(1) {
        Some((failures, _)) if *failures >= CLIENT_FAILURES => Some(CLIENT_WINDOW_SECS as u64),
        _ => None,
    }
}

/// The attempt [`check`]ed in this transaction failed: it counts for the account and the
/// client.
pub async fn failed(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<()> {
    rate_limits::record_each(conn, &keys.all()).await
}

/// The attempt [`check`]ed in this transaction completed the login: the account's failures
/// are forgotten (only failures count against a client).
pub async fn proved(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<()> {
    rate_limits::forget(conn, &[&keys.account], &[]).await
}

/// The wait owed after `failures` failures, the latest `last_ago` seconds ago.
fn account_wait(failures: i64, last_ago: Option<f64>) -> Option<u64> {
    if failures < FREE_FAILURES {
        return None;
    }
    let exponent = (failures - FREE_FAILURES).min(16) as i32;
    let required = (30.0 * 2f64.powi(exponent)).min(MAX_WAIT_SECS);
    let remaining = required - last_ago.unwrap_or(0.0);
    (remaining > 0.0).then(|| remaining.ceil() as u64)
}

/// The [`reserve`]d attempt succeeded: the account's failures (the reservation with them)
/// are forgotten.
pub async fn succeeded(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<()> {
    rate_limits::forget(conn, &[&keys.account], &[]).await
}

/// The [`reserve`]d attempt was a right password with a second step still to pass: it is
/// taken back, but the account's earlier failures stay until the second step succeeds, and
/// each code typed there is counted in its own right.
pub async fn password_passed(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<()> {
    rate_limits::forget(conn, &[], &[&keys.account]).await
}

/// The [`reserve`]d attempt was a wrong password (or an unknown account): the reservation
/// stands as the account's failure, and the client address records one.
pub async fn password_failed(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<()> {
    match keys.client.as_deref() {
        Some(client) => rate_limits::record(conn, client).await,
        None => Ok(()),
    }
}

/// Takes back an attempt that was reserved but never made (refused before the check).
pub async fn take_back(conn: &mut PgConnection, keys: &Keys) -> sqlx::Result<()> {
    password_passed(conn, keys).await
}

/// A password reset forgets the customer account's failures.
pub async fn clear_account(conn: &mut PgConnection, username: &str) -> sqlx::Result<()> {
    rate_limits::clear(conn, &customer_account_key(username)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_five_failures_double_and_are_capped() {
        assert_eq!(account_wait(4, Some(0.0)), None);
        assert_eq!(account_wait(5, Some(0.0)), Some(30));
        assert_eq!(account_wait(6, Some(0.0)), Some(60));
        assert_eq!(account_wait(6, Some(59.5)), Some(1));
        assert_eq!(account_wait(6, Some(61.0)), None);
        assert_eq!(account_wait(40, Some(0.0)), Some(900));
    }

    #[test]
    fn namespaces_keep_staff_and_reauthentication_apart_from_customers() {
        let customer = Keys::new("", "Mario", Some("10.0.0.1"));
        let staff = Keys::new("assistenza:", "mario", Some("10.0.0.1"));
        assert_eq!(customer.account, customer_account_key("mario"));
        assert_ne!(customer.account, staff.account);
        assert_eq!(customer.client, staff.client);
    }
}
