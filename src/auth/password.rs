//! Argon2id password hashing, run off the async runtime with bounded concurrency so a burst
//! of logins queues for a permit instead of starving the request threads.

use std::sync::Arc;

use anyhow::Context;
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so both cases cost the same time.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// `concurrency` hashes at most run at once (one per core is the sweet spot).
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let dummy_hash = hash_blocking("area-clienti dummy password for timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Argon2id with the crate defaults (m=19456 KiB, t=2, p=1: the OWASP parameters).
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let raw = password.expose().to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&raw)).await?
    }

    /// Checks a password against a stored hash; with no hash (unknown user, not yet
    /// activated) it does the same work against a dummy and answers `false`.
    pub async fn verify(&self, candidate: &str, stored: Option<&str>) -> anyhow::Result<bool> {
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
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await?;
        Ok(known && matches)
    }
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
