//! The login's second step (`/accedi/verifica`): after the right password of an account
//! with a factor, the session holds a [`PendingLogin`] (not a login) until a code from
//! the app or a recovery code proves the factor. Wrong codes count in the login throttle
//! like wrong passwords, and the fifth ends the attempt. An account without an app whose
//! profile requires a factor proves it with a code sent by SMS to its mobile.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use tower_sessions::Session;
use tower_sessions::session::Error as SessionError;
use uuid::Uuid;

pub use super::factor_step::{MAX_WRONG_CODES, PENDING_LIFETIME, StepOutcome};
use super::factor_step::{Pending, Proof, could_be_code, verify_code};
use super::factors::{self, FactorUsed};
use super::login::{LoginError, typed};
use super::session::{Opened, Origin, open_rows};
use super::throttle::{self, Keys};
use crate::actor::Actor;
use crate::config::Config;
use crate::credentials::{CODE_LIFETIME, secret};
use crate::db::audit;
use crate::db::factors::Owner;
use crate::db::outbox::{self, Channel, NewMessage};
use crate::db::rate_limits::{self, Limit};
use crate::db::users::{self, User};
use crate::domain::{AuditAction, MessageKind, RegistrationState};
use crate::notify::messages;

const PENDING_KEY: &str = "login_pending";

/// A password that was right, waiting for the second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub user_id: Uuid,
    epoch: i32,
    /// The username as typed at login: the throttle key the password step used.
    username: String,
    #[serde(with = "time::serde::timestamp")]
    password_at: OffsetDateTime,
    wrong_codes: u8,
    /// An app or a passkey is the factor (with recovery codes); otherwise an SMS code is
    /// offered.
    #[serde(alias = "has_app")]
    pub strong: bool,
    /// The last code sent by SMS for this attempt.
    pub sms: Option<SmsChallenge>,
}

/// An SMS code sent at the second step, kept as a salted hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmsChallenge {
    id: Uuid,
    code_sha256: Vec<u8>,
    #[serde(with = "time::serde::timestamp")]
    sent_at: OffsetDateTime,
    /// "+39 333 ••• 4567", for the page.
    pub masked_mobile: String,
}

impl SmsChallenge {
    fn matches(&self, typed: &str, now: OffsetDateTime) -> bool {
        now - self.sent_at < CODE_LIFETIME
            && secret::code_matches(self.id, typed, &self.code_sha256)
    }
}

/// Remembers the password step; a new session id, as for a login.
pub async fn begin(
    session: &Session,
    user: &User,
    username: &str,
    strong: bool,
) -> Result<(), SessionError> {
    super::session::new_id(session).await?;
    // Whoever was logged in on this browser is not any more: a password is a new login.
    session
        .remove::<super::session::SessionAuth>(super::session::SESSION_KEY)
        .await?;
    let pending = PendingLogin {
        user_id: user.id,
        epoch: user.session_epoch,
        username: typed(username),
        password_at: OffsetDateTime::now_utc(),
        wrong_codes: 0,
        strong,
        sms: None,
    };
    session.insert(PENDING_KEY, pending).await
}

/// The pending login of this session, if it is still good.
pub async fn pending(session: &Session) -> Result<Option<PendingLogin>, SessionError> {
    let pending: Option<PendingLogin> = session.get(PENDING_KEY).await?;
    Ok(pending.filter(|p| OffsetDateTime::now_utc() - p.password_at < PENDING_LIFETIME))
}

pub async fn abandon(session: &Session) -> Result<(), SessionError> {
    session.remove::<PendingLogin>(PENDING_KEY).await.map(drop)
}

/// A customer whose second step passed: the login's rows are written (in the proof's
/// transaction), the session is bound with [`super::session::login_opened`].
#[derive(Debug)]
pub struct StepPassed {
    pub user: User,
    pub opened: Opened,
}

/// Checks the code typed at `/accedi/verifica` and updates the pending login; a right code
/// writes the login's rows in the same transaction (one commit for the whole step).
pub async fn verify(
    pool: &PgPool,
    config: &Config,
    session: &Session,
    pending: PendingLogin,
    code: &str,
    origin: &Origin<'_>,
    now: OffsetDateTime,
) -> Result<StepOutcome<StepPassed>, LoginError> {
    let client = origin.client_addr;
    let keys = Keys::new("", &pending.username, client);
    let actor = Actor::visitor(client.map(str::to_owned));
    let previous = super::session::key_of(session)
        .await
        .map_err(anyhow::Error::from)?;
    let check = async |conn: &mut PgConnection, pending: &PendingLogin| {
        let user = users::find(conn, pending.user_id).await?;
        let Some(user) = user
            .filter(|u| u.state == RegistrationState::Active && u.session_epoch == pending.epoch)
        else {
            return Ok(Proof::Gone);
        };
        let factor = factor_proved(conn, pending, &user, code, now).await?;
        let (action, details) = match factor {
            Some(factor) => (AuditAction::Login, json!({ "fattore": factor.as_str() })),
            None => (AuditAction::SecondFactorWrong, json!({})),
        };
        let event = actor.event(user.company_id, Some(user.id), action, details);
        audit::append(conn, &event).await?;
        Ok(match factor {
            Some(factor) => {
                tracing::info!(user_id = %user.id, factor = factor.as_str(), "login");
                let opened = open_rows(conn, config, &user, origin, previous).await?;
                Proof::Passed(StepPassed { user, opened }, factor)
            }
            None => Proof::Wrong,
        })
    };
    verify_code(pool, session, pending, &keys, check).await
}

impl Pending for PendingLogin {
    const KEY: &'static str = PENDING_KEY;
    fn wrong_codes(&mut self) -> &mut u8 {
        &mut self.wrong_codes
    }
}

/// The login is complete: the account's failures are forgotten and the factor audited. A
/// passkey reserved no attempt, so none is taken back: another login's reservation from the
/// same address, or a real failure, would be.
async fn passed(
    conn: &mut sqlx::PgConnection,
    keys: &Keys,
    actor: &Actor,
    user: &User,
    factor: FactorUsed,
) -> sqlx::Result<()> {
    throttle::proved(conn, keys).await?;
    let details = serde_json::json!({ "fattore": factor.as_str() });
    let event = actor.event(user.company_id, Some(user.id), AuditAction::Login, details);
    audit::append(conn, &event).await?;
    tracing::info!(user_id = %user.id, factor = factor.as_str(), "login");
    Ok(())
}

/// A passkey of the pending login's account answered (checked by the caller): the login
/// is complete unless the account changed meanwhile (`None`: log in again).
pub async fn passed_with_passkey(
    pool: &PgPool,
    session: &Session,
    pending: &PendingLogin,
    client: Option<&str>,
) -> Result<Option<User>, LoginError> {
    abandon(session).await.map_err(anyhow::Error::from)?;
    let keys = Keys::new("", &pending.username, client);
    let mut tx = pool.begin().await?;
    let user = users::find(&mut tx, pending.user_id).await?;
    let user =
        user.filter(|u| u.state == RegistrationState::Active && u.session_epoch == pending.epoch);
    if let Some(user) = &user {
        let actor = Actor::visitor(client.map(str::to_owned));
        passed(&mut tx, &keys, &actor, user, FactorUsed::Passkey).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// Which factor `code` proves: the SMS code of this attempt (only without an app), else the
/// app's code or a recovery code. Text that cannot be a code never reaches SQL.
async fn factor_proved(
    conn: &mut PgConnection,
    pending: &PendingLogin,
    user: &User,
    code: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Option<FactorUsed>> {
    if !could_be_code(code) {
        return Ok(None);
    }
    let sms = pending.sms.as_ref().filter(|_| !pending.strong);
    if sms.is_some_and(|sms| sms.matches(code, now)) {
        return Ok(Some(FactorUsed::Sms));
    }
    factors::check_code(conn, Owner::User(user.id), code, now).await
}

/// SMS codes per account. Only someone who typed the right password can ask, so the limit
/// is looser than activation's (a person logging out and in again is not blocked) while
/// still capping what one stolen password can send.
const SMS_LIMIT: Limit = Limit {
    per_minute: 3,
    per_hour: 10,
};

/// What "Invia il codice via SMS" came to.
#[derive(Debug)]
pub enum SmsOutcome {
    Sent,
    /// Over the limit: the last code still holds.
    TooSoon,
    /// The account has an app (SMS is weaker) or no mobile.
    NotOffered,
}

/// Sends a code to the mobile of the pending login's account; the code replaces the last.
pub async fn send_sms(
    pool: &PgPool,
    session: &Session,
    mut pending: PendingLogin,
    now: OffsetDateTime,
) -> Result<SmsOutcome, LoginError> {
    if pending.strong {
        return Ok(SmsOutcome::NotOffered);
    }
    let mut tx = pool.begin().await?;
    let user = users::find(&mut tx, pending.user_id).await?;
    let Some((user, mobile)) = user.and_then(|u| u.mobile.clone().map(|m| (u, m))) else {
        return Ok(SmsOutcome::NotOffered);
    };
    let key = format!("accesso:sms:{}", user.id);
    if !rate_limits::try_acquire(&mut tx, &key, SMS_LIMIT).await? {
        return Ok(SmsOutcome::TooSoon);
    }
    let (id, code) = (Uuid::new_v4(), secret::new_code());
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
        // The code is checked against `sent_at` (`SmsChallenge`): it dies with it.
        expires_at: Some(now + CODE_LIFETIME),
    };
    outbox::enqueue(&mut tx, &message).await?;
    tx.commit().await?;
    pending.sms = Some(SmsChallenge {
        id,
        code_sha256: secret::hash_code(id, &code).to_vec(),
        sent_at: now,
        masked_mobile: mobile.masked(),
    });
    session
        .insert(PENDING_KEY, pending)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(SmsOutcome::Sent)
}
