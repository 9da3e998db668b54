//! Login throttling (ASVS 2.2.1): failures are counted per username typed and per client
//! address in PostgreSQL, so the limits hold across instances. After a few failures an
//! account must wait before the next try, the wait doubling up to 15 minutes: an attacker
//! gets a handful of guesses an hour (far below NIST's 100), while the real owner is never
//! locked out for longer than 15 minutes and can always use Recupera Password, which clears
//! the count. Keyed on the username as typed, known or not, so the answer reveals nothing.

use sqlx::PgConnection;

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

fn account_key(username: &str) -> String {
    format!("login:fallito:account:{}", username.to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("login:fallito:client:{client}")
}

/// Seconds to wait before the next try, if any.
pub async fn wait_before_login(
    conn: &mut PgConnection,
    username: &str,
    client: Option<&str>,
) -> sqlx::Result<Option<u64>> {
    let (failures, last_ago) =
        rate_limits::recent(conn, &account_key(username), WINDOW_SECS).await?;
    if let Some(wait) = account_wait(failures, last_ago) {
        return Ok(Some(wait));
    }
    if let Some(client) = client {
        let (failures, _) =
            rate_limits::recent(conn, &client_key(client), CLIENT_WINDOW_SECS).await?;
        if failures >= CLIENT_FAILURES {
            return Ok(Some(CLIENT_WINDOW_SECS as u64));
        }
    }
    Ok(None)
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

pub async fn record_failure(
    conn: &mut PgConnection,
    username: &str,
    client: Option<&str>,
) -> sqlx::Result<()> {
    rate_limits::record(conn, &account_key(username)).await?;
    if let Some(client) = client {
        rate_limits::record(conn, &client_key(client)).await?;
    }
    Ok(())
}

/// A successful login or password reset forgets the account's failures.
pub async fn clear_account(conn: &mut PgConnection, username: &str) -> sqlx::Result<()> {
    rate_limits::clear(conn, &account_key(username)).await
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
}
