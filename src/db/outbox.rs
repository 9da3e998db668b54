//! Queries on `outbox`, the transactional queue of every message the portal sends.
//!
//! A use case writes its message with [`enqueue`] inside its own transaction, so the message
//! exists exactly when the change that causes it does. The notification worker claims due
//! messages with [`claim_due`] and records each outcome with [`mark_sent`], [`mark_retry`],
//! [`mark_failed`] (refused for good) or [`mark_expired`] (its link or code died before it
//! could be delivered). Bodies may hold a link or a code, so they are erased once a message
//! is settled; the row itself stays for support.

use std::fmt;
use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::delivery_receipts::ReceiptStatus;
use crate::domain::MessageKind;

/// How a message travels (`message_channel`).
#[derive(sqlx::Type, Debug, Clone, Copy, PartialEq, Eq)]
#[sqlx(type_name = "message_channel", rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

/// Where a message is in its life (`message_state`).
#[derive(sqlx::Type, Debug, Clone, Copy, PartialEq, Eq)]
#[sqlx(type_name = "message_state", rename_all = "lowercase")]
pub enum MessageState {
    Queued,
    Sent,
    Failed,
    /// Not delivered before its link or code expired: a fresh one must be sent.
    Expired,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sent => "sent",
            MessageState::Failed => "failed",
            MessageState::Expired => "expired",
        }
    }

    /// The state in words, as support and administrators read it.
    pub fn label(self) -> &'static str {
        match self {
            MessageState::Queued => "In invio",
            MessageState::Sent => "Inviata",
            MessageState::Failed => "Non consegnata",
            MessageState::Expired => "Non consegnata in tempo: scaduta",
        }
    }

    /// Settled without reaching the recipient: support may send a fresh one.
    pub fn undelivered(self) -> bool {
        matches!(self, MessageState::Failed | MessageState::Expired)
    }
}

/// Where a message is as its reader sees it: the worker's [`MessageState`], unless the
/// gateway or the mail system sent a receipt, whose newest word wins (a receipt never says
/// "sent", so a message with one never reads as just sent again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Queued,
    Sent,
    Delivered,
    /// The address was refused: the legal representative is asked to correct it.
    Bounced,
    Failed,
    Expired,
}

impl Delivery {
    pub fn of(state: MessageState, receipt: Option<ReceiptStatus>) -> Delivery {
        match (receipt, state) {
            (Some(ReceiptStatus::Delivered), _) => Delivery::Delivered,
            (Some(ReceiptStatus::Bounced), _) => Delivery::Bounced,
            (Some(ReceiptStatus::Failed), _) => Delivery::Failed,
            (None, MessageState::Queued) => Delivery::Queued,
            (None, MessageState::Sent) => Delivery::Sent,
            (None, MessageState::Failed) => Delivery::Failed,
            (None, MessageState::Expired) => Delivery::Expired,
        }
    }

    /// The code pages carry in `data-consegna`.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Bounced => "bounced",
            Delivery::Failed => "failed",
            Delivery::Expired => "expired",
        }
    }

    /// The status in words, as support and administrators read it.
    pub fn label(self) -> &'static str {
        match self {
            Delivery::Queued => MessageState::Queued.label(),
            Delivery::Sent => MessageState::Sent.label(),
            Delivery::Delivered => "Consegnata",
            Delivery::Bounced => "Non consegnata: indirizzo rifiutato",
            Delivery::Failed => MessageState::Failed.label(),
            Delivery::Expired => MessageState::Expired.label(),
        }
    }

    /// Refused by the recipient's side for good: for an e-mail, the address needs a look.
    pub fn refused(self) -> bool {
        matches!(self, Delivery::Bounced | Delivery::Failed)
    }
}

/// A message to write to the outbox.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub channel: Channel,
    /// E-mail address or E.164 number.
    pub recipient: &'a str,
    /// What the message is: what support sees.
    pub template: MessageKind,
    pub subject: Option<&'a str>,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    /// When the message stops making sense: the expiry (portal clock) of the link or code
    /// it carries; `None` for a notice, worth [`NOTICE_HORIZON`] in the queue. Undelivered
    /// by then, it becomes `expired`.
    pub expires_at: Option<OffsetDateTime>,
}

/// How long a message without a link or code is worth trying (the `48 hours` of
/// [`claim_due`]).
pub const NOTICE_HORIZON: time::Duration = time::Duration::hours(48);

/// A message claimed by the worker for one delivery attempt.
#[derive(sqlx::FromRow, Clone)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub channel: Channel,
    pub recipient: String,
    pub template: MessageKind,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    /// Attempts including the current one (claiming counts as an attempt).
    pub attempts: i32,
    pub expires_at: Option<OffsetDateTime>,
    /// Past its horizon when claimed: it is marked expired, not sent.
    pub expired: bool,
    /// The error of the previous attempt, kept when the message expires.
    pub last_error: Option<String>,
}

// Hand-written so that a stray `{:?}` never prints a link or a code into the logs.
impl fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("template", &self.template)
            .field("attempts", &self.attempts)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The delivery state of a message, as shown to support and to administrators.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct DeliveryStatus {
    pub state: MessageState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// Writes a message to the outbox and wakes the workers.
///
/// Run it inside the transaction of the change that causes the message: PostgreSQL delivers
/// the notification only at commit, so a worker never wakes up for a row it cannot see yet.
pub async fn enqueue(conn: &mut PgConnection, msg: &NewMessage<'_>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    // One round trip inside the caller's transaction: a data-modifying CTE always runs.
    sqlx::query(
        "WITH inserted AS (
             INSERT INTO outbox
                 (id, company_id, user_id, channel, recipient, template, subject, body_text, body_html,
                  expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             RETURNING id
         )
         SELECT pg_notify('outbox', '') FROM inserted",
    )
    .bind(id)
    .bind(msg.company_id)
    .bind(msg.user_id)
    .bind(msg.channel)
    .bind(msg.recipient)
    .bind(msg.template)
    .bind(msg.subject)
    .bind(msg.body_text)
    .bind(msg.body_html)
    .bind(msg.expires_at)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Claims up to `batch` due messages on `channel` for one delivery attempt each, codes first
/// (a code is useless minutes later; a notice can wait), then the longest due. `now` is the
/// portal's clock, which links and codes expire by; a notice's horizon counts in database
/// time from when it was queued.
///
/// Claiming counts the attempt and pushes `next_attempt_at` forward by `lease`: other
/// instances skip the rows (`SKIP LOCKED`, then the new `next_attempt_at`), and a worker that
/// dies mid-delivery leaves the message to be picked up again once the lease runs out.
pub async fn claim_due(
    pool: &PgPool,
    channel: Channel,
    batch: i64,
    lease: Duration,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<OutboxMessage>> {
    sqlx::query_as(
        "UPDATE outbox
         SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         WHERE id IN (
             SELECT id FROM outbox
             WHERE state = 'queued' AND next_attempt_at <= now() AND channel = $3
             ORDER BY template = $4 DESC, next_attempt_at
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         )
         RETURNING id, company_id, user_id, channel, recipient, template, subject,
                   body_text, body_html, attempts, expires_at, last_error,
                   CASE WHEN expires_at IS NULL THEN created_at + interval '48 hours' <= now()
                        ELSE expires_at <= $5 END AS expired",
    )
    .bind(batch)
    .bind(lease.as_secs_f64())
    .bind(channel)
    .bind(MessageKind::Code)
    .bind(now)
    .fetch_all(pool)
    .await
}

// Every `mark_*` touches only a message still queued: if a lease ran out and another
// instance settled the message meanwhile, its outcome stands.

/// Records a successful delivery and erases the body.
pub async fn mark_sent(pool: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox
         SET state = 'sent', sent_at = now(), last_error = NULL, body_text = NULL, body_html = NULL
         WHERE id = $1 AND state = 'queued'",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt that will be retried after `delay`.
pub async fn mark_retry(pool: &PgPool, id: Uuid, delay: Duration, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3
         WHERE id = $1 AND state = 'queued'",
    )
    .bind(id)
    .bind(delay.as_secs_f64())
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records that the message will never be delivered, and erases the body.
pub async fn mark_failed(pool: &PgPool, id: Uuid, error: &str) -> sqlx::Result<()> {
    settle_undelivered(pool, id, "failed", error).await
}

/// Records that the message was not delivered before its link or code expired, and erases
/// the body: whatever it carried no longer works.
pub async fn mark_expired(pool: &PgPool, id: Uuid, error: &str) -> sqlx::Result<()> {
    settle_undelivered(pool, id, "expired", error).await
}

/// A queued message ends in `state` (`failed` or `expired`) with its last error; the body
/// goes.
async fn settle_undelivered(pool: &PgPool, id: Uuid, state: &str, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox
         SET state = $3::message_state, last_error = $2, body_text = NULL, body_html = NULL
         WHERE id = $1 AND state = 'queued'",
    )
    .bind(id)
    .bind(error)
    .bind(state)
    .execute(pool)
    .await?;
    Ok(())
}

/// A settled message support may ask a fresh copy of.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct Undelivered {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub template: MessageKind,
    pub state: MessageState,
}

/// Locks a failed or expired message that nobody re-queued yet (`None` otherwise), for the
/// transaction that sends its fresh copy.
pub async fn lock_undelivered(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<Undelivered>> {
    sqlx::query_as(
        "SELECT id, company_id, user_id, template, state FROM outbox
         WHERE id = $1 AND state IN ('failed', 'expired') AND requeued_at IS NULL
         FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Records that a fresh copy of the message was queued: the button goes away.
pub async fn mark_requeued(
    conn: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET requeued_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a receipt needs of its message, locked so that receipts of one message are
/// recorded one at a time.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ReceiptTarget {
    pub id: Uuid,
    pub company_id: Uuid,
    pub channel: Channel,
    pub state: MessageState,
    pub receipt_status: Option<ReceiptStatus>,
}

pub async fn lock_for_receipt(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<ReceiptTarget>> {
    sqlx::query_as(
        "SELECT id, company_id, channel, state, receipt_status FROM outbox WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Copies the newest receipt onto its message.
pub async fn set_receipt(
    conn: &mut PgConnection,
    id: Uuid,
    status: ReceiptStatus,
    detail: Option<&str>,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET receipt_status = $2, receipt_detail = $3, receipt_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(detail)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The company of a message, if it exists (to send support back to the right sheet).
pub async fn company_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT company_id FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The newest message of kind `template` written for a user, if any
/// (e.g. "last delivery status of the username e-mail").
pub async fn latest_for_user(
    pool: &PgPool,
    user_id: Uuid,
    template: MessageKind,
) -> sqlx::Result<Option<DeliveryStatus>> {
    sqlx::query_as(
        "SELECT state, attempts, last_error, created_at, sent_at
         FROM outbox
         WHERE user_id = $1 AND template = $2
         ORDER BY created_at DESC
         LIMIT 1",
    )
    .bind(user_id)
    .bind(template)
    .fetch_optional(pool)
    .await
}

/// How many messages are queued, and the age in seconds of the oldest one (for metrics).
/// Alert on the age: with the transports up it stays within seconds.
pub async fn queue_stats(pool: &PgPool) -> sqlx::Result<(i64, Option<f64>)> {
    sqlx::query_as(
        "SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at))::float8
         FROM outbox
         WHERE state = 'queued'",
    )
    .fetch_one(pool)
    .await
}
