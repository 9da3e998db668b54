//! Parsing of the Gestione Utenze forms into domain types, with Italian messages by field.

use crate::domain::{EmailAddress, PersonName, PhoneNumber, Profile, Username};
use crate::validation::FieldErrors;

/// The fields of "Aggiungi" and "Aggiorna" as typed.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub mobile: String,
    pub email: String,
    pub username: String,
    pub profile: String,
    pub first_name: String,
    pub last_name: String,
}

/// The fields of "Modifica" as typed.
#[derive(Debug, Clone, Default)]
pub struct DetailsInput {
    pub email: String,
    pub mobile: String,
    pub profile: String,
}

/// A valid new user.
#[derive(Debug)]
pub struct UserDetails {
    pub mobile: Option<PhoneNumber>,
    pub email: EmailAddress,
    pub username: Username,
    pub profile: Profile,
    pub first_name: String,
    pub last_name: String,
}

impl UserDetails {
    /// How the messages name the new user: the full name, or the username without one.
    pub fn display_name(&self) -> String {
        match format!("{} {}", self.first_name, self.last_name).trim() {
            "" => self.username.as_str().to_owned(),
            name => name.to_owned(),
        }
    }
}

fn optional_mobile(errors: &mut FieldErrors, raw: &str) -> Option<Option<PhoneNumber>> {
    errors.check("mobile", PhoneNumber::parse_optional(raw))
}

fn optional_name(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<String> {
    errors
        .check(field, PersonName::parse_optional(raw))
        .map(|n| n.map(|n| n.as_str().to_owned()).unwrap_or_default())
}

impl NewUserInput {
    pub fn parse(&self) -> Result<UserDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mobile = optional_mobile(&mut errors, &self.mobile);
        let email = errors.check("email", EmailAddress::parse(&self.email));
        let username = errors.check("username", Username::parse(&self.username));
        let profile = errors.check("profile", Profile::parse_assignable(&self.profile));
        let first_name = optional_name(&mut errors, "first_name", &self.first_name);
        let last_name = optional_name(&mut errors, "last_name", &self.last_name);
        match (mobile, email, username, profile, first_name, last_name) {
            (
                Some(mobile),
                Some(email),
                Some(username),
                Some(profile),
                Some(first_name),
                Some(last_name),
            ) => Ok(UserDetails {
                mobile,
                email,
                username,
                profile,
                first_name,
                last_name,
            }),
            _ => Err(errors),
        }
    }
}

impl DetailsInput {
    pub fn parse(&self) -> Result<(EmailAddress, Option<PhoneNumber>, Profile), FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", EmailAddress::parse(&self.email));
        let mobile = optional_mobile(&mut errors, &self.mobile);
        let profile = errors.check("profile", Profile::parse_assignable(&self.profile));
        match (email, mobile, profile) {
            (Some(email), Some(mobile), Some(profile)) => Ok((email, mobile, profile)),
            _ => Err(errors),
        }
    }
}
