//! What the Gestione Utenze use cases share: the target of an action (locked, and checked
//! against the one permission source), the line a mobile number names, the audit event.

use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::permissions::{Actions, allowed_actions};
use super::{ManageError, Manager};
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit, lines};
use crate::domain::{AuditAction, EmailAddress, PhoneNumber, Profile};
use crate::validation::FieldErrors;

pub(super) fn invalid(field: &'static str, message: &str) -> ManageError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    ManageError::Invalid(errors)
}

pub(super) const USERNAME_TAKEN: &str =
    "Username già in uso: scegline un'altra (ti suggeriamo l'indirizzo e-mail).";
/// A new user's e-mail or mobile that a user of the company already has (the CSV import).
pub(super) const EMAIL_OF_A_USER: &str =
    "Questo indirizzo e-mail è già di un utente dell'azienda: cercalo in Gestione Utenze.";
pub(super) const MOBILE_OF_A_USER: &str =
    "Questo numero è già di un utente dell'azienda: cercalo in Gestione Utenze.";

/// A user of the manager's company, locked for the rest of the transaction, with the
/// actions the manager may take on them; another company's id is `NotFound`.
pub(super) async fn target(
    conn: &mut PgConnection,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<(User, Actions), ManageError> {
    let user = users::lock_in_company(conn, m.company_id(), user_id)
        .await?
        .ok_or(ManageError::NotFound)?;
    let actions = allowed_actions(m.user, (&user).into());
    Ok((user, actions))
}

/// `Ok` when `allowed`, else `NotFound` (what the list does not offer is not accepted).
pub(super) fn require(allowed: bool) -> Result<(), ManageError> {
    if allowed {
        Ok(())
    } else {
        Err(ManageError::NotFound)
    }
}

/// The company line with this number, free or already `user_id`'s; None when the number is
/// not a line of the company. Errors when the line belongs to someone else.
pub(super) async fn free_line(
    conn: &mut PgConnection,
    m: &Manager<'_>,
    number: &PhoneNumber,
    user_id: Option<Uuid>,
) -> Result<Option<lines::Line>, ManageError> {
    match lines::find_by_number(conn, number.as_str()).await? {
        None => Ok(None),
        Some(line) if line.company_id != m.company_id() => Err(invalid(
            "mobile",
            "Questo numero non può essere usato: indica un altro cellulare.",
        )),
        Some(line) if line.user_id.is_some() && line.user_id != user_id => Err(invalid(
            "mobile",
            "Questa linea è già associata a un altro utente.",
        )),
        Some(line) => Ok(Some(line)),
    }
}

pub(super) async fn audit_event(
    conn: &mut PgConnection,
    m: &Manager<'_>,
    subject: Uuid,
    action: AuditAction,
    details: Value,
) -> sqlx::Result<()> {
    audit::append(
        conn,
        &m.actor
            .event(m.company_id(), Some(subject), action, details),
    )
    .await
}

pub(super) fn snapshot(
    email: &EmailAddress,
    mobile: Option<&PhoneNumber>,
    profile: Profile,
) -> Value {
    json!({ "email": email, "mobile": mobile, "profile": profile.as_str() })
}

pub(super) async fn insert_user(
    conn: &mut PgConnection,
    user: &NewUser<'_>,
) -> Result<Uuid, ManageError> {
    match users::insert(conn, user).await {
        Ok(id) => Ok(id),
        Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
            Err(invalid("username", USERNAME_TAKEN))
        }
        Err(e) => Err(e.into()),
    }
}

/// Corrects a saved user's data, with the same form error as Aggiungi for a taken username.
pub(super) async fn update_saved_user(
    conn: &mut PgConnection,
    id: Uuid,
    user: &NewUser<'_>,
) -> Result<(), ManageError> {
    match users::update_saved(conn, id, user).await {
        Ok(_) => Ok(()),
        Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
            Err(invalid("username", USERNAME_TAKEN))
        }
        Err(e) => Err(e.into()),
    }
}
