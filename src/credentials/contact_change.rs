//! A new own e-mail or mobile counts only once proven (issue 12): asking for it (current
//! password again) leaves the old contact in use everywhere and sends the proof to the new
//! one — a 6-digit code by SMS to the new number, a link to the new address. The proofs
//! themselves are checked in [`super::contact_proof`]. Removing the mobile needs no proof
//! (nothing new is reached; codes then go to the proven e-mail) and applies at once.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::self_service::{SelfServiceError, reauthenticate};
use super::{CODE_LIFETIME, CODE_MAX_ATTEMPTS, EMAIL_CHANGE_LINK_LIFETIME, secret};
use crate::actor::Actor;
use crate::auth::PasswordHasher;
use crate::config::Config;
use crate::db::outbox::{self, Channel, NewMessage};
use crate::db::pending_contacts::{self as db, Closed, ContactKind, NewChange};
use crate::db::rate_limits::{self, Limit};
use crate::db::users::{self, User};
use crate::db::{audit, credentials};
use crate::domain::{AuditAction, EmailAddress, MessageKind, PhoneNumber};
use crate::notify::messages;

/// Where the link to a new address opens (`/conferma-email/{token}`).
pub const EMAIL_CONFIRM_PREFIX: &str = "/conferma-email";

/// Requests that send a proof, per user: each costs an SMS or an e-mail to an address the
/// portal does not know yet, so they are few even after the right password.
const REQUEST_LIMIT: Limit = Limit {
    per_minute: 2,
    per_hour: 6,
};

/// What a request of the contacts form came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requested {
    /// A link went to the new address.
    pub email_link_sent: bool,
    /// A code went by SMS to the new number.
    pub mobile_code_sent: bool,
    /// The mobile was removed (at once).
    pub mobile_removed: bool,
}

/// The changes waiting for their proof, as the contacts page shows them.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    pub email: Option<String>,
    pub mobile: Option<String>,
}

/// The contacts form, after the current password: what differs from the account asks for
/// a proof; the rest stays as it is (an open change is only ended by its own button).
#[allow(clippy::too_many_arguments)]
pub async fn request(
    pool: &PgPool,
    config: &Config,
    hasher: &PasswordHasher,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    current_password: &str,
    (email, mobile): (&EmailAddress, Option<&PhoneNumber>),
) -> Result<Requested, SelfServiceError> {
    reauthenticate(pool, hasher, user, actor, current_password).await?;
    let mut tx = pool.begin().await?;
    let user = users::find_for_update(&mut tx, user.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user vanished"))?;
    let new_email = (*email != user.email).then_some(email);
    let new_mobile = mobile.filter(|m| user.mobile.as_ref() != Some(*m));
    let remove_mobile = mobile.is_none() && user.mobile.is_some();
    let mut done = Requested::default();
    if new_email.is_some() || new_mobile.is_some() {
        let key = format!("contatti:modifica:{}", user.id);
        if !rate_limits::try_acquire(&mut tx, &key, REQUEST_LIMIT).await? {
            return Err(SelfServiceError::TooManyRequests);
        }
    }
    if let Some(email) = new_email {
        send_email_link(&mut tx, config, now, &user, actor, email).await?;
        done.email_link_sent = true;
    }
    if let Some(mobile) = new_mobile {
        send_mobile_code(&mut tx, now, &user, actor, mobile).await?;
        done.mobile_code_sent = true;
    }
    if remove_mobile {
        remove_own_mobile(&mut tx, now, &user, actor).await?;
        done.mobile_removed = true;
    }
    tx.commit().await?;
    Ok(done)
}

async fn send_email_link(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    email: &EmailAddress,
) -> sqlx::Result<()> {
    let token = secret::new_link_token();
    let change = NewChange {
        id: Uuid::new_v4(),
        company_id: user.company_id,
        user_id: user.id,
        kind: ContactKind::Email,
        value: email.as_str(),
        secret_sha256: &secret::hash_link_token(&token),
        created_at: now,
        expires_at: now + EMAIL_CHANGE_LINK_LIFETIME,
    };
    db::insert(conn, &change).await?;
    let link = config.link(&format!("{EMAIL_CONFIRM_PREFIX}/{token}"));
    let to = Addressee::of(&mut *conn, user).await?;
    let mail =
        messages::email_confirmation_email(&to.recipient(), &user.username, email.as_str(), &link);
    let message = NewMessage {
        company_id: user.company_id,
        user_id: Some(user.id),
        channel: Channel::Email,
        recipient: email.as_str(),
        template: MessageKind::EmailConfirmation,
        subject: Some(&mail.subject),
        body_text: &mail.text,
        body_html: Some(&mail.html),
        expires_at: Some(change.expires_at),
    };
    outbox::enqueue(conn, &message).await?;
    requested_event(conn, user, actor, ContactKind::Email, email.as_str()).await
}

async fn send_mobile_code(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    mobile: &PhoneNumber,
) -> sqlx::Result<()> {
    let (id, code) = (Uuid::new_v4(), secret::new_code());
    let change = NewChange {
        id,
        company_id: user.company_id,
        user_id: user.id,
        kind: ContactKind::Mobile,
        value: mobile.as_str(),
        secret_sha256: &secret::hash_code(id, &code),
        created_at: now,
        expires_at: now + CODE_LIFETIME,
    };
    db::insert(conn, &change).await?;
    let text = messages::code_sms(&code);
    let message = NewMessage {
        company_id: user.company_id,
        user_id: Some(user.id),
        channel: Channel::Sms,
        recipient: mobile.as_str(),
        template: MessageKind::Code,
        subject: None,
        body_text: &text,
        body_html: None,
        expires_at: Some(change.expires_at),
    };
    outbox::enqueue(conn, &message).await?;
    requested_event(conn, user, actor, ContactKind::Mobile, mobile.as_str()).await
}

async fn requested_event(
    conn: &mut PgConnection,
    user: &User,
    actor: &Actor,
    kind: ContactKind,
    value: &str,
) -> sqlx::Result<()> {
    let details = json!({ "contatto": kind.as_str(), "nuovo": value });
    let action = AuditAction::ContactChangeRequested;
    audit::append(
        conn,
        &actor.event(user.company_id, Some(user.id), action, details),
    )
    .await
}

/// No mobile any more: codes go to the (proven) e-mail from now on.
async fn remove_own_mobile(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
) -> sqlx::Result<()> {
    db::close_open(conn, user.id, ContactKind::Mobile, Closed::Replaced, now).await?;
    users::update_contacts(conn, user.id, &user.email, None).await?;
    applied(
        conn,
        user,
        actor,
        json!({ "mobile": user.mobile }),
        json!({ "mobile": null }),
    )
    .await
}

/// A contact change took effect: the address on file before is told, older links die (they
/// were sent to the old contacts), and the audit records before and after.
pub(super) async fn applied(
    conn: &mut PgConnection,
    before: &User,
    actor: &Actor,
    prima: serde_json::Value,
    dopo: serde_json::Value,
) -> sqlx::Result<()> {
    credentials::supersede_tokens(conn, before.id).await?;
    let to = Addressee::of(&mut *conn, before).await?;
    let notice = messages::contacts_changed_email(&to.recipient(), &before.username);
    super::recovery::queue(conn, before, MessageKind::ContactsChanged, &notice).await?;
    let details = json!({ "prima": prima, "dopo": dopo });
    let event = actor.event(
        before.company_id,
        Some(before.id),
        AuditAction::ContactsChanged,
        details,
    );
    audit::append(conn, &event).await
}

/// "Annulla la modifica": the open change of `kind` ends; true when there was one.
pub async fn cancel(
    pool: &PgPool,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
    kind: ContactKind,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let cancelled = db::close_open(&mut tx, user.id, kind, Closed::Cancelled, now).await?;
    if cancelled {
        cancelled_event(&mut tx, user, actor, kind, "annullata").await?;
    }
    tx.commit().await?;
    Ok(cancelled)
}

pub(super) async fn cancelled_event(
    conn: &mut PgConnection,
    user: &User,
    actor: &Actor,
    kind: ContactKind,
    why: &str,
) -> sqlx::Result<()> {
    let details = json!({ "contatto": kind.as_str(), "motivo": why });
    let action = AuditAction::ContactChangeCancelled;
    audit::append(
        conn,
        &actor.event(user.company_id, Some(user.id), action, details),
    )
    .await
}

/// The user's changes still waiting for a proof that can still come: a mobile whose code
/// is neither expired nor burnt, an address whose link is not expired.
pub async fn pending(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Pending> {
    let mut pending = Pending::default();
    for change in db::open_changes(conn, user_id).await? {
        let usable = change.expires_at > now && change.failed_attempts < CODE_MAX_ATTEMPTS;
        match change.kind() {
            ContactKind::Email if usable => pending.email = Some(change.value),
            ContactKind::Mobile if usable => pending.mobile = Some(change.value),
            _ => {}
        }
    }
    Ok(pending)
}
