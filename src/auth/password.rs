//! Argon2id password hashing, run off the async runtime with bounded concurrency so a burst
//! of logins queues for a permit instead of starving the request threads. The queue itself
//! is bounded too: past it a request is refused at once with [`HashError::Overloaded`] (503
//! with Retry-After) rather than waiting seconds and holding its connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use argon2::password_hash::phc::Output;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// Requests that may wait for each hashing permit. One Argon2id check takes about 19 ms on
/// a core here (BENCHMARKS.md), so a full queue is about 150 ms of work: short enough for
/// the login p99 target at 80% of capacity, long enough to absorb bursts.
const WAITING_PER_PERMIT: usize = 8;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing permit is busy and the queue is full: try again in a moment.
    #[error("password hashing at capacity")]
    Overloaded,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<tokio::task::JoinError> for HashError {
    fn from(e: tokio::task::JoinError) -> Self {
        HashError::Internal(e.into())
    }
}

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Argon2 working memory (19 MiB each), one per permit at most, reused from one check to
    /// the next: mapping and faulting in fresh memory for every check cost a fifth of the
    /// CPU of a login (perf), and freed buffers kept the resident set high.
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Hashes running or waiting for a permit, bounded by `max_in_flight`.
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
    /// Verified against when the username is unknown, so both cases cost the same time.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// `concurrency` hashes at most run at once (one per core is the sweet spot).
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let dummy_hash = hash_blocking("area-clienti dummy password for timing")?;
        let concurrency = concurrency.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            buffers: Arc::new(Mutex::new(Vec::with_capacity(concurrency))),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: concurrency * (1 + WAITING_PER_PERMIT),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Argon2id with the crate defaults (m=19456 KiB, t=2, p=1: the OWASP parameters).
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let _admitted = self.admit()?;
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let raw = password.expose().to_owned();
        Ok(tokio::task::spawn_blocking(move || hash_blocking(&raw)).await??)
    }

    /// Checks a password against a stored hash; with no hash (unknown user, not yet
    /// activated) it does the same work against a dummy and answers `false`.
    pub async fn verify(&self, candidate: &str, stored: Option<&str>) -> Result<bool, HashError> {
        let _admitted = self.admit()?;
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let known = stored.is_some();
        let hash = stored
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let candidate = candidate.to_owned();
        let buffers = Arc::clone(&self.buffers);
        let matches = tokio::task::spawn_blocking(move || {
            let mut memory = buffers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default();
            let matches = verify_with_memory(candidate.as_bytes(), &hash, &mut memory);
            buffers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(memory);
            matches
        })
        .await?;
        Ok(known && matches)
    }
}

impl PasswordHasher {
    /// A place in the queue, or [`HashError::Overloaded`] when it is full.
    fn admit(&self) -> Result<Admitted, HashError> {
        let admitted = Admitted(self.in_flight.clone());
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.max_in_flight {
            crate::metrics::hashing_overloaded();
            return Err(HashError::Overloaded);
        }
        Ok(admitted)
    }
}

/// Leaves the queue when dropped, whether the hash finished, failed or was cancelled.
struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Checks `candidate` against a PHC string, with `memory` as Argon2's working memory (grown
/// to the parameters of the hash when needed). The comparison is constant-time (`Output`).
fn verify_with_memory(candidate: &[u8], phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    memory.resize(params.block_count(), Block::default());
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(candidate, salt, &mut computed, &mut memory[..])
        .is_ok()
        && Output::new(&computed).is_ok_and(|computed| computed == *expected)
}

fn hash_blocking(raw: &str) -> anyhow::Result<String> {
    use argon2::PasswordHasher as _;
    Argon2::default()
        .hash_password(raw.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_only_the_right_password() {
        let hasher = PasswordHasher::new(2).unwrap();
        let password = Password::parse(
            "Cavallo-batteria-graffetta-7",
            "Cavallo-batteria-graffetta-7",
            &[],
        )
        .unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify("Cavallo-batteria-graffetta-7", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("cavallo-batteria-graffetta-7", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("Cavallo-batteria-graffetta-7", None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_its_places() {
        let hasher = PasswordHasher::new(1).unwrap();
        let hash = hasher.dummy_hash.to_string();
        let max = 1 + WAITING_PER_PERMIT;
        let waiting: Vec<_> = (0..max)
            .map(|_| {
                let (hasher, hash) = (hasher.clone(), hash.clone());
                tokio::spawn(async move { hasher.verify("x", Some(&hash)).await })
            })
            .collect();
        // Let every task take its place in the queue before the one too many arrives.
        while hasher.in_flight.load(Ordering::Acquire) < max {
            tokio::task::yield_now().await;
        }
        let refused = hasher.verify("x", Some(&hash)).await.unwrap_err();
        assert!(matches!(refused, HashError::Overloaded));
        for task in waiting {
            assert!(!task.await.unwrap().unwrap());
        }
        assert_eq!(hasher.in_flight.load(Ordering::Acquire), 0);
        assert!(!hasher.verify("x", Some(&hash)).await.unwrap());
    }

    #[test]
    fn reused_memory_verifies_hashes_made_with_other_parameters() {
        use argon2::PasswordHasher as _;
        let small = Params::new(1024, 1, 1, None).unwrap();
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, small)
            .hash_password(b"vecchia password del 2020")
            .unwrap()
            .to_string();
        let default_hash = hash_blocking("Cavallo-batteria-graffetta-7").unwrap();
        let mut memory = Vec::new();

        assert!(verify_with_memory(
            b"Cavallo-batteria-graffetta-7",
            &default_hash,
            &mut memory
        ));
        assert!(verify_with_memory(
            b"vecchia password del 2020",
            &phc,
            &mut memory
        ));
        assert!(!verify_with_memory(
            b"vecchia password del 2021",
            &phc,
            &mut memory
        ));
        assert!(!verify_with_memory(
            b"x",
            "$argon2id$non-un-hash",
            &mut memory
        ));
        assert!(verify_with_memory(
            b"Cavallo-batteria-graffetta-7",
            &default_hash,
            &mut memory
        ));
    }

    #[tokio::test]
    async fn long_passwords_are_never_truncated() {
        let hasher = PasswordHasher::new(1).unwrap();
        let long = "una frase molto lunga per la prova ".repeat(3) + "🚀 fine";
        let password = Password::parse(&long, &long, &[]).unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        let shorter: String = long.chars().take(long.chars().count() - 1).collect();
        assert!(hasher.verify(&long, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&shorter, Some(&hash)).await.unwrap());
    }
}
