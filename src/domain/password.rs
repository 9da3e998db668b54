//! `Password`: a new password chosen at activation or recovery, checked against the
//! portal's rules before it is hashed; `PasswordError` says which rule failed and on which
//! form field (`password` or `password_confirm`).
//!
//! Rules: 12 to 128 characters, confirmation identical, not guessable (zxcvbn score ≥ 3 with
//! the person's data as user inputs) and not containing the username, name or e-mail.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use zxcvbn::{Score, feedback::Warning};

/// Fewest characters of a password.
pub const MIN_LEN: usize = 12;
/// Most characters of a password.
pub const MAX_LEN: usize = 128;
/// Personal strings (and their words) shorter than this are not searched in the password.
const MIN_PERSONAL_LEN: usize = 3;

/// Why a new password was refused; `Display` is the Italian message for the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than 12 characters.
    #[error("La password deve avere almeno {min} caratteri")]
    TooShort {
        /// Minimum number of characters.
        min: usize,
    },
    /// More than 128 characters.
    #[error("La password può avere al massimo {max} caratteri")]
    TooLong {
        /// Maximum number of characters.
        max: usize,
    },
    /// Contains the username, the name or the e-mail of the person.
    #[error("La password non può contenere la tua username o il tuo nome")]
    ContainsPersonal,
    /// zxcvbn scores it below 3; `hint` is zxcvbn's warning translated to Italian.
    #[error(
        "La password è troppo facile da indovinare: usa una frase di più parole o aggiungi parole non comuni{}",
        hint_suffix(*.hint)
    )]
    Guessable {
        /// Italian rendering of zxcvbn's warning, when it gave one.
        hint: Option<&'static str>,
    },
    /// The confirmation field is empty.
    #[error("Ripeti la password nel campo di conferma")]
    ConfirmMissing,
    /// The confirmation differs from the password.
    #[error("Le due password non coincidono")]
    Mismatch,
}

fn hint_suffix(hint: Option<&'static str>) -> String {
    hint.map(|h| format!(". {h}")).unwrap_or_default()
}

impl PasswordError {
    /// The form field the message belongs next to: `"password"` or `"password_confirm"`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::ConfirmMissing | Self::Mismatch => "password_confirm",
            _ => "password",
        }
    }
}

/// A password that passed the rules; only [`Password::expose`] reveals it, for hashing.
pub struct Password(SecretString);

impl Password {
    /// Checks a new password (`raw`, not trimmed) and its confirmation; `personal` holds the
    /// person's username, name and e-mail (for an e-mail only the part before `@` counts).
    pub fn parse(raw: &str, confirm: &str, personal: &[&str]) -> Result<Password, PasswordError> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(PasswordError::TooShort { min: MIN_LEN });
        }
        if len > MAX_LEN {
            return Err(PasswordError::TooLong { max: MAX_LEN });
        }
        let fragments = personal_fragments(personal);
        let lowered = raw.to_lowercase();
        if fragments.iter().any(|f| lowered.contains(f.as_str())) {
            return Err(PasswordError::ContainsPersonal);
        }
        let inputs: Vec<&str> = fragments.iter().map(String::as_str).collect();
        let entropy = zxcvbn::zxcvbn(raw, &inputs);
        if entropy.score() < Score::Three {
            let hint = entropy
                .feedback()
                .and_then(|f| f.warning())
                .map(italian_warning);
            return Err(PasswordError::Guessable { hint });
        }
        if confirm.is_empty() {
            return Err(PasswordError::ConfirmMissing);
        }
        if confirm != raw {
            return Err(PasswordError::Mismatch);
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The password in clear, to be passed to the hasher and nowhere else.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Lowercased personal strings and their words, each at least 3 characters; for values
/// holding an `@` only the local part is kept (the domain is not personal).
fn personal_fragments(personal: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in personal {
        let value = value.trim();
        let value = value.rsplit_once('@').map_or(value, |(local, _)| local);
        let value = value.to_lowercase();
        let words = value.split(|c: char| c.is_whitespace() || matches!(c, '.' | '_' | '-' | '+'));
        for fragment in std::iter::once(value.as_str()).chain(words) {
            if fragment.chars().count() >= MIN_PERSONAL_LEN && !out.iter().any(|o| o == fragment) {
                out.push(fragment.to_owned());
            }
        }
    }
    out
}

fn italian_warning(warning: Warning) -> &'static str {
    match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess => {
            "Le file di tasti vicini sulla tastiera sono facili da indovinare."
        }
        Warning::ShortKeyboardPatternsAreEasyToGuess => {
            "Le brevi sequenze di tasti sono facili da indovinare."
        }
        Warning::RepeatsLikeAaaAreEasyToGuess => {
            "Le ripetizioni come \"aaa\" sono facili da indovinare."
        }
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "Le ripetizioni come \"abcabcabc\" sono solo un po' più difficili da indovinare di \"abc\"."
        }
        Warning::ThisIsATop10Password => "È una delle 10 password più usate.",
        Warning::ThisIsATop100Password => "È una delle 100 password più usate.",
        Warning::ThisIsACommonPassword => "È una password molto comune.",
        Warning::ThisIsSimilarToACommonlyUsedPassword => "È simile a una password molto usata.",
        Warning::SequencesLikeAbcAreEasyToGuess => {
            "Le sequenze come abc o 6543 sono facili da indovinare."
        }
        Warning::RecentYearsAreEasyToGuess => "Gli anni recenti sono facili da indovinare.",
        Warning::AWordByItselfIsEasyToGuess => "Una parola da sola è facile da indovinare.",
        Warning::DatesAreOftenEasyToGuess => "Le date sono spesso facili da indovinare.",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => {
            "Nomi e cognomi da soli sono facili da indovinare."
        }
        Warning::CommonNamesAndSurnamesAreEasyToGuess => {
            "I nomi e i cognomi comuni sono facili da indovinare."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRONG: &str = "vaso-girasole-Treno-1987-blu";
    const PERSONAL: &[&str] = &["m.rossi", "Maria Rossi", "maria.rossi@example.it"];

    #[test]
    fn strong_password_is_accepted_and_hidden() {
        let password = Password::parse(STRONG, STRONG, PERSONAL).unwrap();
        assert_eq!(password.expose(), STRONG);
        assert_eq!(format!("{password:?}"), "Password(***)");
    }

    #[test]
    fn length_is_counted_in_characters() {
        let short = "àèìòùàèìòù1"; // 11 characters, 21 bytes
        assert_eq!(
            Password::parse(short, short, &[]).unwrap_err(),
            PasswordError::TooShort { min: 12 }
        );
        let long = "è".repeat(129);
        assert_eq!(
            Password::parse(&long, &long, &[]).unwrap_err(),
            PasswordError::TooLong { max: 128 }
        );
        let err = Password::parse("", "", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "La password deve avere almeno 12 caratteri"
        );
        assert_eq!(err.field(), "password");
    }

    #[test]
    fn confirmation_must_match() {
        let err = Password::parse(STRONG, "vaso-girasole", &[]).unwrap_err();
        assert_eq!(err, PasswordError::Mismatch);
        assert_eq!(err.field(), "password_confirm");
        assert_eq!(err.to_string(), "Le due password non coincidono");
        let err = Password::parse(STRONG, "", &[]).unwrap_err();
        assert_eq!(err, PasswordError::ConfirmMissing);
        assert_eq!(err.field(), "password_confirm");
    }

    #[test]
    fn guessable_passwords_are_refused_with_italian_hint() {
        for weak in [
            "password1234",
            "qwertyuiopas",
            "aaaaaaaaaaaa",
            "123456789012",
        ] {
            let err = Password::parse(weak, weak, &[]).unwrap_err();
            assert!(
                matches!(err, PasswordError::Guessable { .. }),
                "{weak}: {err:?}"
            );
            assert_eq!(err.field(), "password");
            assert!(
                err.to_string()
                    .starts_with("La password è troppo facile da indovinare")
            );
        }
        let err = Password::parse("aaaaaaaaaaaa", "aaaaaaaaaaaa", &[]).unwrap_err();
        assert!(err.to_string().contains("ripetizioni"), "{err}");
    }

    #[test]
    fn personal_data_is_refused_case_insensitively() {
        for pw in [
            "Xq9!ROSSI-vaso-treno",
            "vaso-treno-M.Rossi!!",
            "maria-zanzara-42-k",
        ] {
            let err = Password::parse(pw, pw, PERSONAL).unwrap_err();
            assert_eq!(err, PasswordError::ContainsPersonal, "{pw}");
            assert_eq!(
                err.to_string(),
                "La password non può contenere la tua username o il tuo nome"
            );
        }
        // The e-mail domain is not personal; strings under 3 characters are ignored.
        let pw = "example-vaso-girasole-77";
        assert!(Password::parse(pw, pw, &["a@example.it", "Li"]).is_ok());
    }

    #[test]
    fn fragments_split_names_and_emails() {
        let fragments = personal_fragments(&["Maria Rossi", "luca.b@example.it", "Al"]);
        assert_eq!(
            fragments,
            ["maria rossi", "maria", "rossi", "luca.b", "luca"]
        );
    }
}
