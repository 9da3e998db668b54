//! `Username`: the name a person types to log in to the Area Clienti.
//!
//! The suggested username is the person's e-mail. A typed username has 3 to 254 characters
//! among ASCII letters, digits and `. _ - @ +`, and starts with a letter or digit; any valid
//! e-mail address is accepted too, so that the suggestion always round-trips. The case is
//! kept as typed: uniqueness and login are case-insensitive (enforced in the database).

use std::fmt;

use super::{DomainError, EmailAddress};

/// Fewest characters of a username.
pub const MIN_LEN: usize = 3;
/// Most characters of a username (as many as an e-mail address).
pub const MAX_LEN: usize = 254;

/// A valid username, trimmed, in the case it was typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Parses a typed username: empty → `Required`, over 254 characters → `TooLong`,
    /// otherwise `InvalidUsername` unless it follows the rules above.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Required);
        }
        // Control and bidi characters: refused before anything else looks at the text.
        super::text::checked(trimmed, super::text::Lines::Single)?;
        let len = trimmed.chars().count();
        if len > MAX_LEN {
            return Err(DomainError::TooLong { max: MAX_LEN });
        }
        if len >= MIN_LEN && follows_charset(trimmed) {
            return Ok(Self(trimmed.to_owned()));
        }
        if trimmed.contains('@') && EmailAddress::parse(trimmed).is_ok() {
            return Ok(Self(trimmed.to_owned()));
        }
        Err(DomainError::InvalidUsername)
    }

    /// The suggested username for a person: their e-mail address.
    pub fn from_email(email: &EmailAddress) -> Username {
        Self(email.as_str().to_owned())
    }

    /// The username as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercase form used to compare usernames (login, uniqueness checks).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

fn follows_charset(value: &str) -> bool {
    let starts_well = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    starts_well
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn control_and_bidi_characters_are_invalid_characters() {
        for bad in [
            "mar\u{0}io.rossi",
            "mar\u{1b}io.rossi",
            "mar\u{202E}io.rossi",
            "mar\nio.rossi",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(crate::domain::DomainError::InvalidCharacters),
                "{bad:?}"
            );
        }
        assert!(Username::parse("mario.rossi").is_ok());
    }
    use super::*;

    #[test]
    fn keeps_case_and_trims() {
        let name = Username::parse("  Maria.Rossi_1 ").unwrap();
        assert_eq!(name.as_str(), "Maria.Rossi_1");
        assert_eq!(name.to_string(), "Maria.Rossi_1");
        assert_eq!(name.normalized(), "maria.rossi_1");
    }

    #[test]
    fn accepts_allowed_characters() {
        for ok in ["abc", "m.rossi", "luca-b", "a_b", "x+y@azienda.it", "007"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_usernames() {
        assert_eq!(Username::parse(""), Err(DomainError::Required));
        assert_eq!(Username::parse("   "), Err(DomainError::Required));
        for bad in [
            "ab",
            ".maria",
            "_maria",
            "maria rossi",
            "niccolò",
            "a/b",
            "maria!",
            "-x-",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(DomainError::InvalidUsername),
                "{bad}"
            );
        }
        assert_eq!(
            Username::parse(&"a".repeat(255)),
            Err(DomainError::TooLong { max: 254 })
        );
        assert!(Username::parse(&"a".repeat(254)).is_ok());
    }

    #[test]
    fn any_email_is_a_valid_username() {
        let email = EmailAddress::parse("O'Neil@Example.it").unwrap();
        let suggested = Username::from_email(&email);
        assert_eq!(suggested.as_str(), "o'neil@example.it");
        // The suggestion, submitted back through the form, is accepted as it is.
        assert_eq!(Username::parse(suggested.as_str()), Ok(suggested));
        assert_eq!(
            Username::parse("_info@example.it").unwrap().as_str(),
            "_info@example.it"
        );
    }
}
