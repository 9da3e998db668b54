//! Short text fields: e-mail, username, person name, profile, registration state, link
//! token. Each parser is idempotent and what it keeps passes `domain::text`. Same checks as `check_email_username_name` in tests/fuzz_seeds.rs.
#![no_main]

use area_clienti::credentials::secret::looks_like_link_token;
use area_clienti::domain::text::{Lines, is_clean};
use area_clienti::domain::{EmailAddress, PersonName, Profile, RegistrationState, Username};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(email) = EmailAddress::parse(raw) {
        // What is stored passes the edge rule (no control, bidi or U+FFFD characters).
        assert!(is_clean(email.as_str(), Lines::Single), "{email:?}");
        assert_eq!(EmailAddress::parse(email.as_str()).as_ref(), Ok(&email));
        assert_eq!(
            format!("{}@{}", email.local_part(), email.domain()),
            email.as_str()
        );
        let suggested = Username::from_email(&email);
        assert_eq!(Username::parse(suggested.as_str()).as_ref(), Ok(&suggested));
    }
    if let Ok(username) = Username::parse(raw) {
        assert_eq!(username.as_str(), raw.trim());
        assert!(is_clean(username.as_str(), Lines::Single), "{username:?}");
        assert_eq!(Username::parse(username.as_str()).as_ref(), Ok(&username));
    }
    if let Ok(name) = PersonName::parse(raw) {
        let value = name.as_str();
        assert!(!value.is_empty() && value.chars().count() <= 100);
        assert!(is_clean(value, Lines::Single), "{value:?}");
        assert_eq!(
            value,
            value.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert_eq!(PersonName::parse(value).as_ref(), Ok(&name));
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
});
