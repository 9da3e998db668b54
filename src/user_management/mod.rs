//! Gestione Utenze: the legal representative adds, registers, modifies, disables the
//! company's users (and ends their sessions) and ties them to its lines. Each action is one
//! transaction that checks permission, changes rows, and writes its audit event (and outbox
//! message) together.
//!
//! What may be done on which row is decided once, in `permissions`, for the page and the
//! use cases alike. Anything a user may not do, or any id of another company, is `NotFound`: the web layer
//! answers 404 so nothing leaks about what exists.

mod common;
pub mod csv_rows;
mod edit;
mod factors;
pub mod import;
mod input;
mod permissions;
mod register;
pub mod review;

pub use edit::{Modified, add, disable, enable, end_sessions, modify, save_line_user};
pub use factors::reset_factors;
pub use input::{DetailsInput, NewUserInput, UserDetails};
pub use permissions::{
    Actions, CAPABILITIES, Capability, LineActions, Reach, Target, allowed_actions,
    allowed_line_actions, can_import, can_manage, can_view, may_grant, sees_company_lines,
};
pub use register::{Registered, register, register_selected, resend};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::users::User;
use crate::validation::FieldErrors;

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
    /// The portal's clock at the request (link lifetimes start here).
    pub now: OffsetDateTime,
}

impl<'a> Manager<'a> {
    /// `None` unless the user may manage users.
    pub fn new(
        user: &'a User,
        client_addr: Option<String>,
        now: OffsetDateTime,
    ) -> Option<Manager<'a>> {
        can_manage(user).then(|| Manager {
            user,
            actor: Actor::user(user.id, &user.username, client_addr),
            now,
        })
    }

    pub fn company_id(&self) -> Uuid {
        self.user.company_id
    }
}
