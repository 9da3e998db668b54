//! Replays the fuzzers' seed inputs (`fuzz/seeds/<target>/*`) through the same property
//! checks the fuzz targets make, so that a regression on a seed (including every crashing
//! input the fuzzers found) is caught by a plain `cargo test`, without nightly flags or
//! cargo-fuzz. See FUZZING.md. The fuzz targets in `fuzz/fuzz_targets/` repeat these checks;
//! keep the two in step.

use std::path::{Path, PathBuf};

use area_clienti::contracts::payload::{self, FieldError};
use area_clienti::credentials::secret::looks_like_link_token;
use area_clienti::domain::text::{Lines, is_clean};
use area_clienti::domain::{
    EmailAddress, Password, PersonName, PhoneNumber, Profile, RegistrationState, Username,
    VatNumber,
};
use area_clienti::support::search_terms;
use area_clienti::user_management::csv_rows;
use area_clienti::web::kit::multipart;
use serde::{Deserialize, Serialize};

/// Longest password input given to `Password::parse`, as the web layer caps it.
const MAX_PASSWORD_INPUT: usize = 1024;

fn check_contract_json(data: &[u8]) {
    let field_error_ok = |e: &FieldError| {
        assert!(!e.field.is_empty(), "empty field in {e:?}");
        assert!(!e.message.is_empty(), "empty message in {e:?}");
    };
    match payload::parse_json(data) {
        Err(e) => field_error_ok(&e),
        Ok(parsed) => match parsed.validate() {
            Err(errors) => {
                assert!(!errors.is_empty(), "validation failed without errors");
                errors.iter().for_each(field_error_ok);
            }
            Ok(contract) => {
                check_vat_value(&contract.vat_number);
                let person = &contract.legal_representative;
                check_email_value(&person.email);
                check_name_value(&person.first_name);
                check_name_value(&person.last_name);
                if let Some(mobile) = &person.mobile {
                    check_phone_value(mobile);
                }
                for line in &contract.lines {
                    check_phone_value(&line.number);
                }
            }
        },
    }
}

fn check_phone(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(phone) = PhoneNumber::parse(raw) {
        check_phone_value(&phone);
    }
}

fn check_phone_value(phone: &PhoneNumber) {
    let e164 = phone.as_str();
    let digits = e164.strip_prefix('+').unwrap_or_else(|| panic!("{e164:?}"));
    assert!(
        !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()),
        "not E.164: {e164:?}"
    );
    assert_eq!(PhoneNumber::parse(e164).as_ref(), Ok(phone), "re-parse");
    let _ = phone.masked();
}

fn check_vat(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(vat) = VatNumber::parse(raw) {
        check_vat_value(&vat);
    }
}

fn check_vat_value(vat: &VatNumber) {
    let digits = vat.as_str();
    assert!(
        digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()),
        "not 11 digits: {digits:?}"
    );
    assert_eq!(VatNumber::parse(digits).as_ref(), Ok(vat), "re-parse");
    assert_eq!(
        VatNumber::parse(&format!("IT{digits}")).as_ref(),
        Ok(vat),
        "IT prefix"
    );
}

fn check_email_username_name(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(email) = EmailAddress::parse(raw) {
        check_email_value(&email);
    }
    if let Ok(username) = Username::parse(raw) {
        assert_eq!(username.as_str(), raw.trim());
        assert!(is_clean(username.as_str(), Lines::Single), "{username:?}");
        assert_eq!(Username::parse(username.as_str()).as_ref(), Ok(&username));
    }
    if let Ok(name) = PersonName::parse(raw) {
        check_name_value(&name);
    }
    if let Ok(profile) = Profile::parse_assignable(raw) {
        assert_eq!(profile.as_str(), raw.trim());
        assert_eq!(Profile::parse(profile.as_str()), Some(profile));
    }
    if let Some(state) = RegistrationState::parse(raw) {
        assert_eq!(state.as_str(), raw.trim());
    }
    if looks_like_link_token(raw) {
        assert_eq!(raw.len(), 43);
    }
}

fn check_email_value(email: &EmailAddress) {
    let value = email.as_str();
    // What is stored passes the edge rule (no control, bidi or U+FFFD characters).
    assert!(is_clean(value, Lines::Single), "{value:?}");
    assert_eq!(EmailAddress::parse(value).as_ref(), Ok(email), "re-parse");
    assert_eq!(format!("{}@{}", email.local_part(), email.domain()), value);
    // The suggested username of a person is their e-mail: it must be a valid username.
    let suggested = Username::from_email(email);
    assert_eq!(
        Username::parse(suggested.as_str()).as_ref(),
        Ok(&suggested),
        "suggested username"
    );
}

fn check_name_value(name: &PersonName) {
    let value = name.as_str();
    assert!(
        !value.is_empty() && value.chars().count() <= 100,
        "{value:?}"
    );
    assert!(is_clean(value, Lines::Single), "{value:?}");
    assert_eq!(
        value,
        value.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    assert_eq!(PersonName::parse(value).as_ref(), Ok(name), "re-parse");
}

fn check_password(data: &[u8]) {
    if data.len() > MAX_PASSWORD_INPUT {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines: the password, its confirmation, then the personal strings.
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
}

/// Shaped like the app's forms: `#[serde(default)]` strings and a repeated field.
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

fn check_form_body(data: &[u8]) {
    // What `CsrfForm` does: find the token, then deserialize the whole body.
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
}

fn check_support_search(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let terms = search_terms(query);
    if let Some(vat) = &terms.vat_prefix {
        assert!((3..=11).contains(&vat.len()) && vat.bytes().all(|b| b.is_ascii_digit()));
    }
    if let Some(phone) = &terms.phone_prefix {
        let digits = phone.strip_prefix('+').expect("phone prefix starts with +");
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
}

/// The CSV import: the upload's body, the file's rows, each row through Aggiungi's parser.
fn check_user_csv(data: &[u8]) {
    if let Some(parts) = multipart::parse(data, "b") {
        assert!(parts.iter().all(|p| p.data.len() <= data.len()));
    }
    let Ok(rows) = csv_rows::parse(data) else {
        return;
    };
    assert!((1..=csv_rows::MAX_ROWS).contains(&rows.len()));
    let mut last = 1;
    for row in &rows {
        assert!(row.line > last, "rows numbered in file order: {rows:?}");
        last = row.line;
        if let Ok(d) = row.input().parse() {
            assert!(is_clean(d.email.as_str(), Lines::Single), "{d:?}");
            assert!(is_clean(d.username.as_str(), Lines::Single), "{d:?}");
            assert!(is_clean(&d.first_name, Lines::Single), "{d:?}");
            assert!(is_clean(&d.last_name, Lines::Single), "{d:?}");
        }
    }
}

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("seed entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// The checks of one fuzz target, given one input.
type Check = fn(&[u8]);

/// Every seed of every target, through its target's checks; reports all failing seeds.
#[test]
fn every_fuzz_seed_passes_its_checks() {
    let targets: [(&str, Check); 8] = [
        ("contract_json", check_contract_json),
        ("phone", check_phone),
        ("vat", check_vat),
        ("email_username_name", check_email_username_name),
        ("password", check_password),
        ("form_body", check_form_body),
        ("support_search", check_support_search),
        ("user_csv", check_user_csv),
    ];
    let mut failed = Vec::new();
    for (target, check) in targets {
        for path in seeds(target) {
            let data = std::fs::read(&path).expect("read seed");
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "seeds failing their checks: {failed:#?}");

    // The spec's example contract (CONTRACT.md section 3) is a seed, and it is valid.
    let spec = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/contract_json/spec_example.json"),
    )
    .expect("read spec example");
    let contract = payload::parse_json(&spec)
        .expect("parse")
        .validate()
        .expect("valid");
    assert_eq!(contract.vat_number.as_str(), "01234567897");
    assert_eq!(contract.lines.len(), 2);
}
