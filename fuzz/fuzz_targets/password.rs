//! `Password::parse` (zxcvbn inside). Input lines: password, confirmation, personal strings.
//! Same checks as `check_password` in tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::domain::Password;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The web layer refuses password fields over 1024 bytes before parsing; so do we.
    if data.len() > 1024 {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\n');
    let raw = parts.next().unwrap_or_default();
    let confirm = parts.next().unwrap_or_default();
    let personal: Vec<&str> = parts.collect();
    match Password::parse(raw, confirm, &personal) {
        Ok(password) => {
            assert_eq!(password.expose(), raw);
            assert_eq!(confirm, raw);
            assert!((12..=128).contains(&raw.chars().count()));
        }
        Err(e) => {
            assert!(["password", "password_confirm"].contains(&e.field()));
            assert!(!e.to_string().is_empty());
        }
    }
});
