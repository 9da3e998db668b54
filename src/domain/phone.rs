//! `PhoneNumber`: a valid mobile number in E.164 form (`+393331234567`), the only form the
//! portal stores, compares and sends SMS to.
//!
//! Parsing uses the `phonenumber` crate with Italy as the default region, so numbers written
//! without prefix ("333 123 4567") or with the `0039` international prefix are accepted.

use std::fmt;

use phonenumber::{Mode, Type, country, metadata::DATABASE};

use super::DomainError;

/// Longest input accepted, in characters (spaces and punctuation included).
pub const MAX_INPUT_LEN: usize = 32;

/// A valid mobile phone number, stored in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, sqlx::Type)]
// Read back from the database without re-parsing: only `parse` output is ever stored.
#[sqlx(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number as typed: empty → `Required`, over 32 characters → `TooLong`,
    /// not a valid number → `InvalidPhone`, valid but not a mobile → `NotMobile`.
    /// Like [`PhoneNumber::parse`], but an empty (or blank) input is `Ok(None)`; a lone
    /// control character is refused, not taken for an empty field.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, DomainError> {
        super::text::checked(raw, super::text::Lines::Single)?;
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Required);
        }
        // Control and bidi characters: refused before anything else looks at the text.
        super::text::checked(trimmed, super::text::Lines::Single)?;
        if trimmed.chars().count() > MAX_INPUT_LEN {
            return Err(DomainError::TooLong { max: MAX_INPUT_LEN });
        }
        let number = phonenumber::parse(Some(country::Id::IT), trimmed)
            .map_err(|_| DomainError::InvalidPhone)?;
        if number.extension().is_some() || !number.is_valid() {
            return Err(DomainError::InvalidPhone);
        }
        match number.number_type(&DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile => {}
            _ => return Err(DomainError::NotMobile),
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// The number in E.164 form, e.g. `+393331234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as people read it, in the groups of its country: `+39 340 111 2200` for
    /// an Italian mobile (`+49 1512 3456789` for a German one). Pages show this form; the
    /// database, SMS gateway, CSV export and logs keep E.164 ([`PhoneNumber::as_str`]).
    pub fn grouped(&self) -> String {
        grouped(&self.0)
    }

    /// The number with its middle hidden, for pages and logs: `+39 333 ••• 4567`.
    pub fn masked(&self) -> String {
        // E.164 is "+", the country code, then the national number; re-parsing a value we
        // produced cannot fail, but fall back to hiding everything rather than panicking.
        let Ok(number) = phonenumber::parse(None, &self.0) else {
            return "•••".to_owned();
        };
        let code = number.code().value().to_string();
        let national = &self.0[1 + code.len()..];
        if national.len() >= 9 {
            let (head, tail) = (&national[..3], &national[national.len() - 4..]);
            format!("+{code} {head} ••• {tail}")
        } else {
            let tail = &national[national.len().saturating_sub(2)..];
            format!("+{code} ••• {tail}")
        }
    }
}

/// An E.164 number (`+393401112200`) as people read it (`+39 340 111 2200`); any other text
/// (a number from before E.164 was enforced, an e-mail address) is returned as it is.
pub fn grouped(e164: &str) -> String {
    if !e164.starts_with('+') {
        return e164.to_owned();
    }
    match phonenumber::parse(None, e164) {
        Ok(number) if number.is_valid() => number.format().mode(Mode::International).to_string(),
        _ => e164.to_owned(),
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn control_and_bidi_characters_are_invalid_characters() {
        for bad in [
            "333\u{0}1234567",
            "333\u{1b}1234567",
            "333\u{202E}1234567",
            "333\n1234567",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(crate::domain::DomainError::InvalidCharacters),
                "{bad:?}"
            );
        }
        assert!(PhoneNumber::parse("3331234567").is_ok());
    }
    use super::*;

    #[test]
    fn italian_forms_normalise_to_e164() {
        for raw in [
            "333 123 4567",
            "3331234567",
            "+39 333 1234567",
            "0039 3331234567",
            "+39 333-123-4567",
            " (+39) 333 123 4567 ",
        ] {
            let phone = PhoneNumber::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(phone.as_str(), "+393331234567", "{raw}");
            assert_eq!(phone.to_string(), "+393331234567");
        }
    }

    #[test]
    fn numbers_of_the_spec_parse() {
        for raw in ["+393331234567", "+393401112233", "+393401112234"] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn foreign_mobiles_are_accepted() {
        // Germany: mobile; USA: fixed-line-or-mobile.
        assert_eq!(
            PhoneNumber::parse("+49 151 23456789").unwrap().as_str(),
            "+4915123456789"
        );
        assert_eq!(
            PhoneNumber::parse("+1 650 253 0000").unwrap().as_str(),
            "+16502530000"
        );
    }

    #[test]
    fn landlines_and_toll_free_are_not_mobile() {
        assert_eq!(
            PhoneNumber::parse("06 1234 5678"),
            Err(DomainError::NotMobile)
        );
        assert_eq!(
            PhoneNumber::parse("02 12345678"),
            Err(DomainError::NotMobile)
        );
        assert_eq!(
            PhoneNumber::parse("800 123 456"),
            Err(DomainError::NotMobile)
        );
    }

    #[test]
    fn invalid_input() {
        assert_eq!(PhoneNumber::parse(""), Err(DomainError::Required));
        assert_eq!(PhoneNumber::parse("  "), Err(DomainError::Required));
        for bad in ["abc", "12", "333 12", "+39 333 1234567 ext. 12"] {
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(DomainError::InvalidPhone),
                "{bad}"
            );
        }
        assert_eq!(
            PhoneNumber::parse(&"3".repeat(33)),
            Err(DomainError::TooLong { max: 32 })
        );
    }

    #[test]
    fn grouped_as_people_read_a_number() {
        let grouped = |raw: &str| PhoneNumber::parse(raw).unwrap().grouped();
        assert_eq!(grouped("+393401112200"), "+39 340 111 2200");
        assert_eq!(grouped("3331234567"), "+39 333 123 4567");
        // Nine-digit Italian mobiles exist too.
        assert_eq!(grouped("+39 333 123 456"), "+39 333 123 456");
        assert_eq!(grouped("+49 151 23456789"), "+49 1512 3456789");
        // Read back as the same number: what a person copies from a page, a form accepts.
        let shown = grouped("+393401112200");
        assert_eq!(
            PhoneNumber::parse(&shown).unwrap().as_str(),
            "+393401112200"
        );
    }

    #[test]
    fn grouped_leaves_other_text_alone() {
        assert_eq!(super::grouped("+393401112200"), "+39 340 111 2200");
        assert_eq!(super::grouped("maria@example.it"), "maria@example.it");
        assert_eq!(super::grouped("+12"), "+12");
        assert_eq!(super::grouped(""), "");
    }

    #[test]
    fn masked_hides_the_middle() {
        let phone = PhoneNumber::parse("333 123 4567").unwrap();
        assert_eq!(phone.masked(), "+39 333 ••• 4567");
        let german = PhoneNumber::parse("+49 151 23456789").unwrap();
        assert_eq!(german.masked(), "+49 151 ••• 6789");
    }
}
