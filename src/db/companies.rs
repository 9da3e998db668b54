//! Queries on `companies`.

use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Company {
    pub id: Uuid,
    pub name: String,
    pub vat_number: String,
    pub tax_code: Option<String>,
}

/// Inserts the company unless an open company has its VAT number; returns `(id, created)`.
/// Safe under concurrency: two first contracts of one company race on the unique key. A
/// closed company does not count: a first contract after a closure opens a new one.
pub async fn insert_or_get(
    conn: &mut PgConnection,
    name: &str,
    vat_number: &str,
    tax_code: Option<&str>,
) -> sqlx::Result<(Uuid, bool)> {
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO companies (id, name, vat_number, tax_code) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vat_number) WHERE closed_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(vat_number)
    .bind(tax_code)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id =
        sqlx::query_scalar("SELECT id FROM companies WHERE vat_number = $1 AND closed_at IS NULL")
            .bind(vat_number)
            .fetch_one(&mut *conn)
            .await?;
    Ok((id, false))
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Company>> {
    sqlx::query_as("SELECT id, name, vat_number, tax_code FROM companies WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The company's name, as e-mails name it ("" when the company is gone: erased data).
pub async fn name_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM companies WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(name.unwrap_or_default())
}

/// The open company with this VAT number, locked until the transaction ends: the events of
/// one company (handovers, closure) are serialised on it.
pub async fn lock_open_by_vat(
    conn: &mut PgConnection,
    vat_number: &str,
) -> sqlx::Result<Option<Company>> {
    sqlx::query_as(
        "SELECT id, name, vat_number, tax_code FROM companies
         WHERE vat_number = $1 AND closed_at IS NULL FOR UPDATE",
    )
    .bind(vat_number)
    .fetch_optional(conn)
    .await
}
