//! Recovery codes: 10 single-use codes issued with the first app, shown once, stored as
//! hashes. Each is 10 characters of an alphabet without look-alikes (50 random bits),
//! shown as `XXXXX-XXXXX`; case, spaces and dashes do not matter when typed.

use rand::RngExt as _;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Codes issued at a time.
pub const COUNT: usize = 10;
const LEN: usize = 10;
/// No 0/O, 1/I/L: codes are read off paper.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ#";

/// `COUNT` fresh codes, as shown to the user.
pub fn generate() -> Vec<String> {
    let mut rng = rand::rng();
    (0..COUNT)
        .map(|_| {
            let chars: String = (0..LEN)
                .map(|_| char::from(ALPHABET[rng.random_range(0..31)]))
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The typed code in stored form, or `None` if it cannot be a recovery code.
pub fn normalise(typed: &str) -> Option<String> {
    let kept: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (kept.len() == LEN && kept.bytes().all(|b| ALPHABET[..31].contains(&b))).then_some(kept)
}

/// The stored hash of a (normalised) code, salted with its owner's id.
pub fn hash(owner_id: Uuid, normalised: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(owner_id.as_bytes());
    hasher.update(normalised.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_that_read_back_whatever_the_case_and_dashes() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 11);
            let typed = code.to_lowercase().replace('-', " ");
            assert_eq!(
                normalise(&typed).as_deref(),
                Some(code.replace('-', "").as_str())
            );
        }
    }

    #[test]
    fn what_cannot_be_a_code_is_refused_and_hashes_depend_on_the_owner() {
        for bad in [
            "",
            "ABCDE",
            "ABCDE-FGHJK-M",
            "ABCDE-FGHI0",
            "123456",
            "ABCDE\u{0}FGHJK",
        ] {
            assert_eq!(normalise(bad), None, "{bad:?}");
        }
        let code = normalise("ABCDE-FGHJK").unwrap();
        assert_ne!(hash(Uuid::new_v4(), &code), hash(Uuid::new_v4(), &code));
    }
}
