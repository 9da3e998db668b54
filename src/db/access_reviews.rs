//! Queries of the access review (`access_reviews`, CONTRACT.md §4c): the users as the
//! review lists them, the last review, and the reminders the worker queues.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{PhoneNumber, Profile, RegistrationState};

/// One user as the review shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub profile: Profile,
    pub state: RegistrationState,
    pub line: Option<PhoneNumber>,
    pub activated_at: Option<OffsetDateTime>,
    pub last_access: Option<OffsetDateTime>,
}

/// The company's users (at most `limit`), the legal representative first, then by username.
pub async fn users(
    conn: &mut PgConnection,
    company_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<ReviewRow>> {
    // `action = 'accesso'` implies the predicate of the partial index
    // `audit_events_accesses` (subject_user_id, id DESC): one index probe per user.
    sqlx::query_as(
        "SELECT u.id, u.username, u.first_name, u.last_name, u.profile, u.state, l.number AS line,
                u.activated_at,
                (SELECT a.created_at FROM audit_events a
                 WHERE a.subject_user_id = u.id AND a.action = 'accesso'
                 ORDER BY a.id DESC LIMIT 1) AS last_access
         FROM users u
         LEFT JOIN mobile_lines l ON l.company_id = u.company_id AND l.user_id = u.id
         WHERE u.company_id = $1
         ORDER BY u.profile = 'rappresentante_legale' DESC, lower(u.username)
         LIMIT $2",
    )
    .bind(company_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// When the last review was done, and by whom.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LastReview {
    pub reviewed_at: OffsetDateTime,
    pub reviewer_label: String,
}

pub async fn last_review(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> sqlx::Result<Option<LastReview>> {
    sqlx::query_as(
        "SELECT reviewed_at, reviewer_label FROM access_reviews
         WHERE company_id = $1 AND reviewed_at IS NOT NULL",
    )
    .bind(company_id)
    .fetch_optional(conn)
    .await
}

pub async fn record_review(
    conn: &mut PgConnection,
    company_id: Uuid,
    reviewer_user_id: Uuid,
    reviewer_label: &str,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_reviews (company_id, reviewed_at, reviewer_user_id, reviewer_label)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (company_id) DO UPDATE SET reviewed_at = excluded.reviewed_at,
             reviewer_user_id = excluded.reviewer_user_id, reviewer_label = excluded.reviewer_label",
    )
    .bind(company_id)
    .bind(at)
    .bind(reviewer_user_id)
    .bind(reviewer_label)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `limit` open companies whose last review, last reminder and creation are all
/// older than `due_before`, marking them reminded at `now`; returns them. Two workers never
/// claim the same company twice: the upsert re-checks the row it conflicts with.
pub async fn claim_due_reminders(
    conn: &mut PgConnection,
    due_before: OffsetDateTime,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO access_reviews AS r (company_id, reminded_at)
         SELECT c.id, $2 FROM companies c LEFT JOIN access_reviews r ON r.company_id = c.id
         WHERE c.closed_at IS NULL
           AND greatest(c.created_at, r.reminded_at, r.reviewed_at) <= $1
         LIMIT $3
         ON CONFLICT (company_id) DO UPDATE SET reminded_at = excluded.reminded_at
         WHERE greatest(r.reminded_at, r.reviewed_at) IS NULL
            OR greatest(r.reminded_at, r.reviewed_at) <= $1
         RETURNING company_id",
    )
    .bind(due_before)
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}
