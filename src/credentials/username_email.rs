//! The username email: a fresh activation link for a user, queued in the outbox in the
//! caller's transaction. Every older link of the user dies with it.

use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{ACTIVATION_LINK_LIFETIME, secret};
use crate::actor::Actor;
use crate::config::Config;
use crate::db::credentials::{self as db, NewToken, Purpose};
use crate::db::outbox::{self, Channel, NewMessage};
use crate::db::users::{self, User};
use crate::db::{audit, companies};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{Profile, RegistrationState};
use crate::notify::messages::{self, RegisteredBy};

/// Outbox kind of the username email (support reads delivery status by it).
pub const TEMPLATE: MessageKind = MessageKind::Username;

/// A username email ready to be written: the hash of its new link and the message.
pub struct PreparedUsernameEmail {
    pub token_sha256: [u8; 32],
    pub expires_at: OffsetDateTime,
    pub email: messages::RenderedEmail,
}

/// Draws a fresh activation link for `username` and renders the email around it; the link
/// itself lives only in the message. `now` is the portal's clock.
pub fn prepare(
    config: &Config,
    now: OffsetDateTime,
    first_name: &str,
    username: &str,
    company: &str,
    registered_by: RegisteredBy<'_>,
) -> PreparedUsernameEmail {
    let token = secret::new_link_token();
    let link = config.link(&format!("/attivazione/{token}"));
    PreparedUsernameEmail {
        token_sha256: secret::hash_link_token(&token),
        expires_at: now + ACTIVATION_LINK_LIFETIME,
        email: messages::username_email(&messages::UsernameInvite {
            first_name,
            username,
            link: &link,
            company,
            registered_by,
        }),
    }
}

/// Who the e-mail says registered `user`: the acting person of the company, an operator,
/// the first contract (a legal representative registered by the portal), or nobody named.
async fn registerer_name(
    conn: &mut PgConnection,
    user: &User,
    actor: &Actor,
) -> anyhow::Result<Option<String>> {
    match actor.user_id {
        Some(id) if id != user.id => Ok(users::find(conn, id).await?.map(|u| u.full_name())),
        _ => Ok(None),
    }
}

/// Queues the username email for `user` and moves a saved user to `in_attesa`.
pub async fn send_username_email(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
    actor: &Actor,
) -> anyhow::Result<()> {
    db::supersede_tokens(conn, user.id).await?;
    let PreparedUsernameEmail {
        token_sha256,
        expires_at,
        email,
    } = {
        let company = companies::name_of(conn, user.company_id).await?;
        let person = registerer_name(conn, user, actor).await?;
        let registered_by = match (&person, actor.staff_user_id) {
            (Some(name), _) => RegisteredBy::Person(name),
            (None, Some(_)) => RegisteredBy::Support,
            (None, None) if user.profile == Profile::LegalRepresentative => RegisteredBy::Contract,
            (None, None) => RegisteredBy::Company,
        };
        prepare(
            config,
            now,
            &user.first_name,
            &user.username,
            &company,
            registered_by,
        )
    };
    db::insert_token(
        conn,
        &NewToken {
            company_id: user.company_id,
            user_id: user.id,
            purpose: Purpose::Activation,
            token_sha256: &token_sha256,
            expires_at,
        },
    )
    .await?;
    outbox::enqueue(
        conn,
        &NewMessage {
            company_id: user.company_id,
            user_id: Some(user.id),
            channel: Channel::Email,
            recipient: user.email.as_str(),
            template: TEMPLATE,
            subject: Some(&email.subject),
            body_text: &email.text,
            body_html: Some(&email.html),
            expires_at: Some(expires_at),
        },
    )
    .await?;
    if user.state == RegistrationState::ToRegister {
        users::set_state(conn, user.id, RegistrationState::Pending).await?;
    }
    let details = json!({ "email": user.email });
    audit::append(
        conn,
        &actor.event(
            user.company_id,
            Some(user.id),
            AuditAction::UsernameEmailSent,
            details,
        ),
    )
    .await?;
    Ok(())
}
