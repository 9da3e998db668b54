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

/// One event of the company's trail, with the names of who acted and on whom (joined by
/// the query, so a page costs one statement).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrailRow {
    pub action: AuditAction,
    pub details: serde_json::Value,
    /// `sistema`, `visitatore`, a username or `assistenza:<staff>`.
    pub actor_label: String,
    /// A user of the company acted (names below).
    pub by_user: bool,
    /// A Servizio Clienti 191 operator acted.
    pub by_staff: bool,
    /// The acting user is the subject.
    pub on_self: bool,
    pub actor_first_name: Option<String>,
    pub actor_last_name: Option<String>,
    pub actor_username: Option<String>,
    pub subject_first_name: Option<String>,
    pub subject_last_name: Option<String>,
    pub subject_username: Option<String>,
    pub subject_profile: Option<crate::domain::Profile>,
    pub client_addr: Option<String>,
    pub created_at: time::OffsetDateTime,
}

/// Which events of a company to read; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    /// Events where one of these users acted or was acted on.
    pub people: Option<Vec<Uuid>>,
    pub actions: Option<Vec<AuditAction>>,
    /// From this moment (included)…
    pub from: Option<time::OffsetDateTime>,
    /// …to this one (excluded).
    pub until: Option<time::OffsetDateTime>,
}

/// Events of the company matching `filter`, newest first, `limit` of them after `offset`.
/// The events are picked on `audit_events` alone, in the order of its index (company_id,
/// created_at DESC, id DESC), or of the per-person indexes (migration 20261205000020); only
/// the rows picked are joined to the names. Each filter adds its own condition to the text,
/// so the planner sees the indexed columns themselves, not `$n IS NULL OR …`.
pub async fn trail(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &TrailFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<TrailRow>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "SELECT a.action, a.details, a.actor_label,
                a.actor_user_id IS NOT NULL AS by_user, a.staff_user_id IS NOT NULL AS by_staff,
                coalesce(a.actor_user_id = a.subject_user_id, false) AS on_self,
                au.first_name AS actor_first_name, au.last_name AS actor_last_name,
                au.username AS actor_username,
                su.first_name AS subject_first_name, su.last_name AS subject_last_name,
                su.username AS subject_username, su.profile AS subject_profile,
                a.client_addr, a.created_at
         FROM (SELECT * FROM audit_events WHERE company_id = ",
    );
    q.push_bind(company_id);
    if let Some(people) = &filter.people {
        q.push(" AND (subject_user_id = ANY(")
            .push_bind(people.clone())
            .push(") OR actor_user_id = ANY(")
            .push_bind(people.clone())
            .push("))");
    }
    if let Some(actions) = &filter.actions {
        q.push(" AND action = ANY(")
            .push_bind(actions.clone())
            .push(")");
    }
    if let Some(from) = filter.from {
        q.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(until) = filter.until {
        q.push(" AND created_at < ").push_bind(until);
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset.max(0))
        .push(
            ") a
         LEFT JOIN users au ON au.id = a.actor_user_id AND au.company_id = a.company_id
         LEFT JOIN users su ON su.id = a.subject_user_id AND su.company_id = a.company_id
         ORDER BY a.created_at DESC, a.id DESC",
        );
    q.build_query_as().fetch_all(conn).await
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
