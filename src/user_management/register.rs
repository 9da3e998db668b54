//! Registra, "Registra i selezionati" and Reinvia: the username email goes out (again).
//! "Registra i selezionati" is one transaction for users and lines together.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::common::{audit_event, require, snapshot, target};
use super::permissions::allowed_line_actions;
use super::{ManageError, Manager};
use crate::config::Config;
use crate::credentials::send_username_email;
use crate::db::users::{self, NewUser};
use crate::db::{self, lines};
use crate::domain::{AuditAction, PhoneNumber, Profile, RegistrationState};

/// What "Registra i selezionati" did: how many got the email, and the lines left to
/// complete with Aggiorna (by number).
#[derive(Debug, Default)]
pub struct Registered {
    pub sent: usize,
    pub skipped: Vec<PhoneNumber>,
}

/// Registra: a saved user gets the username email.
pub async fn register(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<(), ManageError> {
    register_selected(pool, config, m, &[user_id], &[])
        .await
        .map(|_| ())
}

/// "Registra i selezionati": saved users, and lines "Da registrare" registered straight from
/// their contract referent, in one transaction (any refusal changes nothing).
pub async fn register_selected(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_ids: &[Uuid],
    line_ids: &[Uuid],
) -> Result<Registered, ManageError> {
    let mut tx = pool.begin().await?;
    let mut done = Registered::default();
    for &user_id in user_ids {
        if register_user(&mut tx, config, m, user_id).await? {
            done.sent += 1;
        }
    }
    for &line_id in line_ids {
        match register_line(&mut tx, config, m, line_id).await? {
            None => done.sent += 1,
            Some(number) => done.skipped.push(number),
        }
    }
    tx.commit().await?;
    Ok(done)
}

/// Whether the email went out: a user already waiting (selected twice, or a second click)
/// is left as is.
async fn register_user(
    conn: &mut PgConnection,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<bool, ManageError> {
    let (user, allowed) = target(conn, m, user_id).await?;
    if user.state == RegistrationState::Pending && allowed.resend {
        return Ok(false);
    }
    require(allowed.register)?;
    send_username_email(conn, config, m.now, &user, &m.actor).await?;
    audit_event(conn, m, user.id, AuditAction::UserRegistered, json!({})).await?;
    Ok(true)
}

/// A user for the line from its contract referent (username = the referent's email,
/// profile as in the contract, else Utilizzatore), emailed at once. A line without a
/// referent, already taken, or whose username is in use is skipped: its number is returned.
async fn register_line(
    conn: &mut PgConnection,
    config: &Config,
    m: &Manager<'_>,
    line_id: Uuid,
) -> Result<Option<PhoneNumber>, ManageError> {
    let line = lines::lock_in_company(conn, m.company_id(), line_id)
        .await?
        .ok_or(ManageError::NotFound)?;
    let allowed = allowed_line_actions(m.user, line.referent_email.is_some());
    let Some(email) = line
        .referent_email
        .as_ref()
        .filter(|_| line.user_id.is_none() && allowed.register_from_referent)
    else {
        return Ok(Some(line.number.clone()));
    };
    let new_user = NewUser {
        company_id: m.company_id(),
        username: email.as_str(),
        email,
        mobile: Some(&line.number),
        first_name: line.referent_first_name.as_deref().unwrap_or(""),
        last_name: line.referent_last_name.as_deref().unwrap_or(""),
        profile: line.referent_profile.unwrap_or(Profile::User),
        state: RegistrationState::ToRegister,
    };
    // A savepoint per line: a username already in use skips that line, not the batch.
    let mut one = sqlx::Acquire::begin(&mut *conn).await?;
    let id = match users::insert(&mut one, &new_user).await {
        Ok(id) => id,
        Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
            one.rollback().await?;
            return Ok(Some(line.number.clone()));
        }
        Err(e) => return Err(e.into()),
    };
    lines::assign_user(&mut one, m.company_id(), &line.number, id).await?;
    let details = json!({ "linea": line.number, "dopo": snapshot(email, Some(&line.number), new_user.profile), "da_referente": true });
    audit_event(&mut one, m, id, AuditAction::LineUpdated, details).await?;
    let user = users::find(&mut one, id)
        .await?
        .ok_or(ManageError::NotFound)?;
    send_username_email(&mut one, config, m.now, &user, &m.actor).await?;
    audit_event(&mut one, m, id, AuditAction::UserRegistered, json!({})).await?;
    one.commit().await?;
    Ok(None)
}

/// Reinvia: the username email again to a user who has not chosen a password yet; their
/// older links stop working.
pub async fn resend(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let (user, allowed) = target(&mut tx, m, user_id).await?;
    require(allowed.resend)?;
    send_username_email(&mut tx, config, m.now, &user, &m.actor).await?;
    audit_event(
        &mut tx,
        m,
        user.id,
        AuditAction::UsernameEmailResent,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
