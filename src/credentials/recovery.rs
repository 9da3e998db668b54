//! Recupera Password and "chiedi nuovamente l'invio": the work of self-service requests
//! that never reveal whether an account exists. The request only queues a job
//! ([`super::request`]); the worker runs these functions in the job's transaction, and
//! their messages leave through the outbox.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{RECOVERY_LINK_LIFETIME, fresh_link, send_username_email};
use crate::actor::Actor;
use crate::config::Config;
use crate::db::audit;
use crate::db::credentials::Purpose;
use crate::db::outbox::{self, Channel, NewMessage};
use crate::db::rate_limits::{self, Limit};
use crate::db::users::{self, User};
use crate::domain::RegistrationState;
use crate::domain::{AuditAction, MessageKind};
use crate::notify::messages::{self, RenderedEmail};

/// Emails of these journeys per account and per address: 1 a minute, 5 an hour.
pub const EMAIL_LIMIT: Limit = Limit {
    per_minute: 1,
    per_hour: 5,
};
/// Accounts one identifier may match (an email shared by a person's several logins).
const MAX_MATCHES: i64 = 5;

/// Recupera Password for a username or email: an active user gets a recovery link
/// ([`RECOVERY_LINK_LIFETIME`]); a user still waiting gets a fresh username email; anyone
/// else, nothing. Runs in the caller's transaction (the job's).
pub async fn request_recovery(
    tx: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    identifier: &str,
    client: Option<String>,
) -> anyhow::Result<()> {
    let actor = Actor::visitor(client);
    for user in users::find_by_username_or_email(tx, identifier, MAX_MATCHES).await? {
        if !account_allowed(tx, &user).await? {
            continue;
        }
        match user.state {
            RegistrationState::Active => {
                let link = new_recovery_link(tx, config, now, &user).await?;
                let to = Addressee::of(&mut *tx, &user).await?;
                let email = messages::recovery_email(&to.recipient(), &user.username, &link);
                let expires_at = now + RECOVERY_LINK_LIFETIME;
                queue_until(tx, &user, MessageKind::Recovery, &email, expires_at).await?;
                audit::append(
                    tx,
                    &actor.event(
                        user.company_id,
                        Some(user.id),
                        AuditAction::RecoveryRequested,
                        json!({}),
                    ),
                )
                .await?;
            }
            RegistrationState::Pending => {
                send_username_email(tx, config, now, &user, &actor).await?
            }
            RegistrationState::ToRegister | RegistrationState::Disabled => {
                tracing::info!(user_id = %user.id, state = user.state.as_str(), "recovery asked for an account that cannot recover");
            }
        }
    }
    Ok(())
}

/// "Non hai ricevuto la mail?": a user still waiting gets a fresh username email; an active
/// user a reminder with the username and a recovery link. In the caller's transaction.
pub async fn request_resend(
    tx: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    email: &str,
    client: Option<String>,
) -> anyhow::Result<()> {
    let actor = Actor::visitor(client);
    for user in users::find_by_email(tx, email, MAX_MATCHES).await? {
        if !account_allowed(tx, &user).await? {
            continue;
        }
        remind(tx, config, now, &user, &actor).await?;
    }
    Ok(())
}

/// The right message for a user who did not get (or lost) their credentials: the username
/// email while not active, a reminder with a recovery link once active.
pub async fn remind(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
) -> anyhow::Result<bool> {
    match user.state {
        RegistrationState::Pending => send_username_email(conn, config, now, user, actor).await?,
        RegistrationState::Active => {
            let link = new_recovery_link(conn, config, now, user).await?;
            let to = Addressee::of(&mut *conn, user).await?;
            let email = messages::reminder_email(&to.recipient(), &user.username, &link);
            let expires_at = now + RECOVERY_LINK_LIFETIME;
            queue_until(conn, user, MessageKind::Reminder, &email, expires_at).await?;
            audit::append(
                conn,
                &actor.event(
                    user.company_id,
                    Some(user.id),
                    AuditAction::CredentialsReminderSent,
                    json!({}),
                ),
            )
            .await?;
        }
        RegistrationState::ToRegister | RegistrationState::Disabled => {
            tracing::info!(user_id = %user.id, state = user.state.as_str(), "no credentials to resend in this state");
            return Ok(false);
        }
    }
    Ok(true)
}

/// Per account and per recipient address: at most [`EMAIL_LIMIT`] of these emails.
async fn account_allowed(conn: &mut PgConnection, user: &User) -> sqlx::Result<bool> {
    let account = rate_limits::try_acquire(
        conn,
        &format!("credenziali:utente:{}", user.id),
        EMAIL_LIMIT,
    )
    .await?;
    let address = account
        && rate_limits::try_acquire(
            conn,
            &format!("credenziali:indirizzo:{}", user.email),
            EMAIL_LIMIT,
        )
        .await?;
    if !address {
        tracing::warn!(user_id = %user.id, "credential email over the limit: not sent");
    }
    Ok(address)
}

/// A fresh recovery link (older links of the user die).
async fn new_recovery_link(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
) -> sqlx::Result<String> {
    let (purpose, lifetime) = (Purpose::Recovery, RECOVERY_LINK_LIFETIME);
    fresh_link(
        conn,
        config,
        now,
        user,
        purpose,
        lifetime,
        "/recupera-password",
    )
    .await
}

/// Queues a notice (no link, no code) to the user's address: worth delivering for
/// [`outbox::NOTICE_HORIZON`] in the queue.
pub async fn queue(
    conn: &mut PgConnection,
    user: &User,
    template: MessageKind,
    email: &RenderedEmail,
) -> sqlx::Result<()> {
    let message = NewMessage {
        expires_at: None,
        ..email_to(user, template, email)
    };
    outbox::enqueue(conn, &message).await.map(|_| ())
}

/// Queues an email carrying a link to the user's address; `expires_at` is the link's.
pub async fn queue_until(
    conn: &mut PgConnection,
    user: &User,
    template: MessageKind,
    email: &RenderedEmail,
    expires_at: OffsetDateTime,
) -> sqlx::Result<()> {
    let message = NewMessage {
        expires_at: Some(expires_at),
        ..email_to(user, template, email)
    };
    outbox::enqueue(conn, &message).await.map(|_| ())
}

fn email_to<'a>(user: &'a User, template: MessageKind, email: &'a RenderedEmail) -> NewMessage<'a> {
    NewMessage {
        company_id: user.company_id,
        user_id: Some(user.id),
        channel: Channel::Email,
        recipient: user.email.as_str(),
        template,
        subject: Some(&email.subject),
        body_text: &email.text,
        body_html: Some(&email.html),
        expires_at: None,
    }
}
