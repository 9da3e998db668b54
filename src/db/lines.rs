//! Queries on `mobile_lines`.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{EmailAddress, PhoneNumber, Profile};

/// A line as reported in a contract, with its optional referent.
pub struct NewLine<'a> {
    pub number: &'a PhoneNumber,
    pub referent_first_name: Option<&'a str>,
    pub referent_last_name: Option<&'a str>,
    pub referent_email: Option<&'a EmailAddress>,
    pub referent_profile: Option<Profile>,
}

/// Inserts the lines in one statement, skipping numbers already on file; returns the
/// numbers actually inserted.
pub async fn insert_many(
    conn: &mut PgConnection,
    company_id: Uuid,
    contract_id: &str,
    lines: &[NewLine<'_>],
) -> sqlx::Result<Vec<String>> {
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::new_v4()).collect();
    let numbers: Vec<&str> = lines.iter().map(|l| l.number.as_str()).collect();
    let first: Vec<Option<&str>> = lines.iter().map(|l| l.referent_first_name).collect();
    let last: Vec<Option<&str>> = lines.iter().map(|l| l.referent_last_name).collect();
    let email: Vec<Option<&str>> = lines
        .iter()
        .map(|l| l.referent_email.map(EmailAddress::as_str))
        .collect();
    let profile: Vec<Option<Profile>> = lines.iter().map(|l| l.referent_profile).collect();
    sqlx::query_scalar(
        "INSERT INTO mobile_lines (id, company_id, contract_id, number, referent_first_name,
                                   referent_last_name, referent_email, referent_profile)
         SELECT id, $2, $3, number, rf, rl, re, rp
         FROM UNNEST($1::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::profile[])
              AS t(id, number, rf, rl, re, rp)
         ON CONFLICT (number) DO NOTHING
         RETURNING number",
    )
    .bind(&ids)
    .bind(company_id)
    .bind(contract_id)
    .bind(&numbers)
    .bind(&first)
    .bind(&last)
    .bind(&email)
    .bind(&profile)
    .fetch_all(conn)
    .await
}

/// Of the given numbers, those that belong to a company other than `company_id`.
pub async fn owned_elsewhere(
    conn: &mut PgConnection,
    company_id: Uuid,
    numbers: &[&str],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT number FROM mobile_lines WHERE number = ANY($1) AND company_id <> $2",
    )
    .bind(numbers)
    .bind(company_id)
    .fetch_all(conn)
    .await
}

/// Ties a line of the company to a user (the employee's SIM).
pub async fn assign_user(
    conn: &mut PgConnection,
    company_id: Uuid,
    number: &PhoneNumber,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE mobile_lines SET user_id = $3 WHERE company_id = $1 AND number = $2")
        .bind(company_id)
        .bind(number)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count_for_company(conn: &mut PgConnection, company_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM mobile_lines WHERE company_id = $1")
        .bind(company_id)
        .fetch_one(conn)
        .await
}

/// A line as the company's line list shows it (Profilo e dati azienda → Linee).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedLine {
    pub number: PhoneNumber,
    pub contract_id: String,
    pub created_at: time::OffsetDateTime,
    pub assigned: bool,
}

/// One page of the company's lines by number (the `(company_id, number)` index).
pub async fn page_for_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<ListedLine>> {
    sqlx::query_as(
        "SELECT number, contract_id, created_at, user_id IS NOT NULL AS assigned
           FROM mobile_lines WHERE company_id = $1
          ORDER BY number LIMIT $2 OFFSET $3",
    )
    .bind(company_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await
}

/// The line tied to a user, if any.
pub async fn number_of_user(
    conn: &mut PgConnection,
    company_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT number FROM mobile_lines WHERE company_id = $1 AND user_id = $2 LIMIT 1",
    )
    .bind(company_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Line {
    pub id: Uuid,
    pub company_id: Uuid,
    pub number: PhoneNumber,
    pub user_id: Option<Uuid>,
    pub referent_first_name: Option<String>,
    pub referent_last_name: Option<String>,
    pub referent_email: Option<EmailAddress>,
    pub referent_profile: Option<Profile>,
}

const LINE_COLUMNS: &str = "id, company_id, number, user_id, referent_first_name, referent_last_name, \
                            referent_email, referent_profile";

/// A line of the company by id, read only; None for another company's line.
pub async fn find_in_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Line>> {
    sqlx::query_as(&format!(
        "SELECT {LINE_COLUMNS} FROM mobile_lines WHERE company_id = $1 AND id = $2"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A line of the company by id, locked until the transaction ends; None for another company's line.
pub async fn lock_in_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Line>> {
    sqlx::query_as(&format!(
        "SELECT {LINE_COLUMNS} FROM mobile_lines WHERE company_id = $1 AND id = $2 FOR UPDATE"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A line by number (any company), locked.
pub async fn find_by_number(conn: &mut PgConnection, number: &str) -> sqlx::Result<Option<Line>> {
    sqlx::query_as(&format!(
        "SELECT {LINE_COLUMNS} FROM mobile_lines WHERE number = $1 FOR UPDATE"
    ))
    .bind(number)
    .fetch_optional(conn)
    .await
}

/// Unties a user from whatever line of the company they had.
pub async fn unassign_user(
    conn: &mut PgConnection,
    company_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE mobile_lines SET user_id = NULL WHERE company_id = $1 AND user_id = $2")
        .bind(company_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
