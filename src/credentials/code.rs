//! Verification codes behind an emailed link: sending one (SMS, or email without a
//! mobile) within its limits — one a minute, five an hour, the company's daily cap — and
//! checking a typed one, which opens the password step.

use crate::notify::addressee::Addressee;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::link::{LinkError, live_token, live_user};
use super::{
    CODE_COOLDOWN, CODE_LIFETIME, CODE_MAX_ATTEMPTS, CODES_PER_HOUR, COMPANY_CODES_PER_DAY, secret,
};
use crate::actor::Actor;
use crate::db::audit;
use crate::db::credentials::{self as db, CodeRow, NewCode, Purpose};
use crate::db::outbox::{self, Channel, NewMessage};
use crate::db::users::User;
use crate::domain::{AuditAction, MessageKind, PhoneNumber};
use crate::notify::messages;

#[derive(Debug, thiserror::Error)]
pub enum SendCodeError {
    #[error(transparent)]
    Link(#[from] LinkError),
    /// One code a minute.
    #[error("code requested too soon")]
    TooSoon,
    /// Five codes an hour.
    #[error("hourly code limit reached")]
    HourlyLimit,
    /// The company's daily cap.
    #[error("company daily code limit reached")]
    CompanyDailyLimit,
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("no code was sent")]
    NoCode,
    #[error("code expired")]
    Expired,
    #[error("too many wrong codes")]
    Exhausted,
    #[error("wrong code")]
    Wrong { remaining: i32 },
}

/// Sends a new code (SMS, or email without a mobile), replacing the previous one.
pub async fn send_code(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
    actor: &Actor,
) -> Result<(), SendCodeError> {
    let mut tx = pool.begin().await.map_err(LinkError::from)?;
    let token = live_token(&mut tx, now, raw, purpose, true).await?;
    let user = live_user(&mut tx, &token).await?;
    let (last_hour, latest) =
        db::codes_sent_since(&mut tx, user.id, now - time::Duration::hours(1))
            .await
            .map_err(LinkError::from)?;
    if latest.is_some_and(|at| now - at < CODE_COOLDOWN) {
        return Err(SendCodeError::TooSoon);
    }
    if last_hour >= CODES_PER_HOUR {
        tracing::warn!(user_id = %user.id, "verification code refused: hourly limit reached");
        return Err(SendCodeError::HourlyLimit);
    }
    let company_today =
        db::company_codes_since(&mut tx, user.company_id, now - time::Duration::days(1))
            .await
            .map_err(LinkError::from)?;
    if company_today >= COMPANY_CODES_PER_DAY {
        tracing::warn!(company_id = %user.company_id, "verification code refused: company daily limit reached");
        return Err(SendCodeError::CompanyDailyLimit);
    }
    let code = secret::new_code();
    let code_id = Uuid::new_v4();
    let new_code = NewCode {
        id: code_id,
        company_id: user.company_id,
        user_id: user.id,
        token_id: token.id,
        code_sha256: &secret::hash_code(code_id, &code),
        created_at: now,
        expires_at: now + CODE_LIFETIME,
    };
    db::replace_code(&mut tx, &new_code)
        .await
        .map_err(LinkError::from)?;
    let channel = enqueue_code(&mut tx, &user, &code, new_code.expires_at)
        .await
        .map_err(LinkError::from)?;
    let event = actor.event(
        user.company_id,
        Some(user.id),
        AuditAction::CodeSent,
        json!({ "canale": channel }),
    );
    audit::append(&mut tx, &event)
        .await
        .map_err(LinkError::from)?;
    tx.commit().await.map_err(LinkError::from)?;
    Ok(())
}

/// Checks a typed code; the right one opens the password step (for a re-enrolment link:
/// uses the link up, see `factor_reset::proved`). Returns the link's user.
pub async fn verify_code(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
    typed: &str,
    actor: &Actor,
) -> Result<User, CodeError> {
    let mut tx = pool.begin().await.map_err(LinkError::from)?;
    let token = live_token(&mut tx, now, raw, purpose, true).await?;
    let user = live_user(&mut tx, &token).await?;
    let code = db::current_code(&mut tx, token.id)
        .await
        .map_err(LinkError::from)?;
    let Some(code) = code else {
        return Err(CodeError::NoCode);
    };
    if code.failed_attempts >= CODE_MAX_ATTEMPTS {
        return Err(CodeError::Exhausted);
    }
    if code.expires_at <= now {
        return Err(CodeError::Expired);
    }
    let right = secret::code_matches(code.id, typed, &code.code_sha256);
    let result = if right {
        db::mark_code_used(&mut tx, code.id, now)
            .await
            .map_err(LinkError::from)?;
        db::mark_code_verified(&mut tx, token.id, now)
            .await
            .map_err(LinkError::from)?;
        if purpose == Purpose::Reenrolment {
            super::factor_reset::proved(&mut tx, &token, now)
                .await
                .map_err(LinkError::from)?;
        }
        Ok(user.clone())
    } else {
        let failed = db::record_failed_attempt(&mut tx, code.id)
            .await
            .map_err(LinkError::from)?;
        let remaining = CODE_MAX_ATTEMPTS - failed;
        if remaining > 0 {
            Err(CodeError::Wrong { remaining })
        } else {
            Err(CodeError::Exhausted)
        }
    };
    let action = if right {
        AuditAction::CodeVerified
    } else {
        AuditAction::CodeWrong
    };
    audit::append(
        &mut tx,
        &actor.event(user.company_id, Some(user.id), action, json!({})),
    )
    .await
    .map_err(LinkError::from)?;
    tx.commit().await.map_err(LinkError::from)?;
    result
}

/// A code that can still be typed: not expired, tries left.
pub(super) fn code_usable(code: &CodeRow, now: OffsetDateTime) -> bool {
    code.expires_at > now && code.failed_attempts < CODE_MAX_ATTEMPTS
}

/// Queues the code by SMS, or by email when the user has no mobile; returns the channel name.
async fn enqueue_code(
    conn: &mut PgConnection,
    user: &User,
    code: &str,
    expires_at: OffsetDateTime,
) -> sqlx::Result<&'static str> {
    let base = |channel, recipient| NewMessage {
        company_id: user.company_id,
        user_id: Some(user.id),
        channel,
        recipient,
        template: MessageKind::Code,
        subject: None,
        body_text: "",
        body_html: None,
        expires_at: Some(expires_at),
    };
    match user.mobile.as_ref().map(PhoneNumber::as_str) {
        Some(mobile) => {
            let text = messages::code_sms(code);
            outbox::enqueue(
                conn,
                &NewMessage {
                    body_text: &text,
                    ..base(Channel::Sms, mobile)
                },
            )
            .await?;
            Ok("sms")
        }
        None => {
            let to = Addressee::of(&mut *conn, user).await?;
            let email = messages::code_email(&to.recipient(), code);
            let message = NewMessage {
                subject: Some(&email.subject),
                body_text: &email.text,
                body_html: Some(&email.html),
                ..base(Channel::Email, user.email.as_str())
            };
            outbox::enqueue(conn, &message).await?;
            Ok("email")
        }
    }
}
