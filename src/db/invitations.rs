//! Read model of the username e-mails ("the invitation") of users: the newest one per user
//! for the lists of Gestione Utenze and the support sheet, every one for the user's page.
//! Both read `outbox` by the partial index on (user_id, created_at) of username e-mails
//! (migration 20261205000010): work per user shown, never per company.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::delivery_receipts::ReceiptStatus;
use crate::db::outbox::{Delivery, MessageState};

/// One username e-mail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub recipient: String,
    pub state: MessageState,
    pub receipt_status: Option<ReceiptStatus>,
    pub receipt_at: Option<OffsetDateTime>,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// When the mail server accepted it.
    pub sent_at: Option<OffsetDateTime>,
    /// When its link expires (portal clock); `None` for rows older than issue 13.
    pub expires_at: Option<OffsetDateTime>,
}

impl Invitation {
    pub fn delivery(&self) -> Delivery {
        Delivery::of(self.state, self.receipt_status)
    }
}

/// The columns of [`latest_join`], flattened into a list row (all NULL for a user who was
/// never sent a username e-mail).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct LatestInvitation {
    pub inv_recipient: Option<String>,
    pub inv_state: Option<MessageState>,
    pub inv_receipt_status: Option<ReceiptStatus>,
    pub inv_receipt_at: Option<OffsetDateTime>,
    pub inv_created_at: Option<OffsetDateTime>,
    pub inv_sent_at: Option<OffsetDateTime>,
    pub inv_expires_at: Option<OffsetDateTime>,
}

impl LatestInvitation {
    pub fn get(self) -> Option<Invitation> {
        Some(Invitation {
            recipient: self.inv_recipient?,
            state: self.inv_state?,
            receipt_status: self.inv_receipt_status,
            receipt_at: self.inv_receipt_at,
            created_at: self.inv_created_at?,
            sent_at: self.inv_sent_at,
            expires_at: self.inv_expires_at,
        })
    }
}

/// `LEFT JOIN LATERAL` of the newest username e-mail of the user in column `user_id`
/// (e.g. `r.user_id`), as the columns of [`LatestInvitation`]. The condition is the user
/// alone: with a `company_id` too, the planner may walk the company's whole outbox.
pub fn latest_join(user_id: &str) -> String {
    format!(
        "LEFT JOIN LATERAL (
             SELECT o.recipient AS inv_recipient, o.state AS inv_state,
                    o.receipt_status AS inv_receipt_status, o.receipt_at AS inv_receipt_at,
                    o.created_at AS inv_created_at, o.sent_at AS inv_sent_at,
                    o.expires_at AS inv_expires_at
             FROM outbox o
             WHERE o.user_id = {user_id} AND o.template = 'username'
             ORDER BY o.created_at DESC LIMIT 1
         ) inv ON true"
    )
}

/// Most sends the user's page lists.
pub const HISTORY_LIMIT: i64 = 50;

/// Every username e-mail of the user, newest first (at most [`HISTORY_LIMIT`]).
pub async fn history(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<Vec<Invitation>> {
    sqlx::query_as(
        "SELECT recipient, state, receipt_status, receipt_at, created_at, sent_at, expires_at
         FROM outbox
         WHERE user_id = $1 AND template = 'username'
         ORDER BY created_at DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(HISTORY_LIMIT)
    .fetch_all(conn)
    .await
}
