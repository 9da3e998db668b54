//! Queries on `pending_imports`: the previews of the CSV import, waiting for confirmation
//! (migration 20261206000010). Every query names the company and the user who uploaded.

use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::user_management::csv_rows::CsvRow;

pub struct NewPending<'a> {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub rows: Json<&'a Vec<&'a CsvRow>>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, sqlx::FromRow)]
pub struct Pending {
    pub rows: Json<Vec<CsvRow>>,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

pub async fn insert(conn: &mut PgConnection, p: &NewPending<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO pending_imports (id, company_id, user_id, rows, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(p.id)
    .bind(p.company_id)
    .bind(p.user_id)
    .bind(p.rows)
    .bind(p.created_at)
    .bind(p.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Previews that expired before `now`, of every company: nobody can confirm them.
pub async fn delete_expired(conn: &mut PgConnection, now: OffsetDateTime) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM pending_imports WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The preview `id` of this user of this company, locked until the transaction ends.
pub async fn lock(
    conn: &mut PgConnection,
    id: Uuid,
    company_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Pending>> {
    sqlx::query_as(
        "SELECT rows, expires_at, used_at FROM pending_imports
         WHERE id = $1 AND company_id = $2 AND user_id = $3 FOR UPDATE",
    )
    .bind(id)
    .bind(company_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

pub async fn mark_used(conn: &mut PgConnection, id: Uuid, at: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE pending_imports SET used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
