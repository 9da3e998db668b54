//! Queries on `contracts`: the idempotency record of each purchase.

use sqlx::PgConnection;
use uuid::Uuid;

/// What was answered the first time a contract was reported.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractRecord {
    pub company_id: Uuid,
    pub legal_representative_user_id: Uuid,
    pub lines_added: i32,
    pub request_sha256: Vec<u8>,
}

/// Claims a contract id. `false` when another transaction already recorded it; a
/// concurrent insert of the same id waits for that transaction to finish first.
pub async fn claim(
    conn: &mut PgConnection,
    contract_id: &str,
    company_id: Uuid,
    channel: &str,
    request_sha256: &[u8],
    legal_representative_user_id: Uuid,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO contracts (contract_id, company_id, channel, request_sha256,
                                legal_representative_user_id, lines_added)
         VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (contract_id) DO NOTHING",
    )
    .bind(contract_id)
    .bind(company_id)
    .bind(channel)
    .bind(request_sha256)
    .bind(legal_representative_user_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(
    conn: &mut PgConnection,
    contract_id: &str,
) -> sqlx::Result<Option<ContractRecord>> {
    sqlx::query_as(
        "SELECT company_id, legal_representative_user_id, lines_added, request_sha256
         FROM contracts WHERE contract_id = $1",
    )
    .bind(contract_id)
    .fetch_optional(conn)
    .await
}

pub async fn set_lines_added(
    conn: &mut PgConnection,
    contract_id: &str,
    n: i32,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE contracts SET lines_added = $2 WHERE contract_id = $1")
        .bind(contract_id)
        .bind(n)
        .execute(conn)
        .await?;
    Ok(())
}
