//! `DomainError`: why a value typed by a person (or sent by a sales channel) was refused.
//!
//! Every variant displays as a short, plain Italian sentence meant to be shown next to the
//! form field (or in the `message` of an API validation error). Password errors have their
//! own type, [`crate::domain::PasswordError`], because they also name the field they belong to.

/// A value that does not respect the portal's rules; `Display` is the Italian message for
/// the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The field is empty (or only whitespace).
    #[error("Il campo è obbligatorio")]
    Required,
    /// The text exceeds `max` characters.
    #[error("Il testo è troppo lungo (massimo {max} caratteri)")]
    TooLong {
        /// Maximum number of characters accepted.
        max: usize,
    },
    /// The text contains control or invisible formatting characters.
    #[error("Il testo contiene caratteri non ammessi")]
    InvalidCharacters,
    /// Not an e-mail address the portal can write to.
    #[error("Inserisci un indirizzo e-mail valido, ad esempio nome@azienda.it")]
    InvalidEmail,
    /// Not a valid phone number.
    #[error("Inserisci un numero di cellulare valido, ad esempio +39 333 123 4567")]
    InvalidPhone,
    /// A valid phone number that cannot receive SMS (landline, toll-free, ...).
    #[error(
        "Il numero indicato non è un cellulare: inserisci un numero di cellulare, ad esempio +39 333 123 4567"
    )]
    NotMobile,
    /// The Partita IVA is not made of 11 digits.
    #[error("La Partita IVA deve avere 11 cifre")]
    VatLength,
    /// The Partita IVA has 11 digits but a wrong check digit.
    #[error("La Partita IVA non è valida (cifra di controllo errata)")]
    VatChecksum,
    /// The username breaks the length or character rules.
    #[error(
        "La username deve avere almeno 3 caratteri, iniziare con una lettera o una cifra e contenere solo lettere senza accenti, cifre e i simboli . _ - @ + (oppure essere un indirizzo e-mail)"
    )]
    InvalidUsername,
    /// The profile is unknown or cannot be assigned from Gestione Utenze.
    #[error("Scegli un profilo tra Amministratore Full, Amministratore Light e Utilizzatore")]
    InvalidProfile,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_italian_and_specific() {
        assert_eq!(DomainError::Required.to_string(), "Il campo è obbligatorio");
        assert_eq!(
            DomainError::TooLong { max: 100 }.to_string(),
            "Il testo è troppo lungo (massimo 100 caratteri)"
        );
        assert_eq!(
            DomainError::InvalidEmail.to_string(),
            "Inserisci un indirizzo e-mail valido, ad esempio nome@azienda.it"
        );
        assert_eq!(
            DomainError::VatLength.to_string(),
            "La Partita IVA deve avere 11 cifre"
        );
        assert!(
            DomainError::InvalidUsername
                .to_string()
                .contains(". _ - @ +")
        );
        assert!(DomainError::NotMobile.to_string().contains("cellulare"));
    }
}
