//! Aggiungi, Aggiorna (a line), Modifica, Disabilita, Riabilita, Termina sessioni. Each
//! opens one transaction, locks its target, asks the permission source, changes rows and
//! writes the audit event with what changed.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::common::{
    audit_event, free_line, insert_user, require, snapshot, target, update_saved_user,
};
use super::permissions::allowed_line_actions;
use super::{ManageError, Manager, UserDetails};
use crate::config::Config;
use crate::credentials::send_username_email;
use crate::db::users::{self, NewUser, User};
use crate::db::{self, credentials, lines};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{EmailAddress, PhoneNumber, Profile, RegistrationState};
use crate::notify::messages;

/// Aggiungi: a new user, tied to the company line with their mobile if there is one;
/// with `register`, the username email goes out now.
pub async fn add(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    d: &UserDetails,
    register: bool,
) -> Result<Uuid, ManageError> {
    let mut tx = pool.begin().await?;
    let id = add_in(&mut tx, config, m, d, register).await?;
    tx.commit().await?;
    Ok(id)
}

/// Aggiungi inside the caller's transaction (also each row of the CSV import).
pub(super) async fn add_in(
    tx: &mut PgConnection,
    config: &Config,
    m: &Manager<'_>,
    d: &UserDetails,
    register: bool,
) -> Result<Uuid, ManageError> {
    let line = match &d.mobile {
        Some(mobile) => free_line(&mut *tx, m, mobile, None).await?,
        None => None,
    };
    let new_user = NewUser {
        company_id: m.company_id(),
        username: d.username.as_str(),
        email: &d.email,
        mobile: d.mobile.as_ref(),
        first_name: &d.first_name,
        last_name: &d.last_name,
        profile: d.profile,
        state: RegistrationState::ToRegister,
    };
    let id = insert_user(&mut *tx, &new_user).await?;
    if let Some(line) = &line {
        lines::assign_user(&mut *tx, m.company_id(), &line.number, id).await?;
    }
    let details = json!({ "dopo": snapshot(&d.email, new_user.mobile, d.profile), "username": d.username.as_str() });
    audit_event(&mut *tx, m, id, AuditAction::UserAdded, details).await?;
    if register {
        let user = users::find(&mut *tx, id)
            .await?
            .ok_or(ManageError::NotFound)?;
        send_username_email(&mut *tx, config, m.now, &user, &m.actor).await?;
    }
    Ok(id)
}

/// Aggiorna a line "Da registrare": creates (or corrects) the saved user tied to it.
pub async fn save_line_user(
    pool: &PgPool,
    m: &Manager<'_>,
    line_id: Uuid,
    d: &UserDetails,
) -> Result<Uuid, ManageError> {
    let mut tx = pool.begin().await?;
    let line = lines::lock_in_company(&mut tx, m.company_id(), line_id)
        .await?
        .ok_or(ManageError::NotFound)?;
    let new_user = NewUser {
        company_id: m.company_id(),
        username: d.username.as_str(),
        email: &d.email,
        mobile: Some(&line.number),
        first_name: &d.first_name,
        last_name: &d.last_name,
        profile: d.profile,
        state: RegistrationState::ToRegister,
    };
    let id = match line.user_id {
        None => {
            require(allowed_line_actions(m.user, line.referent_email.is_some()).update)?;
            let id = insert_user(&mut tx, &new_user).await?;
            lines::assign_user(&mut tx, m.company_id(), &line.number, id).await?;
            id
        }
        Some(user_id) => {
            let (saved, allowed) = target(&mut tx, m, user_id).await?;
            require(allowed.update_line)?;
            update_saved_user(&mut tx, saved.id, &new_user).await?;
            saved.id
        }
    };
    let details = json!({ "linea": line.number, "dopo": snapshot(&d.email, Some(&line.number), d.profile), "username": d.username.as_str() });
    audit_event(&mut tx, m, id, AuditAction::LineUpdated, details).await?;
    tx.commit().await?;
    Ok(id)
}

/// What Modifica sent besides saving, for its message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Modified {
    /// A user still waiting got the username email at the new address.
    pub username_email_resent: bool,
    /// An active user's old address was told that the contacts changed.
    pub old_address_told: bool,
}

/// Modifica: email, mobile, profile. A user still waiting gets the username email at the
/// new address (older links die).
pub async fn modify(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
    (email, mobile, profile): &(EmailAddress, Option<PhoneNumber>, Profile),
) -> Result<Modified, ManageError> {
    let mut tx = pool.begin().await?;
    let (user, allowed) = target(&mut tx, m, user_id).await?;
    require(allowed.modify)?;
    let line = match mobile {
        Some(number) => free_line(&mut tx, m, number, Some(user.id)).await?,
        None => None,
    };
    let mobile = mobile.as_ref();
    users::update_details(&mut tx, user.id, email, mobile, *profile).await?;
    lines::unassign_user(&mut tx, m.company_id(), user.id).await?;
    if let Some(line) = &line {
        lines::assign_user(&mut tx, m.company_id(), &line.number, user.id).await?;
    }
    let details = json!({
        "prima": snapshot(&user.email, user.mobile.as_ref(), user.profile),
        "dopo": snapshot(email, mobile, *profile),
    });
    audit_event(&mut tx, m, user.id, AuditAction::UserChanged, details).await?;
    let contacts_changed = user.email != *email || user.mobile.as_ref() != mobile;
    let sent = Modified {
        username_email_resent: user.state == RegistrationState::Pending && user.email != *email,
        old_address_told: user.state == RegistrationState::Active && contacts_changed,
    };
    if sent.old_address_told {
        // The channels recovery relies on changed: the old address hears of it (ASVS 2.5.5).
        let to = Addressee::of(&mut tx, &user).await?;
        let notice = messages::contacts_changed_email(&to.recipient(), &user.username);
        crate::credentials::recovery::queue(&mut tx, &user, MessageKind::ContactsChanged, &notice)
            .await?;
    }
    if sent.username_email_resent {
        let updated = users::find(&mut tx, user.id)
            .await?
            .ok_or(ManageError::NotFound)?;
        send_username_email(&mut tx, config, m.now, &updated, &m.actor).await?;
    }
    tx.commit().await?;
    Ok(sent)
}

/// Disables the user: sessions end at once and every link dies. Disabling a user already
/// disabled (a second click) changes nothing.
pub async fn disable(pool: &PgPool, m: &Manager<'_>, user_id: Uuid) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let (user, allowed) = target(&mut tx, m, user_id).await?;
    if user.state == RegistrationState::Disabled && allowed.enable {
        return Ok(());
    }
    require(allowed.disable)?;
    users::disable(&mut tx, user.id).await?;
    credentials::supersede_tokens(&mut tx, user.id).await?;
    let details =
        json!({ "prima": { "state": user.state.as_str() }, "dopo": { "state": "disabilitato" } });
    audit_event(&mut tx, m, user.id, AuditAction::UserDisabled, details).await?;
    tx.commit().await?;
    Ok(())
}

/// Re-enables the user: active again if they had chosen a password, otherwise back to
/// "da registrare" (to be registered again). Enabling a user not disabled changes nothing.
pub async fn enable(pool: &PgPool, m: &Manager<'_>, user_id: Uuid) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let (user, allowed) = target(&mut tx, m, user_id).await?;
    if user.state != RegistrationState::Disabled && allowed.disable {
        return Ok(());
    }
    require(allowed.enable)?;
    let state = if users::has_password(&mut tx, user.id).await? {
        RegistrationState::Active
    } else {
        RegistrationState::ToRegister
    };
    users::set_state(&mut tx, user.id, state).await?;
    let details =
        json!({ "prima": { "state": "disabilitato" }, "dopo": { "state": state.as_str() } });
    audit_event(&mut tx, m, user.id, AuditAction::UserReenabled, details).await?;
    tx.commit().await?;
    Ok(())
}

/// "Termina sessioni": every live session of the user ends; their next request asks them to
/// log in again. Returns the user, for the message.
pub async fn end_sessions(
    pool: &PgPool,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<User, ManageError> {
    let mut tx = pool.begin().await?;
    let (user, allowed) = target(&mut tx, m, user_id).await?;
    require(allowed.end_sessions)?;
    let now = crate::auth::session::now();
    let live = crate::auth::session_list::live_at(now);
    let ended = db::sessions::end_all_but(&mut tx, user.id, None, live, now).await?;
    let details = json!({ "sessioni": ended });
    audit_event(&mut tx, m, user.id, AuditAction::UserSessionsEnded, details).await?;
    tx.commit().await?;
    Ok(user)
}
