//! `support::search_terms`, the Servizio Clienti search box. Same checks as
//! `check_support_search` in tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::support::search_terms;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let terms = search_terms(query);
    if let Some(vat) = &terms.vat_prefix {
        assert!((3..=11).contains(&vat.len()) && vat.bytes().all(|b| b.is_ascii_digit()));
    }
    if let Some(phone) = &terms.phone_prefix {
        let digits = phone.strip_prefix('+').expect("starts with +");
        assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{phone:?}");
    }
    // LIKE metacharacters are escaped: every `\` starts a pair, no bare `%` or `_`.
    let mut chars = terms.text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => assert!(
                matches!(chars.next(), Some('\\' | '%' | '_')),
                "{:?}",
                terms.text
            ),
            '%' | '_' => panic!("unescaped {c:?} in {:?}", terms.text),
            _ => {}
        }
    }
});
