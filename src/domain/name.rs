//! `PersonName`: a first name, last name or full name of a person (legal representative,
//! referent, user), as shown in pages, e-mails and to support staff.
//!
//! Whitespace is trimmed and collapsed; control characters and invisible bidirectional
//! overrides are refused, so a name cannot disguise itself on screen or in logs.

use std::fmt;

use super::DomainError;

/// Most characters of a name.
pub const MAX_LEN: usize = 100;

/// A person's name: 1 to 100 characters, single spaces, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name: empty → `Required`, control/bidi characters → `InvalidCharacters`,
    /// over 100 characters (after collapsing spaces) → `TooLong`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.chars().any(is_forbidden) {
            return Err(DomainError::InvalidCharacters);
        }
        let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(DomainError::Required);
        }
        if collapsed.chars().count() > MAX_LEN {
            return Err(DomainError::TooLong { max: MAX_LEN });
        }
        Ok(Self(collapsed))
    }

    /// Like [`PersonName::parse`], but an empty (or blank) input is `Ok(None)`.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, DomainError> {
        if raw.chars().any(is_forbidden) {
            return Err(DomainError::InvalidCharacters);
        }
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }

    /// The name, trimmed and with single spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The edge rule for single-line text, except that tabs are collapsed into spaces instead
/// of refused; a name never spans lines, so a line break is refused.
fn is_forbidden(c: char) -> bool {
    let line_break = matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    line_break || (super::text::is_refused(c, super::text::Lines::Multi) && !c.is_whitespace())
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_collapses_whitespace() {
        let name = PersonName::parse("  Maria \t  De   Rossi ").unwrap();
        assert_eq!(name.as_str(), "Maria De Rossi");
        assert_eq!(name.to_string(), "Maria De Rossi");
        assert_eq!(
            PersonName::parse("Niccolò D'Amico").unwrap().as_str(),
            "Niccolò D'Amico"
        );
        assert_eq!(PersonName::parse("X").unwrap().as_str(), "X");
    }

    #[test]
    fn empty_is_required() {
        assert_eq!(PersonName::parse(""), Err(DomainError::Required));
        assert_eq!(PersonName::parse(" \t "), Err(DomainError::Required));
        assert_eq!(
            PersonName::parse("Maria\r\nRossi"),
            Err(DomainError::InvalidCharacters)
        );
    }

    #[test]
    fn length_is_limited_in_characters() {
        assert!(PersonName::parse(&"è".repeat(100)).is_ok());
        assert_eq!(
            PersonName::parse(&"è".repeat(101)),
            Err(DomainError::TooLong { max: 100 })
        );
        // Collapsed spaces do not count.
        assert!(PersonName::parse(&format!("{}      {}", "a".repeat(50), "b".repeat(49))).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            "Maria\u{0}Rossi",
            "Maria\u{7}",
            "Maria\u{1b}[31m",
            "Ross\u{202E}ia",
        ] {
            assert_eq!(
                PersonName::parse(bad),
                Err(DomainError::InvalidCharacters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn optional_names() {
        assert_eq!(PersonName::parse_optional(""), Ok(None));
        assert_eq!(PersonName::parse_optional("   "), Ok(None));
        assert_eq!(
            PersonName::parse_optional(" Luca ")
                .unwrap()
                .unwrap()
                .as_str(),
            "Luca"
        );
        assert_eq!(
            PersonName::parse_optional("Luca\u{0}"),
            Err(DomainError::InvalidCharacters)
        );
    }
}
