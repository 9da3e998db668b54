//! The journey behind an emailed link: open it (read-only), get a verification code,
//! type it, choose the password. Shared by activation and recovery (`Purpose`).

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    CODE_COOLDOWN, CODE_LIFETIME, CODE_MAX_ATTEMPTS, CODES_PER_HOUR, COMPANY_CODES_PER_DAY,
    PASSWORD_STEP_LIFETIME, secret,
};
use crate::actor::Actor;
use crate::auth::PasswordHasher;
use crate::db::audit;
use crate::db::credentials::{self as db, CodeRow, NewCode, Purpose, TokenRow};
use crate::db::outbox::{self, Channel, NewMessage};
use crate::db::users::{self, User};
use crate::domain::{AuditAction, MessageKind};
use crate::domain::{Password, PhoneNumber, RegistrationState};
use crate::notify::messages;

/// Why an emailed link can no longer be used; each has its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLink {
    Unknown,
    Expired,
    Used,
    Superseded,
}

/// Where the journey of a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No usable code yet: offer "Invia il codice di verifica".
    NeedCode,
    /// A code was sent and can still be typed.
    CodePending,
    /// The right code was typed: choose the password.
    ChoosePassword,
}

/// What the page of a live link shows.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub user: User,
    pub step: Step,
    /// "+39 333 ••• 4567", or None when the code goes by email.
    pub masked_mobile: Option<String>,
}

/// A failure of any step of the journey.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("dead link: {0:?}")]
    Dead(DeadLink),
    #[error(transparent)]
    Hashing(#[from] crate::auth::HashError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LinkError {
    fn from(e: sqlx::Error) -> Self {
        LinkError::Internal(e.into())
    }
}

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

/// Reads the state of a link. Changes nothing: mail scanners open links before people do.
/// `now` is the portal's clock (`crate::clock`), as in every function here.
pub async fn open(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
) -> Result<LinkView, LinkError> {
    let mut conn = pool.acquire().await?;
    let token = live_token(&mut conn, now, raw, purpose, false).await?;
    let user = live_user(&mut conn, &token).await?;
    let step = if password_step_open(&token, now) {
        Step::ChoosePassword
    } else {
        match db::current_code(&mut conn, token.id).await? {
            Some(code) if code_usable(&code, now) => Step::CodePending,
            _ => Step::NeedCode,
        }
    };
    Ok(LinkView {
        masked_mobile: masked_mobile(&user),
        user,
        step,
    })
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
    let channel = enqueue_code(&mut tx, &user, &code)
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

/// Checks a typed code; the right one opens the password step.
pub async fn verify_code(
    pool: &PgPool,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
    typed: &str,
    actor: &Actor,
) -> Result<(), CodeError> {
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
        Ok(())
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

/// Sets the password after a verified code: account active, link consumed, every older
/// session ended. Returns the user as now stored, ready to be logged in.
pub async fn set_password(
    pool: &PgPool,
    now: OffsetDateTime,
    hasher: &PasswordHasher,
    raw: &str,
    purpose: Purpose,
    password: &Password,
    actor: &Actor,
) -> Result<User, LinkError> {
    // Hash before locking anything: Argon2 takes tens of milliseconds.
    let hash = hasher.hash(password).await?;
    let mut tx = pool.begin().await?;
    let token = live_token(&mut tx, now, raw, purpose, true).await?;
    let user = live_user(&mut tx, &token).await?;
    if !password_step_open(&token, now) {
        return Err(LinkError::Dead(DeadLink::Expired));
    }
    users::activate_with_password(&mut tx, user.id, &hash).await?;
    db::mark_token_used(&mut tx, token.id, now).await?;
    // Whoever chose a new password through a verified link may log in at once.
    crate::auth::throttle::clear_account(&mut tx, &user.username).await?;
    let action = match purpose {
        Purpose::Activation => AuditAction::AccountActivated,
        Purpose::Recovery => AuditAction::PasswordReset,
    };
    if purpose == Purpose::Recovery {
        // Tell the owner, in case it was not them.
        let email = messages::password_changed_email(&user.first_name, &user.username);
        super::recovery::queue(&mut tx, &user, MessageKind::PasswordChanged, &email).await?;
    }
    audit::append(
        &mut tx,
        &actor.event(user.company_id, Some(user.id), action, json!({})),
    )
    .await?;
    let user = users::find(&mut tx, user.id)
        .await?
        .ok_or(LinkError::Dead(DeadLink::Unknown))?;
    tx.commit().await?;
    Ok(user)
}

async fn live_token(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    raw: &str,
    purpose: Purpose,
    lock: bool,
) -> Result<TokenRow, LinkError> {
    if !secret::looks_like_link_token(raw) {
        return Err(LinkError::Dead(DeadLink::Unknown));
    }
    let hash = secret::hash_link_token(raw);
    let token = if lock {
        db::find_token_for_update(conn, &hash).await?
    } else {
        db::find_token(conn, &hash).await?
    };
    let token = token
        .filter(|t| t.purpose == purpose)
        .ok_or(LinkError::Dead(DeadLink::Unknown))?;
    if token.used_at.is_some() {
        Err(LinkError::Dead(DeadLink::Used))
    } else if token.superseded_at.is_some() {
        Err(LinkError::Dead(DeadLink::Superseded))
    } else if token.expires_at <= now {
        Err(LinkError::Dead(DeadLink::Expired))
    } else {
        Ok(token)
    }
}

/// The link's user, unless disabled (a disabled account's links are dead).
async fn live_user(conn: &mut PgConnection, token: &TokenRow) -> Result<User, LinkError> {
    match users::find(conn, token.user_id).await? {
        Some(user) if user.state != RegistrationState::Disabled => Ok(user),
        _ => Err(LinkError::Dead(DeadLink::Superseded)),
    }
}

fn password_step_open(token: &TokenRow, now: OffsetDateTime) -> bool {
    token
        .code_verified_at
        .is_some_and(|at| now - at < PASSWORD_STEP_LIFETIME)
}

fn code_usable(code: &CodeRow, now: OffsetDateTime) -> bool {
    code.expires_at > now && code.failed_attempts < CODE_MAX_ATTEMPTS
}

fn masked_mobile(user: &User) -> Option<String> {
    let mobile = user.mobile.as_deref()?;
    PhoneNumber::parse(mobile).ok().map(|p| p.masked())
}

/// Queues the code by SMS, or by email when the user has no mobile; returns the channel name.
async fn enqueue_code(
    conn: &mut PgConnection,
    user: &User,
    code: &str,
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
    };
    match user.mobile.as_deref() {
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
            let email = messages::code_email(&user.first_name, code);
            let message = NewMessage {
                subject: Some(&email.subject),
                body_text: &email.text,
                body_html: Some(&email.html),
                ..base(Channel::Email, &user.email)
            };
            outbox::enqueue(conn, &message).await?;
            Ok("email")
        }
    }
}
