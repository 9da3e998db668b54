//! The actions of Gestione Utenze. Each opens one transaction, checks the target belongs to
//! the manager's company (and is neither the manager nor the legal representative), changes
//! rows and writes the audit event with what changed.

use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{ManageError, Manager, UserDetails};
use crate::config::Config;
use crate::credentials::send_username_email;
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit, credentials, lines};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{EmailAddress, PhoneNumber, Profile, RegistrationState};
use crate::notify::messages;
use crate::validation::FieldErrors;

fn invalid(field: &'static str, message: &str) -> ManageError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    ManageError::Invalid(errors)
}

const USERNAME_TAKEN: &str =
    "Username già in uso: scegline un'altra (ti suggeriamo l'indirizzo e-mail).";

/// A user the manager may act on: same company, not themselves, not the legal representative.
async fn target(
    conn: &mut PgConnection,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<User, ManageError> {
    match users::find_in_company(conn, m.company_id(), user_id).await? {
        Some(u) if u.id != m.user.id && u.profile != Profile::LegalRepresentative => Ok(u),
        _ => Err(ManageError::NotFound),
    }
}

/// The company line with this number, free or already `user_id`'s; None when the number is
/// not a line of the company. Errors when the line belongs to someone else.
async fn free_line(
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

async fn audit_event(
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

fn snapshot(email: &str, mobile: Option<&str>, profile: Profile) -> Value {
    json!({ "email": email, "mobile": mobile, "profile": profile.as_str() })
}

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
    let line = match &d.mobile {
        Some(mobile) => free_line(&mut tx, m, mobile, None).await?,
        None => None,
    };
    let new_user = NewUser {
        company_id: m.company_id(),
        username: d.username.as_str(),
        email: d.email.as_str(),
        mobile: d.mobile.as_ref().map(PhoneNumber::as_str),
        first_name: &d.first_name,
        last_name: &d.last_name,
        profile: d.profile,
        state: RegistrationState::ToRegister,
    };
    let id = insert_user(&mut tx, &new_user).await?;
    if let Some(line) = &line {
        lines::assign_user(&mut tx, m.company_id(), &line.number, id).await?;
    }
    let details = json!({ "dopo": snapshot(d.email.as_str(), new_user.mobile, d.profile), "username": d.username.as_str() });
    audit_event(&mut tx, m, id, AuditAction::UserAdded, details).await?;
    if register {
        let user = users::find(&mut tx, id)
            .await?
            .ok_or(ManageError::NotFound)?;
        send_username_email(&mut tx, config, &user, &m.actor).await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn insert_user(conn: &mut PgConnection, user: &NewUser<'_>) -> Result<Uuid, ManageError> {
    match users::insert(conn, user).await {
        Ok(id) => Ok(id),
        Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
            Err(invalid("username", USERNAME_TAKEN))
        }
        Err(e) => Err(e.into()),
    }
}

/// Aggiorna a line "Da registrare": creates (or corrects) the saved user tied to it.
pub async fn save_line_user(
    pool: &PgPool,
    m: &Manager<'_>,
    line_id: Uuid,
    d: &UserDetails,
) -> Result<Uuid, ManageError> {
    let mut tx = pool.begin().await?;
    let line = lines::find_in_company(&mut tx, m.company_id(), line_id)
        .await?
        .ok_or(ManageError::NotFound)?;
    let new_user = NewUser {
        company_id: m.company_id(),
        username: d.username.as_str(),
        email: d.email.as_str(),
        mobile: Some(&line.number),
        first_name: &d.first_name,
        last_name: &d.last_name,
        profile: d.profile,
        state: RegistrationState::ToRegister,
    };
    let id = match line.user_id {
        None => {
            let id = insert_user(&mut tx, &new_user).await?;
            lines::assign_user(&mut tx, m.company_id(), &line.number, id).await?;
            id
        }
        Some(user_id) => {
            let saved = target(&mut tx, m, user_id).await?;
            if saved.state != RegistrationState::ToRegister {
                return Err(ManageError::NotFound);
            }
            match users::update_saved(&mut tx, saved.id, &new_user).await {
                Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
                    return Err(invalid("username", USERNAME_TAKEN));
                }
                other => other?,
            }
            saved.id
        }
    };
    let details = json!({ "linea": line.number, "dopo": snapshot(d.email.as_str(), Some(&line.number), d.profile), "username": d.username.as_str() });
    audit_event(&mut tx, m, id, AuditAction::LineUpdated, details).await?;
    tx.commit().await?;
    Ok(id)
}

/// Registra: a saved user gets the username email (already waiting: nothing to do).
pub async fn register(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<(), ManageError> {
    register_many(pool, config, m, &[user_id]).await.map(|_| ())
}

/// Registers several saved users in one go; returns how many got the email.
pub async fn register_many(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_ids: &[Uuid],
) -> Result<usize, ManageError> {
    let mut tx = pool.begin().await?;
    let mut sent = 0;
    for &user_id in user_ids {
        let user = target(&mut tx, m, user_id).await?;
        match user.state {
            RegistrationState::ToRegister => {
                send_username_email(&mut tx, config, &user, &m.actor).await?;
                audit_event(&mut tx, m, user.id, AuditAction::UserRegistered, json!({})).await?;
                sent += 1;
            }
            RegistrationState::Pending => {}
            _ => return Err(ManageError::NotFound),
        }
    }
    tx.commit().await?;
    Ok(sent)
}

/// Registers lines "Da registrare" straight from their contract referent: a user per line
/// (username = the referent's email, profile as in the contract, else Utilizzatore), each
/// emailed at once. Lines without a referent, already taken, or whose username is in use
/// are skipped and returned by number, to be completed with Aggiorna.
pub async fn register_lines(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    line_ids: &[Uuid],
) -> Result<(usize, Vec<String>), ManageError> {
    let mut tx = pool.begin().await?;
    let (mut sent, mut skipped) = (0, Vec::new());
    for &line_id in line_ids {
        let line = lines::find_in_company(&mut tx, m.company_id(), line_id)
            .await?
            .ok_or(ManageError::NotFound)?;
        let Some(email) = line
            .referent_email
            .as_deref()
            .filter(|_| line.user_id.is_none())
        else {
            skipped.push(line.number);
            continue;
        };
        let new_user = NewUser {
            company_id: m.company_id(),
            username: email,
            email,
            mobile: Some(&line.number),
            first_name: line.referent_first_name.as_deref().unwrap_or(""),
            last_name: line.referent_last_name.as_deref().unwrap_or(""),
            profile: line.referent_profile.unwrap_or(Profile::User),
            state: RegistrationState::ToRegister,
        };
        // A savepoint per line: a username already in use skips that line, not the batch.
        let mut one = sqlx::Acquire::begin(&mut *tx).await?;
        let id = match users::insert(&mut one, &new_user).await {
            Ok(id) => id,
            Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
                one.rollback().await?;
                skipped.push(line.number);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        lines::assign_user(&mut one, m.company_id(), &line.number, id).await?;
        let details = json!({ "linea": line.number, "dopo": snapshot(email, Some(&line.number), new_user.profile), "da_referente": true });
        audit_event(&mut one, m, id, AuditAction::LineUpdated, details).await?;
        let user = users::find(&mut one, id)
            .await?
            .ok_or(ManageError::NotFound)?;
        send_username_email(&mut one, config, &user, &m.actor).await?;
        audit_event(&mut one, m, id, AuditAction::UserRegistered, json!({})).await?;
        one.commit().await?;
        sent += 1;
    }
    tx.commit().await?;
    Ok((sent, skipped))
}

/// Sends the username email again; the user's older links stop working.
pub async fn resend(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let user = target(&mut tx, m, user_id).await?;
    if !matches!(
        user.state,
        RegistrationState::Pending | RegistrationState::ToRegister
    ) {
        return Err(ManageError::NotFound);
    }
    send_username_email(&mut tx, config, &user, &m.actor).await?;
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

/// Modifica: email, mobile, profile. A user still waiting gets the username email at the
/// new address (older links die).
pub async fn modify(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    user_id: Uuid,
    (email, mobile, profile): &(EmailAddress, Option<PhoneNumber>, Profile),
) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let user = target(&mut tx, m, user_id).await?;
    let line = match mobile {
        Some(number) => free_line(&mut tx, m, number, Some(user.id)).await?,
        None => None,
    };
    let mobile = mobile.as_ref().map(PhoneNumber::as_str);
    users::update_details(&mut tx, user.id, email.as_str(), mobile, *profile).await?;
    lines::unassign_user(&mut tx, m.company_id(), user.id).await?;
    if let Some(line) = &line {
        lines::assign_user(&mut tx, m.company_id(), &line.number, user.id).await?;
    }
    let details = json!({
        "prima": snapshot(&user.email, user.mobile.as_deref(), user.profile),
        "dopo": snapshot(email.as_str(), mobile, *profile),
    });
    audit_event(&mut tx, m, user.id, AuditAction::UserChanged, details).await?;
    let contacts_changed =
        !user.email.eq_ignore_ascii_case(email.as_str()) || user.mobile.as_deref() != mobile;
    if user.state == RegistrationState::Active && contacts_changed {
        // The channels recovery relies on changed: the old address hears of it (ASVS 2.5.5).
        let notice = messages::contacts_changed_email(&user.first_name, &user.username);
        crate::credentials::recovery::queue(&mut tx, &user, MessageKind::ContactsChanged, &notice)
            .await?;
    }
    if user.state == RegistrationState::Pending && !user.email.eq_ignore_ascii_case(email.as_str())
    {
        let updated = users::find(&mut tx, user.id)
            .await?
            .ok_or(ManageError::NotFound)?;
        send_username_email(&mut tx, config, &updated, &m.actor).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Disables the user: sessions end at once and every link dies.
pub async fn disable(pool: &PgPool, m: &Manager<'_>, user_id: Uuid) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let user = target(&mut tx, m, user_id).await?;
    if user.state != RegistrationState::Disabled {
        users::disable(&mut tx, user.id).await?;
        credentials::supersede_tokens(&mut tx, user.id).await?;
        let details = json!({ "prima": { "state": user.state.as_str() }, "dopo": { "state": "disabilitato" } });
        audit_event(&mut tx, m, user.id, AuditAction::UserDisabled, details).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Re-enables the user: active again if they had chosen a password, otherwise back to
/// "da registrare" (to be registered again).
pub async fn enable(pool: &PgPool, m: &Manager<'_>, user_id: Uuid) -> Result<(), ManageError> {
    let mut tx = pool.begin().await?;
    let user = target(&mut tx, m, user_id).await?;
    if user.state == RegistrationState::Disabled {
        let state = if users::has_password(&mut tx, user.id).await? {
            RegistrationState::Active
        } else {
            RegistrationState::ToRegister
        };
        users::set_state(&mut tx, user.id, state).await?;
        let details =
            json!({ "prima": { "state": "disabilitato" }, "dopo": { "state": state.as_str() } });
        audit_event(&mut tx, m, user.id, AuditAction::UserReenabled, details).await?;
    }
    tx.commit().await?;
    Ok(())
}
