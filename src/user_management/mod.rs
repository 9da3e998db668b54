//! Gestione Utenze: the legal representative adds, registers, modifies, disables the
//! company's users and ties them to its lines. Each action is one transaction that checks
//! permission, changes rows, and writes its audit event (and outbox message) together.
//!
//! Anything a user may not do, or any id of another company, is `NotFound`: the web layer
//! answers 404 so nothing leaks about what exists.

mod actions;
mod input;

pub use actions::{
    add, disable, enable, modify, register, register_lines, register_many, resend, save_line_user,
};
pub use input::{DetailsInput, NewUserInput, UserDetails};

use uuid::Uuid;

use crate::actor::Actor;
use crate::db::users::User;
use crate::domain::Profile;
use crate::validation::FieldErrors;

/// Who may see the page: the legal representative (to manage) and Amministratore Full.
pub fn can_view(user: &User) -> bool {
    matches!(
        user.profile,
        Profile::LegalRepresentative | Profile::AdminFull
    )
}

/// Who may change anything here: the legal representative alone.
pub fn can_manage(user: &User) -> bool {
    user.profile == Profile::LegalRepresentative
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// Not visible to this user, or not allowed: answered as 404.
    #[error("not found")]
    NotFound,
    /// Input to fix, by field.
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ManageError {
    fn from(e: sqlx::Error) -> Self {
        ManageError::Internal(e.into())
    }
}

/// The acting legal representative, as the audit trail records them.
pub struct Manager<'a> {
    pub user: &'a User,
    pub actor: Actor,
}

impl<'a> Manager<'a> {
    /// `None` unless the user may manage users.
    pub fn new(user: &'a User, client_addr: Option<String>) -> Option<Manager<'a>> {
        can_manage(user).then(|| Manager {
            user,
            actor: Actor::user(user.id, &user.username, client_addr),
        })
    }

    pub fn company_id(&self) -> Uuid {
        self.user.company_id
    }
}
