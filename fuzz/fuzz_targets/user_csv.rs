//! The CSV import of Gestione Utenze: `user_management::csv_rows::parse` (a file as
//! uploaded), each row through the Aggiungi form's parser, and `web::kit::multipart::parse`
//! (the upload's body). Same checks as `check_user_csv` in tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::domain::text::{Lines, is_clean};
use area_clienti::user_management::csv_rows::{self, MAX_ROWS};
use area_clienti::web::kit::multipart;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(parts) = multipart::parse(data, "b") {
        assert!(parts.iter().all(|p| p.data.len() <= data.len()));
    }
    let Ok(rows) = csv_rows::parse(data) else {
        return;
    };
    assert!((1..=MAX_ROWS).contains(&rows.len()));
    let mut last = 1;
    for row in &rows {
        assert!(row.line > last, "rows numbered in file order: {rows:?}");
        last = row.line;
        if let Ok(d) = row.input().parse() {
            assert!(is_clean(d.email.as_str(), Lines::Single));
            assert!(is_clean(d.username.as_str(), Lines::Single));
            assert!(is_clean(&d.first_name, Lines::Single));
            assert!(is_clean(&d.last_name, Lines::Single));
        }
    }
});
