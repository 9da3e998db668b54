//! The closed vocabularies the portal stores as text: what an audit event records and what
//! kind of message the outbox carries. One enum each, so a typo is a compile error and the
//! Italian label support reads out lives next to the stored name.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// Declares a text-stored enum: its stored names, `as_str`, `parse` and sqlx text mapping.
macro_rules! stored_as_text {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value of a stored name.
            pub fn parse(stored: &str) -> Option<$name> {
                match stored { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <&str as Type<Postgres>>::type_info()
            }
        }

        impl sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl Encode<'_, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl Decode<'_, Postgres> for $name {
            fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
                let stored = <&str as Decode<Postgres>>::decode(value)?;
                $name::parse(stored)
                    .ok_or_else(|| format!("unknown {} {stored:?}", stringify!($name)).into())
            }
        }
    };
}

stored_as_text! {
    /// What an audit event records (`audit_events.action`).
    AuditAction {
        Login => "accesso",
        LoginFailed => "accesso_fallito",
        ContractRecorded => "contratto_registrato",
        UsernameEmailSent => "email_username_inviata",
        UsernameEmailResent => "email_username_reinviata",
        CodeSent => "codice_inviato",
        CodeVerified => "codice_verificato",
        CodeWrong => "codice_errato",
        AccountActivated => "account_attivato",
        PasswordReset => "password_reimpostata",
        PasswordChanged => "password_cambiata",
        ContactsChanged => "contatti_modificati",
        RecoveryRequested => "recupero_password_richiesto",
        CredentialsReminderSent => "promemoria_credenziali_inviato",
        SupportResentCredentials => "assistenza_reinvio_credenziali",
        /// Support sent a fresh copy of a failed or expired message (`details.messaggio`).
        SupportRequeuedMessage => "assistenza_messaggio_reinviato",
        UserAdded => "utente_aggiunto",
        UserChanged => "utente_modificato",
        UserRegistered => "utente_registrato",
        UserDisabled => "utente_disabilitato",
        UserReenabled => "utente_riabilitato",
        LineUpdated => "linea_aggiornata",
        Reauthenticated => "riautenticazione",
        ReauthenticationFailed => "riautenticazione_fallita",
        StaffLogin => "assistenza_accesso",
        StaffLoginFailed => "assistenza_accesso_fallito",
        StaffDisabled => "assistenza_operatore_disabilitato",
        StaffFactorsReset => "assistenza_fattori_azzerati",
        SecondFactorWrong => "secondo_fattore_errato",
        AppEnrolled => "app_autenticazione_attivata",
        AppRemoved => "app_autenticazione_rimossa",
        RecoveryCodesIssued => "codici_recupero_generati",
        /// The legal representative or support removed every factor of the user.
        FactorsReset => "fattori_azzerati",
        /// A new own e-mail or mobile waits for its proof (link or code).
        ContactChangeRequested => "modifica_contatto_richiesta",
        ContactChangeCodeWrong => "modifica_contatto_codice_errato",
        /// Cancelled by the user, or burnt by wrong codes (`details.motivo`).
        ContactChangeCancelled => "modifica_contatto_annullata",
        PasskeyAdded => "passkey_aggiunta",
        PasskeyRemoved => "passkey_rimossa",
        SessionEnded => "sessione_terminata",
        OtherSessionsEnded => "altre_sessioni_terminate",
        UserSessionsEnded => "sessioni_utente_terminate",
        /// A line ceased or was ported out (`details.numero`, `details.motivo`, `event_id`).
        LineCeased => "linea_cessata",
        /// The company's legal representative changed (subject: the new one).
        LegalRepresentativeChanged => "rappresentante_legale_cambiato",
        /// The previous legal representative after a handover (subject: them).
        LegalRepresentativeReplaced => "rappresentante_legale_sostituito",
        /// The company has no contract left: every user disabled.
        CompanyClosed => "azienda_cessata",
        /// The worker erased a closed company's personal data after RETENTION_DAYS.
        PersonalDataErased => "dati_personali_cancellati",
        /// The legal representative submitted an access review (counts in `details`).
        AccessReviewed => "revisione_accessi",
    }
}

stored_as_text! {
    /// What a message in the outbox is (`outbox.template`): support reads delivery by it.
    MessageKind {
        Username => "username",
        Code => "codice",
        Recovery => "recupero",
        Reminder => "promemoria",
        PasswordChanged => "password_cambiata",
        ContactsChanged => "contatti_modificati",
        SupportNotice => "avviso_assistenza",
        FactorsReset => "fattori_azzerati",
        EmailConfirmation => "conferma_email",
        NewLogin => "nuovo_accesso",
        LineCeased => "linea_cessata",
        LegalRepresentativeChanged => "rappresentante_legale_cambiato",
        AccessReview => "revisione_accessi",
    }
}

impl MessageKind {
    /// What the message was, in words support can read out on a call.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::Username => "E-mail con la username",
            MessageKind::Code => "Codice di verifica",
            MessageKind::Recovery => "Recupero password",
            MessageKind::Reminder => "Promemoria credenziali",
            MessageKind::PasswordChanged => "Avviso: password cambiata",
            MessageKind::ContactsChanged => "Avviso: contatti modificati",
            MessageKind::SupportNotice => "Avviso: intervento del Servizio Clienti",
            MessageKind::FactorsReset => "Avviso: fattori di accesso azzerati",
            MessageKind::EmailConfirmation => "Conferma del nuovo indirizzo e-mail",
            MessageKind::NewLogin => "Avviso: nuovo accesso",
            MessageKind::LineCeased => "Avviso: linea non più attiva",
            MessageKind::LegalRepresentativeChanged => "Avviso: nuovo Rappresentante Legale",
            MessageKind::AccessReview => "Promemoria: revisione degli accessi",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_reads_back_as_its_value_and_names_are_unique() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(*kind));
        }
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
        }
        let mut names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("azione_inventata"), None);
    }
}
