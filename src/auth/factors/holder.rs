//! Whose second factors an operation is about: a customer user or a Servizio Clienti
//! operator.

use crate::db::factors::Owner;
use crate::db::staff::StaffUser;
use crate::db::users::User;

/// Whose factors change, and so where the change is audited: a customer's in their
/// company's trail (`audit_events`), an operator's in `staff_events`.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    User(&'a User),
    Staff(&'a StaffUser),
}

impl Holder<'_> {
    pub fn owner(self) -> Owner {
        match self {
            Holder::User(user) => Owner::User(user.id),
            Holder::Staff(staff) => Owner::Staff(staff.id),
        }
    }

    /// The name the authenticator app shows next to the account.
    pub fn username(&self) -> &str {
        match self {
            Holder::User(user) => &user.username,
            Holder::Staff(staff) => &staff.username,
        }
    }
}
