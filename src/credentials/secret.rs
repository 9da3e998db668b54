//! Generation and hashing of link tokens and verification codes. Only hashes are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// A fresh link token: 256 bits from the OS CSPRNG, URL-safe.
pub fn new_link_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>())
}

/// The stored form of a link token.
pub fn hash_link_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether a path segment can be a token at all (avoids hashing arbitrary input).
pub fn looks_like_link_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh 6-digit verification code.
pub fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// The stored form of a code, salted with its row id so equal codes hash differently.
pub fn hash_code(code_id: Uuid, code: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(code_id.as_bytes());
    hasher.update(code.as_bytes());
    hasher.finalize().into()
}

/// Constant-time comparison of a typed code with the stored hash.
pub fn code_matches(code_id: Uuid, typed: &str, stored: &[u8]) -> bool {
    bool::from(hash_code(code_id, typed).as_slice().ct_eq(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_unique_and_recognisable() {
        let a = new_link_token();
        let b = new_link_token();
        assert_ne!(a, b);
        assert!(looks_like_link_token(&a), "{a}");
        assert!(!looks_like_link_token("short"));
        assert!(!looks_like_link_token(&format!("{}!", &a[..42])));
        assert_ne!(hash_link_token(&a), hash_link_token(&b));
    }

    #[test]
    fn codes_have_six_digits_and_salted_hashes() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        let (id1, id2) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(hash_code(id1, "123456"), hash_code(id2, "123456"));
        assert!(code_matches(id1, "123456", &hash_code(id1, "123456")));
        assert!(!code_matches(id1, "123457", &hash_code(id1, "123456")));
    }
}
