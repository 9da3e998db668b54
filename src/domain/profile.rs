//! `Profile` (what a user may do in the company's area) and `RegistrationState` (where a
//! user is in the registration flow), with their database/form values and Italian labels.
//!
//! Both map to PostgreSQL enums (`profile`, `registration_state`) and serialise as the same
//! snake_case Italian values used in forms, query strings and the internal API.

use super::DomainError;

/// The profile of a user within their company.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "profile", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Rappresentante Legale: one per company, created from the contract.
    #[sqlx(rename = "rappresentante_legale")]
    #[serde(rename = "rappresentante_legale")]
    LegalRepresentative,
    /// Amministratore Full.
    #[sqlx(rename = "amministratore_full")]
    #[serde(rename = "amministratore_full")]
    AdminFull,
    /// Amministratore Light.
    #[sqlx(rename = "amministratore_light")]
    #[serde(rename = "amministratore_light")]
    AdminLight,
    /// Utilizzatore.
    #[sqlx(rename = "utilizzatore")]
    #[serde(rename = "utilizzatore")]
    User,
}

impl Profile {
    /// The profiles the legal representative may give in Gestione Utenze.
    pub const ASSIGNABLE: [Profile; 3] = [Profile::AdminFull, Profile::AdminLight, Profile::User];

    /// The value used in the database, forms and API, e.g. `"amministratore_full"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LegalRepresentative => "rappresentante_legale",
            Self::AdminFull => "amministratore_full",
            Self::AdminLight => "amministratore_light",
            Self::User => "utilizzatore",
        }
    }

    /// The Italian name shown to people, e.g. `"Amministratore Full"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::LegalRepresentative => "Rappresentante Legale",
            Self::AdminFull => "Amministratore Full",
            Self::AdminLight => "Amministratore Light",
            Self::User => "Utilizzatore",
        }
    }

    /// Any profile from its value (`as_str`), exact match.
    pub fn parse(value: &str) -> Option<Profile> {
        [
            Self::LegalRepresentative,
            Self::AdminFull,
            Self::AdminLight,
            Self::User,
        ]
        .into_iter()
        .find(|p| p.as_str() == value)
    }

    /// A profile chosen in a form: empty → `Required`; anything but the three assignable
    /// profiles (including `rappresentante_legale`) → `InvalidProfile`.
    pub fn parse_assignable(value: &str) -> Result<Profile, DomainError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(DomainError::Required);
        }
        Self::ASSIGNABLE
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or(DomainError::InvalidProfile)
    }
}

impl Profile {
    /// A profile as a person writes it in a file: its Italian name ("Amministratore Full")
    /// or its value ("amministratore_full"), in any case, trimmed. Whether it may be given is
    /// the permission source's answer, not this one's.
    pub fn from_name_or_code(value: &str) -> Option<Profile> {
        let value = value.trim();
        [
            Self::LegalRepresentative,
            Self::AdminFull,
            Self::AdminLight,
            Self::User,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(value) || p.label().eq_ignore_ascii_case(value))
    }
}

/// Stato Registrazione: `da_registrare` → `in_attesa` → `attivo` → (`disabilitato`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "registration_state", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// Saved, no username e-mail sent yet.
    #[sqlx(rename = "da_registrare")]
    #[serde(rename = "da_registrare")]
    ToRegister,
    /// Username e-mail sent, not yet activated.
    #[sqlx(rename = "in_attesa")]
    #[serde(rename = "in_attesa")]
    Pending,
    /// Activated: the user has a password and can log in.
    #[sqlx(rename = "attivo")]
    #[serde(rename = "attivo")]
    Active,
    /// Disabled by the legal representative.
    #[sqlx(rename = "disabilitato")]
    #[serde(rename = "disabilitato")]
    Disabled,
}

impl RegistrationState {
    /// Every state, in the order of the flow (for filters).
    pub const ALL: [RegistrationState; 4] = [
        RegistrationState::ToRegister,
        RegistrationState::Pending,
        RegistrationState::Active,
        RegistrationState::Disabled,
    ];

    /// The value used in the database and in the `stato` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToRegister => "da_registrare",
            Self::Pending => "in_attesa",
            Self::Active => "attivo",
            Self::Disabled => "disabilitato",
        }
    }

    /// The Italian label shown in Gestione Utenze.
    pub fn label(self) -> &'static str {
        match self {
            Self::ToRegister => "Da registrare",
            Self::Pending => "In attesa di attivazione",
            Self::Active => "Attivo",
            Self::Disabled => "Disabilitato",
        }
    }

    /// A state from its value (`as_str`), e.g. the `stato` filter; unknown → `None`.
    pub fn parse(value: &str) -> Option<RegistrationState> {
        let value = value.trim();
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Encode, Postgres, Type, postgres::PgArgumentBuffer};

    fn encoded<T: for<'q> Encode<'q, Postgres>>(value: T) -> Vec<u8> {
        let mut buf = PgArgumentBuffer::default();
        let _ = value.encode_by_ref(&mut buf).unwrap();
        buf.to_vec()
    }

    #[test]
    fn profile_values_and_labels() {
        assert_eq!(
            Profile::LegalRepresentative.as_str(),
            "rappresentante_legale"
        );
        assert_eq!(Profile::AdminLight.label(), "Amministratore Light");
        for p in [
            Profile::LegalRepresentative,
            Profile::AdminFull,
            Profile::AdminLight,
            Profile::User,
        ] {
            assert_eq!(Profile::parse(p.as_str()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), p);
            assert_eq!(encoded(p), p.as_str().as_bytes());
        }
        assert_eq!(Profile::parse("admin_full"), None);
        assert_eq!(
            <Profile as Type<Postgres>>::type_info().to_string(),
            "profile"
        );
    }

    #[test]
    fn only_three_profiles_are_assignable() {
        assert_eq!(Profile::parse_assignable("utilizzatore"), Ok(Profile::User));
        assert_eq!(
            Profile::parse_assignable(" amministratore_full "),
            Ok(Profile::AdminFull)
        );
        assert_eq!(
            Profile::parse_assignable("rappresentante_legale"),
            Err(DomainError::InvalidProfile)
        );
        assert_eq!(
            Profile::parse_assignable("root"),
            Err(DomainError::InvalidProfile)
        );
        assert_eq!(Profile::parse_assignable(""), Err(DomainError::Required));
        assert!(!Profile::ASSIGNABLE.contains(&Profile::LegalRepresentative));
    }

    #[test]
    fn a_profile_is_read_from_its_italian_name_or_its_value_in_any_case() {
        assert_eq!(
            Profile::from_name_or_code(" amministratore full "),
            Some(Profile::AdminFull)
        );
        assert_eq!(
            Profile::from_name_or_code("UTILIZZATORE"),
            Some(Profile::User)
        );
        assert_eq!(
            Profile::from_name_or_code("Amministratore_Light"),
            Some(Profile::AdminLight)
        );
        assert_eq!(
            Profile::from_name_or_code("Rappresentante Legale"),
            Some(Profile::LegalRepresentative)
        );
        assert_eq!(Profile::from_name_or_code("admin"), None);
        assert_eq!(Profile::from_name_or_code(""), None);
    }

    #[test]
    fn registration_state_values_and_labels() {
        assert_eq!(
            RegistrationState::parse("in_attesa"),
            Some(RegistrationState::Pending)
        );
        assert_eq!(
            RegistrationState::parse("attivo"),
            Some(RegistrationState::Active)
        );
        assert_eq!(RegistrationState::parse("Attivo"), None);
        assert_eq!(RegistrationState::parse(""), None);
        assert_eq!(
            RegistrationState::Pending.label(),
            "In attesa di attivazione"
        );
        for s in RegistrationState::ALL {
            assert_eq!(RegistrationState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(encoded(s), s.as_str().as_bytes());
        }
        assert_eq!(
            <RegistrationState as Type<Postgres>>::type_info().to_string(),
            "registration_state"
        );
    }
}
