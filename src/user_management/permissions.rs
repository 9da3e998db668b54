//! The one permission source of Gestione Utenze: which actions a manager may take on a row.
//! The list shows a button exactly when [`allowed_actions`] allows it, and each use case
//! refuses (404) what it does not allow, so the button shown and the action accepted cannot
//! disagree.

use uuid::Uuid;

use crate::db::users::User;
use crate::domain::{Profile, RegistrationState};

/// Who may see the page: the legal representative (to manage) and Amministratore Full.
pub fn can_view(user: &User) -> bool {
    profile_views_users(user.profile)
}

/// Who may change anything here: the legal representative alone.
pub fn can_manage(user: &User) -> bool {
    profile_manages_users(user.profile)
}

fn profile_views_users(profile: Profile) -> bool {
    matches!(profile, Profile::LegalRepresentative | Profile::AdminFull)
}

fn profile_manages_users(profile: Profile) -> bool {
    profile == Profile::LegalRepresentative
}

/// Who sees every line of the company (the others see their own line only).
pub fn sees_company_lines(profile: Profile) -> bool {
    profile != Profile::User
}

/// How far a profile may go with one thing the portal offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Yes,
    ReadOnly,
    OwnOnly,
    No,
}

/// One row of the permission matrix (PRODUCT.md, "Who may do what"), as the Profili page
/// explains it: derived from the same rules the pages and use cases apply.
pub struct Capability {
    pub what: &'static str,
    pub reach: fn(Profile) -> Reach,
}

/// The matrix, row by row; the Profili page prints exactly this.
pub const CAPABILITIES: [Capability; 4] = [
    Capability {
        what: "Vedere i dati dell'azienda e tutte le sue linee mobili",
        reach: |p| {
            if sees_company_lines(p) {
                Reach::Yes
            } else {
                Reach::OwnOnly
            }
        },
    },
    Capability {
        what: "Vedere Gestione Utenze: utenti, linee, stati e consegna delle e-mail, registro attività",
        reach: |p| match (profile_views_users(p), profile_manages_users(p)) {
            (_, true) => Reach::Yes,
            (true, false) => Reach::ReadOnly,
            _ => Reach::No,
        },
    },
    Capability {
        what: "Aggiungere, registrare, modificare e disabilitare utenti; aggiornare le linee; importare da CSV",
        reach: |p| {
            if profile_manages_users(p) {
                Reach::Yes
            } else {
                Reach::No
            }
        },
    },
    Capability {
        what: "Cambiare la propria e-mail, il proprio cellulare, la password e i fattori di accesso",
        reach: |_| Reach::Yes,
    },
];

/// Who may import employees from a CSV file: whoever may add them (Aggiungi).
pub fn can_import(user: &User) -> bool {
    can_manage(user)
}

/// Whether `manager` may give `profile` to a user they add (Aggiungi, the CSV import):
/// one of the assignable profiles, and only by a manager.
pub fn may_grant(manager: &User, profile: Profile) -> bool {
    can_manage(manager) && Profile::ASSIGNABLE.contains(&profile)
}

/// What the rules need to know of a user the manager looks at.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub id: Uuid,
    pub profile: Profile,
    pub state: RegistrationState,
}

impl From<&User> for Target {
    fn from(user: &User) -> Self {
        Target {
            id: user.id,
            profile: user.profile,
            state: user.state,
        }
    }
}

/// The actions allowed on one user (or, for `update_line`, on the line tied to them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actions {
    /// Registra (and "Registra i selezionati"): the username email goes out.
    pub register: bool,
    pub resend: bool,
    pub modify: bool,
    pub disable: bool,
    pub enable: bool,
    /// Aggiorna on the user's line: only while the user is merely saved.
    pub update_line: bool,
    /// «Azzera i fattori di accesso»: only an active user has factors. Never on oneself:
    /// the legal representative's own factors are reset by Servizio Clienti 191.
    pub reset_factors: bool,
    /// "Termina sessioni": only an active user can have any.
    pub end_sessions: bool,
}

/// The actions `manager` may take on `target`: none unless the manager manages users and
/// the target is someone else who is not the legal representative; then by state.
pub fn allowed_actions(manager: &User, target: Target) -> Actions {
    let manageable = can_manage(manager)
        && target.id != manager.id
        && target.profile != Profile::LegalRepresentative;
    if !manageable {
        return Actions::default();
    }
    let state = target.state;
    Actions {
        register: state == RegistrationState::ToRegister,
        resend: state == RegistrationState::Pending,
        modify: state != RegistrationState::Disabled,
        disable: state != RegistrationState::Disabled,
        enable: state == RegistrationState::Disabled,
        update_line: state == RegistrationState::ToRegister,
        reset_factors: state == RegistrationState::Active,
        end_sessions: state == RegistrationState::Active,
    }
}

/// What may be done on a line tied to no user: Aggiorna (type the user's data), and
/// "Registra i selezionati" when the contract names a referent to register from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineActions {
    pub update: bool,
    pub register_from_referent: bool,
}

pub fn allowed_line_actions(manager: &User, has_referent: bool) -> LineActions {
    let manage = can_manage(manager);
    LineActions {
        update: manage,
        register_from_referent: manage && has_referent,
    }
}
