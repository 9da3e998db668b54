//! `PhoneNumber::parse`: E.164 output, idempotent. Same checks as `check_phone` in
//! tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::domain::PhoneNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(phone) = PhoneNumber::parse(raw) {
        let e164 = phone.as_str();
        let digits = e164.strip_prefix('+').expect("E.164 starts with +");
        assert!(!digits.is_empty() && digits.len() <= 15, "{e164:?}");
        assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{e164:?}");
        assert_eq!(PhoneNumber::parse(e164).as_ref(), Ok(&phone));
        let _ = phone.masked();
    }
});
