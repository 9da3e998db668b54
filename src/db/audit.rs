//! Appends to the audit trail (the table refuses updates and deletes).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::AuditAction;

/// One event: who did what to whom, from where.
pub struct AuditEvent<'a> {
    pub company_id: Uuid,
    pub actor_user_id: Option<Uuid>,
    /// Set when Servizio Clienti staff acted.
    pub staff_user_id: Option<Uuid>,
    /// `sistema`, the acting username, or `assistenza:<staff>`.
    pub actor_label: &'a str,
    pub subject_user_id: Option<Uuid>,
    pub action: AuditAction,
    pub details: serde_json::Value,
    pub client_addr: Option<&'a str>,
}

pub async fn append(conn: &mut PgConnection, event: &AuditEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (company_id, actor_user_id, actor_label, subject_user_id,
                                   action, details, client_addr, staff_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.company_id)
    .bind(event.actor_user_id)
    .bind(event.actor_label)
    .bind(event.subject_user_id)
    .bind(event.action)
    .bind(&event.details)
    .bind(event.client_addr)
    .bind(event.staff_user_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub actor_label: String,
    pub action: AuditAction,
    pub created_at: time::OffsetDateTime,
}

/// Most recent events of one user, newest first.
pub async fn recent_for_user(
    conn: &mut PgConnection,
    company_id: Uuid,
    user_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT actor_label, action, created_at FROM audit_events
         WHERE company_id = $1 AND subject_user_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(company_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One row of the company's audit trail page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyAuditRow {
    pub actor_label: String,
    pub subject_username: Option<String>,
    pub action: AuditAction,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
    pub created_at: time::OffsetDateTime,
}

/// A page of the company's audit trail, newest first.
pub async fn company_page(
    conn: &mut PgConnection,
    company_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<CompanyAuditRow>> {
    sqlx::query_as(
        "SELECT a.actor_label, u.username AS subject_username, a.action, a.details, a.client_addr, a.created_at
         FROM audit_events a LEFT JOIN users u ON u.id = a.subject_user_id AND u.company_id = $1
         WHERE a.company_id = $1
         ORDER BY a.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(company_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await
}

/// One login attempt of a user, for "Ultimi accessi".
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    pub action: AuditAction,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
    pub created_at: time::OffsetDateTime,
}

/// The user's last `limit` logins and failed attempts (wrong password, wrong second
/// factor), newest first.
pub async fn accesses_of(
    conn: &mut PgConnection,
    company_id: Uuid,
    user_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<AccessRow>> {
    // Literal names, as in the partial index `audit_events_accesses` (migration
    // 20261202000003), so the planner can use it.
    let (ok, failed, wrong) = (
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::SecondFactorWrong,
    );
    sqlx::query_as(&format!(
        "SELECT action, details, client_addr, created_at FROM audit_events
         WHERE subject_user_id = $2 AND company_id = $1
           AND action IN ('{ok}', '{failed}', '{wrong}')
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(company_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
