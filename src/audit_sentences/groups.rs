//! What each audit action is called where people read it: a short label per action (the
//! CSV's "Azione" column) and the groups of the Registro attività's `azione` filter. Both
//! are exhaustive matches, so a new `AuditAction` does not compile until it has a name and
//! a group.

use crate::domain::AuditAction;

/// The groups of actions the `azione` filter offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionGroup {
    Access,
    Registration,
    Users,
    Credentials,
    Factors,
    Support,
    Contracts,
}

impl ActionGroup {
    pub const ALL: [ActionGroup; 7] = [
        ActionGroup::Access,
        ActionGroup::Registration,
        ActionGroup::Users,
        ActionGroup::Credentials,
        ActionGroup::Factors,
        ActionGroup::Support,
        ActionGroup::Contracts,
    ];

    /// The value of the `azione` query parameter.
    pub fn code(self) -> &'static str {
        match self {
            ActionGroup::Access => "accessi",
            ActionGroup::Registration => "registrazione",
            ActionGroup::Users => "utenti",
            ActionGroup::Credentials => "credenziali",
            ActionGroup::Factors => "fattori",
            ActionGroup::Support => "assistenza",
            ActionGroup::Contracts => "contratti",
        }
    }

    /// What the filter's options say.
    pub fn label(self) -> &'static str {
        match self {
            ActionGroup::Access => "Accessi e sessioni",
            ActionGroup::Registration => "Registrazione e attivazione",
            ActionGroup::Users => "Gestione degli utenti",
            ActionGroup::Credentials => "Password e contatti",
            ActionGroup::Factors => "Fattori di accesso",
            ActionGroup::Support => "Interventi del Servizio Clienti 191",
            ActionGroup::Contracts => "Contratti, linee e azienda",
        }
    }

    pub fn parse(code: &str) -> Option<ActionGroup> {
        ActionGroup::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The group of `action`.
    pub fn of(action: AuditAction) -> ActionGroup {
        use AuditAction as A;
        match action {
            A::Login
            | A::LoginFailed
            | A::SecondFactorWrong
            | A::Reauthenticated
            | A::ReauthenticationFailed
            | A::SessionEnded
            | A::OtherSessionsEnded => ActionGroup::Access,
            A::UsernameEmailSent
            | A::UsernameEmailResent
            | A::CodeSent
            | A::CodeVerified
            | A::CodeWrong
            | A::AccountActivated
            | A::UserRegistered => ActionGroup::Registration,
            A::UserAdded
            | A::UserChanged
            | A::UserDisabled
            | A::UserReenabled
            | A::LineUpdated
            | A::UserSessionsEnded
            | A::AccessReviewed => ActionGroup::Users,
            A::PasswordReset
            | A::PasswordChanged
            | A::RecoveryRequested
            | A::CredentialsReminderSent
            | A::ContactsChanged
            | A::ContactChangeRequested
            | A::ContactChangeCodeWrong
            | A::ContactChangeCancelled => ActionGroup::Credentials,
            A::AppEnrolled
            | A::AppRemoved
            | A::RecoveryCodesIssued
            | A::PasskeyAdded
            | A::PasskeyRemoved
            | A::FactorsReset => ActionGroup::Factors,
            A::SupportResentCredentials
            | A::SupportRequeuedMessage
            | A::StaffLogin
            | A::StaffLoginFailed
            | A::StaffDisabled
            | A::StaffFactorsReset => ActionGroup::Support,
            A::ContractRecorded
            | A::LineCeased
            | A::LegalRepresentativeChanged
            | A::LegalRepresentativeReplaced
            | A::CompanyClosed
            | A::PersonalDataErased => ActionGroup::Contracts,
        }
    }

    /// The actions of this group, for the query.
    pub fn actions(self) -> Vec<AuditAction> {
        AuditAction::ALL
            .iter()
            .copied()
            .filter(|a| ActionGroup::of(*a) == self)
            .collect()
    }
}

/// The action in a few words.
pub fn action_label(action: AuditAction) -> &'static str {
    use AuditAction as A;
    match action {
        A::Login => "Accesso",
        A::LoginFailed => "Accesso non riuscito",
        A::ContractRecorded => "Contratto registrato",
        A::UsernameEmailSent => "E-mail con la username inviata",
        A::UsernameEmailResent => "E-mail con la username inviata di nuovo",
        A::CodeSent => "Codice di verifica inviato",
        A::CodeVerified => "Codice di verifica confermato",
        A::CodeWrong => "Codice di verifica errato",
        A::AccountActivated => "Accesso attivato",
        A::PasswordReset => "Password reimpostata",
        A::PasswordChanged => "Password cambiata",
        A::ContactsChanged => "Contatti cambiati",
        A::RecoveryRequested => "Recupero password",
        A::CredentialsReminderSent => "Promemoria credenziali",
        A::SupportResentCredentials => "Credenziali inviate dal Servizio Clienti",
        A::SupportRequeuedMessage => "Messaggio inviato di nuovo dal Servizio Clienti",
        A::UserAdded => "Utente aggiunto",
        A::UserChanged => "Utente modificato",
        A::UserRegistered => "Utente registrato",
        A::UserDisabled => "Utente disabilitato",
        A::UserReenabled => "Utente riabilitato",
        A::LineUpdated => "Linea aggiornata",
        A::Reauthenticated => "Identità confermata",
        A::ReauthenticationFailed => "Conferma dell'identità non riuscita",
        A::StaffLogin => "Accesso alla console",
        A::StaffLoginFailed => "Accesso alla console non riuscito",
        A::StaffDisabled => "Operatore disabilitato",
        A::StaffFactorsReset => "Fattori dell'operatore azzerati",
        A::SecondFactorWrong => "Secondo fattore errato",
        A::AppEnrolled => "App di autenticazione attivata",
        A::AppRemoved => "App di autenticazione rimossa",
        A::RecoveryCodesIssued => "Codici di recupero generati",
        A::FactorsReset => "Fattori di accesso azzerati",
        A::ContactChangeRequested => "Cambio di contatto richiesto",
        A::ContactChangeCodeWrong => "Codice errato per il nuovo cellulare",
        A::ContactChangeCancelled => "Cambio di contatto annullato",
        A::PasskeyAdded => "Passkey aggiunta",
        A::PasskeyRemoved => "Passkey rimossa",
        A::SessionEnded => "Sessione chiusa",
        A::OtherSessionsEnded => "Altre sessioni chiuse",
        A::UserSessionsEnded => "Sessioni dell'utente chiuse",
        A::LineCeased => "Linea cessata",
        A::LegalRepresentativeChanged => "Nuovo Rappresentante Legale",
        A::LegalRepresentativeReplaced => "Rappresentante Legale sostituito",
        A::CompanyClosed => "Azienda cessata",
        A::PersonalDataErased => "Dati personali cancellati",
        A::AccessReviewed => "Revisione degli accessi",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_exactly_one_group_and_codes_read_back() {
        let in_groups: usize = ActionGroup::ALL.iter().map(|g| g.actions().len()).sum();
        assert_eq!(in_groups, AuditAction::ALL.len());
        for group in ActionGroup::ALL {
            assert_eq!(ActionGroup::parse(group.code()), Some(group));
            assert!(!group.actions().is_empty(), "{group:?} has actions");
        }
        assert_eq!(ActionGroup::parse("accesso"), None);
    }
}
