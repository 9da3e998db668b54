//! `EmailAddress`: a validated, lowercased e-mail address (contract e-mails, users' e-mails,
//! the address typed in "Reinvio credenziali").
//!
//! Validation uses the `email_address` crate with the portal's stricter options: no display
//! name ("Maria <m@x.it>"), no IP literal, at least one dot in the domain, no quoted local part.

use std::fmt;

use email_address::Options;

use super::DomainError;

/// Longest address accepted, in characters (RFC 5321 path limit).
pub const MAX_LEN: usize = 254;

/// A syntactically valid e-mail address, trimmed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, sqlx::Type)]
// Read back from the database without re-parsing: only `parse` output is ever stored.
#[sqlx(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses what a person typed: trims it, refuses empty (`Required`), longer than
    /// 254 characters (`TooLong`) or invalid (`InvalidEmail`) input, and lowercases it.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Required);
        }
        // Control and bidi characters: refused before anything else looks at the text.
        super::text::checked(trimmed, super::text::Lines::Single)?;
        // Validate the lowercase form, the one stored: lowercasing can lengthen a value
        // ('Ⱦ' is 2 bytes, 'ⱦ' 3), so an address valid as typed could be stored invalid
        // (found by fuzzing, see FUZZING.md).
        let lowered = trimmed.to_lowercase();
        if lowered.chars().count() > MAX_LEN {
            return Err(DomainError::TooLong { max: MAX_LEN });
        }
        let options = Options::default()
            .with_required_tld()
            .without_display_text()
            .without_domain_literal();
        let parsed = email_address::EmailAddress::parse_with_options(&lowered, options)
            .map_err(|_| DomainError::InvalidEmail)?;
        // Quoted local parts ("a b"@x.it) are legal but not something a person means to type,
        // and they cannot double as a username.
        if parsed.local_part().starts_with('"') {
            return Err(DomainError::InvalidEmail);
        }
        Ok(Self(lowered))
    }

    /// The whole address, lowercased.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@` (used as personal information when checking passwords).
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the `@`: what logs may show without naming the recipient.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// The address with its local part hidden, for logs and error texts: `•••@example.it`.
    pub fn masked(&self) -> String {
        format!("•••@{}", self.domain())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn control_and_bidi_characters_are_invalid_characters() {
        for bad in [
            "mar\u{0}io@rossi.it",
            "mar\u{1b}io@rossi.it",
            "mar\u{202E}io@rossi.it",
            "mar\nio@rossi.it",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(crate::domain::DomainError::InvalidCharacters),
                "{bad:?}"
            );
        }
        assert!(EmailAddress::parse("mario@rossi.it").is_ok());
    }
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let email = EmailAddress::parse("  Maria.Rossi@Example.IT \n").unwrap();
        assert_eq!(email.as_str(), "maria.rossi@example.it");
        assert_eq!(email.to_string(), "maria.rossi@example.it");
        assert_eq!(email.as_ref(), "maria.rossi@example.it");
        assert_eq!(email.local_part(), "maria.rossi");
        assert_eq!(email.domain(), "example.it");
        assert_eq!(email.masked(), "•••@example.it");
    }

    #[test]
    fn accepts_common_forms() {
        for ok in [
            "a@b.it",
            "luca.bianchi+fatture@mail.example.co.uk",
            "x_y-z@azienda.it",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn empty_is_required() {
        assert_eq!(EmailAddress::parse(""), Err(DomainError::Required));
        assert_eq!(EmailAddress::parse("   "), Err(DomainError::Required));
    }

    #[test]
    fn too_long_is_refused() {
        let long = format!("{}@{}.it", "a".repeat(60), "b".repeat(200));
        assert_eq!(
            EmailAddress::parse(&long),
            Err(DomainError::TooLong { max: 254 })
        );
    }

    #[test]
    fn the_stored_lowercase_form_is_the_one_validated() {
        // Found by fuzzing: a 63-byte domain label with 'Ⱦ' (2 bytes) becomes 64 bytes once
        // lowercased ('ⱦ', 3 bytes), over the DNS limit, and used to be accepted and stored.
        let typed = format!("m@Ⱦ{}.it", "n".repeat(61));
        assert_eq!(EmailAddress::parse(&typed), Err(DomainError::InvalidEmail));
        let fits = format!("m@Ⱦ{}.it", "n".repeat(60));
        let email = EmailAddress::parse(&fits).unwrap();
        assert_eq!(email.as_str(), format!("m@ⱦ{}.it", "n".repeat(60)));
        assert_eq!(EmailAddress::parse(email.as_str()), Ok(email));
    }

    #[test]
    fn rejects_invalid_forms() {
        for bad in [
            "Maria <maria@example.it>",
            "a@localhost",
            "maria",
            "maria@",
            "@example.it",
            "maria rossi@example.it",
            "maria@@example.it",
            "maria@[127.0.0.1]",
            "\"maria rossi\"@example.it",
            "maria@example..it",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(DomainError::InvalidEmail),
                "{bad}"
            );
        }
    }
}
