//! The password step every login shares: reserve an attempt in the throttle, look the
//! account up, release the connection, then one Argon2 verification whatever was found.

use sqlx::{PgConnection, PgPool};

use super::{Credentials, LoginError};
use crate::auth::throttle::{self, Keys};
use crate::auth::{HashError, PasswordHasher};

/// The password step every login shares, before anything is written.
pub(super) enum Checked<T> {
    Throttled(u64),
    /// The account and whether the password was right; `None` for an unknown account or
    /// input that cannot be valid.
    Verified(Option<T>, bool),
}

/// Reserves an attempt, looks the account up with `find` (the connection is released
/// before hashing: pages must not wait for connections that wait for a hash), then makes
/// one Argon2 verification whatever was found; a wrong password counts for the client too.
pub(super) async fn check_password<T>(
    pool: &PgPool,
    hasher: &PasswordHasher,
    typed_in: &Credentials<'_>,
    keys: &Keys,
    find: impl AsyncFnOnce(&mut PgConnection, &str) -> sqlx::Result<Option<(T, Option<String>)>>,
) -> Result<Checked<T>, LoginError> {
    if let Some(wait_secs) = reserve(pool, keys).await? {
        return Ok(Checked::Throttled(wait_secs));
    }
    let candidate = typed_in.candidate();
    let (account, hash) = match candidate {
        Some((username, _)) => {
            let mut conn = pool.acquire().await?;
            find(&mut conn, username).await?.unzip()
        }
        None => (None, None),
    };
    match verify(hasher, candidate, hash.flatten().as_deref()).await {
        Ok(true) => Ok(Checked::Verified(account, true)),
        Ok(false) => {
            throttle::password_failed(&mut *pool.acquire().await?, keys).await?;
            Ok(Checked::Verified(account, false))
        }
        Err(e) => {
            // Refused before any check (the hashing queue is full: 503): not an attempt,
            // so it must not count as a failure of the account or of the address.
            let mut conn = pool.acquire().await?;
            throttle::take_back(&mut conn, keys).await?;
            Err(e.into())
        }
    }
}

/// Reserves the attempt; `Some(wait)` when it may not be made.
async fn reserve(pool: &PgPool, keys: &Keys) -> Result<Option<u64>, LoginError> {
    let wait = throttle::reserve(pool, keys).await?;
    if let Some(wait_secs) = wait {
        tracing::warn!(wait_secs, "login throttled");
        crate::metrics::login_throttled();
    }
    Ok(wait)
}

/// Always one Argon2 verification, so input that cannot be valid and unknown users cost the
/// same time as known ones.
async fn verify(
    hasher: &PasswordHasher,
    candidate: Option<(&str, &str)>,
    hash: Option<&str>,
) -> Result<bool, HashError> {
    let password = candidate.map_or("", |(_, password)| password);
    let ok = hasher.verify(password, hash).await?;
    Ok(ok && candidate.is_some())
}
