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

/// Inserts the company unless its VAT number is known; returns `(id, created)`.
/// Safe under concurrency: two first contracts of one company race on the unique key.
pub async fn insert_or_get(
    conn: &mut PgConnection,
    name: &str,
    vat_number: &str,
    tax_code: Option<&str>,
) -> sqlx::Result<(Uuid, bool)> {
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO companies (id, name, vat_number, tax_code) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vat_number) DO NOTHING RETURNING id",
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
    let id = sqlx::query_scalar("SELECT id FROM companies WHERE vat_number = $1")
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
