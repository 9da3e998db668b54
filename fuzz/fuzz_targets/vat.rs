//! `VatNumber::parse`: 11 ASCII digits out, idempotent. Same checks as `check_vat` in
//! tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::domain::VatNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(vat) = VatNumber::parse(raw) {
        let digits = vat.as_str();
        assert!(digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(VatNumber::parse(digits).as_ref(), Ok(&vat));
        assert_eq!(VatNumber::parse(&format!("IT{digits}")).as_ref(), Ok(&vat));
    }
});
