//! Queries on `delivery_receipts`: what the SMS gateway and the mail system reported about
//! each message after it left (CONTRACT.md §3b). The rules (what repeats, what wins) live in
//! `crate::notify::receipts`.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a receipt says (`delivery_receipt_status`).
#[derive(sqlx::Type, Debug, Clone, Copy, PartialEq, Eq)]
#[sqlx(type_name = "delivery_receipt_status", rename_all = "lowercase")]
pub enum ReceiptStatus {
    Delivered,
    /// The recipient's server refused the address (a bounce).
    Bounced,
    Failed,
}

impl ReceiptStatus {
    pub const ALL: [ReceiptStatus; 3] = [
        ReceiptStatus::Delivered,
        ReceiptStatus::Bounced,
        ReceiptStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Delivered => "delivered",
            ReceiptStatus::Bounced => "bounced",
            ReceiptStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<ReceiptStatus> {
        ReceiptStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Whether the message already has a receipt with this status and detail.
pub async fn already_recorded(
    conn: &mut PgConnection,
    message_id: Uuid,
    status: ReceiptStatus,
    detail: Option<&str>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM delivery_receipts
                        WHERE message_id = $1 AND status = $2 AND detail IS NOT DISTINCT FROM $3)",
    )
    .bind(message_id)
    .bind(status)
    .bind(detail)
    .fetch_one(conn)
    .await
}

/// Appends a receipt; returns when it was received.
pub async fn insert(
    conn: &mut PgConnection,
    message_id: Uuid,
    company_id: Uuid,
    status: ReceiptStatus,
    detail: Option<&str>,
) -> sqlx::Result<OffsetDateTime> {
    sqlx::query_scalar(
        "INSERT INTO delivery_receipts (message_id, company_id, status, detail)
         VALUES ($1, $2, $3, $4) RETURNING received_at",
    )
    .bind(message_id)
    .bind(company_id)
    .bind(status)
    .bind(detail)
    .fetch_one(conn)
    .await
}
