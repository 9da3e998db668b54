//! Urlencoded form bodies as `CsrfForm` reads them (src/auth/csrf.rs): the `csrf_token`
//! lookup, then `serde_html_form` into a form-shaped struct. Same checks as
//! `check_form_body` in tests/fuzz_seeds.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Form {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    pagina: String,
    #[serde(default)]
    user_id: Vec<String>,
}

fuzz_target!(|data: &[u8]| {
    let sent: Vec<String> = url::form_urlencoded::parse(data)
        .filter(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.into_owned())
        .collect();
    let Ok(form) = serde_html_form::from_bytes::<Form>(data) else {
        return;
    };
    if sent.is_empty() {
        assert_eq!(form.csrf_token, "");
    } else {
        assert!(sent.contains(&form.csrf_token), "{form:?} vs {sent:?}");
    }
    let page = area_clienti::web::kit::Page::read(&form.pagina, 50, 1_000_000).number;
    assert!((1..=1_000_000).contains(&page));
    let encoded = serde_html_form::to_string(&form).expect("serialize");
    let again: Form = serde_html_form::from_str(&encoded).expect("re-parse");
    assert_eq!(again, form, "round trip through {encoded:?}");
});
