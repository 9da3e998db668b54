//! Queries on `dev_mailbox`: the messages a transport in dev mode "sent", kept in the
//! database so that `/dev/posta` can show them on any instance.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::outbox::Channel;

/// A message stored in the dev mailbox.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct DevMail {
    pub id: Uuid,
    pub channel: Channel,
    pub recipient: String,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    pub created_at: OffsetDateTime,
}

/// Stores one delivered message.
pub async fn store(
    pool: &PgPool,
    channel: Channel,
    recipient: &str,
    subject: Option<&str>,
    body_text: &str,
    body_html: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dev_mailbox (id, channel, recipient, subject, body_text, body_html)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::new_v4())
    .bind(channel)
    .bind(recipient)
    .bind(subject)
    .bind(body_text)
    .bind(body_html)
    .execute(pool)
    .await?;
    Ok(())
}

/// The `limit` newest messages, newest first.
pub async fn latest(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<DevMail>> {
    sqlx::query_as(
        "SELECT id, channel, recipient, subject, body_text, body_html, created_at
         FROM dev_mailbox
         ORDER BY created_at DESC, id
         LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
