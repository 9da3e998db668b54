//! `VatNumber`: an Italian Partita IVA, the identity of a company in the portal.
//!
//! Accepted with or without the `IT` prefix and with spaces; stored as the 11 digits only,
//! after checking the official check digit (a Luhn variant).

use std::fmt;

use super::DomainError;

/// A Partita IVA: 11 digits with a correct check digit, stored without the `IT` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VatNumber(String);

impl VatNumber {
    /// Parses a Partita IVA: trims, drops whitespace and an optional `IT` prefix (any case),
    /// then requires 11 digits (`VatLength`) and a correct check digit (`VatChecksum`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(DomainError::Required);
        }
        let digits = match compact.get(..2) {
            Some(prefix) if prefix.eq_ignore_ascii_case("IT") => &compact[2..],
            _ => compact.as_str(),
        };
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::VatLength);
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if check_digit(&values[..10]) != values[10] {
            return Err(DomainError::VatChecksum);
        }
        Ok(Self(digits.to_owned()))
    }

    /// The 11 digits, without the `IT` prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check digit of the first 10 digits: odd positions (1st, 3rd, ...) are summed as they
/// are, even positions are doubled (minus 9 when above 9); the digit is `(10 - sum % 10) % 10`.
fn check_digit(first_ten: &[u32]) -> u32 {
    let sum: u32 = first_ten
        .iter()
        .enumerate()
        .map(|(index, &digit)| {
            if index % 2 == 0 {
                digit
            } else {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for VatNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_prefix_spaces_and_case() {
        for raw in [
            "IT01234567897",
            "01234567897",
            "it01234567897",
            " IT 012 345 678 97 ",
        ] {
            let vat = VatNumber::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(vat.as_str(), "01234567897");
            assert_eq!(vat.to_string(), "01234567897");
        }
    }

    #[test]
    fn known_real_numbers_pass() {
        // Published Partite IVA of large Italian companies.
        for raw in ["00488410010", "00905811006"] {
            assert!(VatNumber::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        assert_eq!(
            VatNumber::parse("IT01234567890"),
            Err(DomainError::VatChecksum)
        );
        assert_eq!(
            VatNumber::parse("01234567898"),
            Err(DomainError::VatChecksum)
        );
    }

    #[test]
    fn wrong_length_or_characters() {
        assert_eq!(VatNumber::parse(""), Err(DomainError::Required));
        for bad in [
            "0123456789",
            "012345678970",
            "IT0123456789A",
            "DE01234567897",
            "ITIT",
        ] {
            assert_eq!(VatNumber::parse(bad), Err(DomainError::VatLength), "{bad}");
        }
    }

    #[test]
    fn check_digit_follows_the_official_rule() {
        assert_eq!(check_digit(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 7);
        assert_eq!(check_digit(&[0; 10]), 0);
        // One doubled 9 counts as 9 (18 - 9): sum 9 → check 1.
        assert_eq!(check_digit(&[0, 9, 0, 0, 0, 0, 0, 0, 0, 0]), 1);
    }
}
