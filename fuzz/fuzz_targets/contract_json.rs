//! Contract JSON (`POST /api/v1/contratti`, `import`): parse, then validate. Same checks as
//! `check_contract_json` in tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::contracts::payload::{FieldError, parse_json};
use area_clienti::domain::{PhoneNumber, VatNumber};
use libfuzzer_sys::fuzz_target;

fn field_error_ok(e: &FieldError) {
    assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
}

fuzz_target!(|data: &[u8]| {
    match parse_json(data) {
        Err(e) => field_error_ok(&e),
        Ok(payload) => match payload.validate() {
            Err(errors) => {
                assert!(!errors.is_empty());
                errors.iter().for_each(field_error_ok);
            }
            Ok(contract) => {
                let vat = &contract.vat_number;
                assert_eq!(VatNumber::parse(vat.as_str()).as_ref(), Ok(vat));
                let mobile = contract.legal_representative.mobile.iter();
                for phone in mobile.chain(contract.lines.iter().map(|l| &l.number)) {
                    assert_eq!(PhoneNumber::parse(phone.as_str()).as_ref(), Ok(phone));
                }
            }
        },
    }
});
