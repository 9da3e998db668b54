//! Queries on `credential_tokens` (emailed links) and `verification_codes`.
//! Only hashes are stored; the rules about them live in `crate::credentials`.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "credential_purpose", rename_all = "lowercase")]
pub enum Purpose {
    Activation,
    Recovery,
    /// After the factors were reset: link + code, then a login only to enrol a new factor.
    Reenrolment,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub purpose: Purpose,
    pub expires_at: OffsetDateTime,
    pub code_verified_at: Option<OffsetDateTime>,
    pub used_at: Option<OffsetDateTime>,
    pub superseded_at: Option<OffsetDateTime>,
}

pub struct NewToken<'a> {
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub purpose: Purpose,
    pub token_sha256: &'a [u8],
    pub expires_at: OffsetDateTime,
}

pub async fn insert_token(conn: &mut PgConnection, token: &NewToken<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO credential_tokens (id, company_id, user_id, purpose, token_sha256, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(token.company_id)
    .bind(token.user_id)
    .bind(token.purpose)
    .bind(token.token_sha256)
    .bind(token.expires_at)
    .fetch_one(conn)
    .await
}

/// Kills every live link of the user: a newer email makes older links dead.
pub async fn supersede_tokens(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credential_tokens SET superseded_at = now()
         WHERE user_id = $1 AND used_at IS NULL AND superseded_at IS NULL",
    )
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Kills every live link of the user but `except` (the one being used).
pub async fn supersede_other_tokens(
    conn: &mut PgConnection,
    user_id: Uuid,
    except: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credential_tokens SET superseded_at = now()
         WHERE user_id = $1 AND id <> $2 AND used_at IS NULL AND superseded_at IS NULL",
    )
    .bind(user_id)
    .bind(except)
    .execute(conn)
    .await?;
    Ok(())
}

const TOKEN_COLUMNS: &str =
    "id, company_id, user_id, purpose, expires_at, code_verified_at, used_at, superseded_at";

pub async fn find_token(
    conn: &mut PgConnection,
    token_sha256: &[u8],
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM credential_tokens WHERE token_sha256 = $1"
    ))
    .bind(token_sha256)
    .fetch_optional(conn)
    .await
}

/// Same as [`find_token`], locking the row so concurrent steps of one link serialise.
pub async fn find_token_for_update(
    conn: &mut PgConnection,
    token_sha256: &[u8],
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM credential_tokens WHERE token_sha256 = $1 FOR UPDATE"
    ))
    .bind(token_sha256)
    .fetch_optional(conn)
    .await
}

/// `at` comes from the portal's clock: expiry checks compare with it.
pub async fn mark_code_verified(
    conn: &mut PgConnection,
    token_id: Uuid,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE credential_tokens SET code_verified_at = $2 WHERE id = $1")
        .bind(token_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// `at` comes from the portal's clock: expiry checks compare with it.
pub async fn mark_token_used(
    conn: &mut PgConnection,
    token_id: Uuid,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE credential_tokens SET used_at = $2 WHERE id = $1")
        .bind(token_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: Uuid,
    pub code_sha256: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub failed_attempts: i32,
}

pub struct NewCode<'a> {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub token_id: Uuid,
    pub code_sha256: &'a [u8],
    /// From the portal's clock, like the expiry: cooldowns compare with it.
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Stores a new code for a link, superseding the link's previous codes.
pub async fn replace_code(conn: &mut PgConnection, code: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE verification_codes SET superseded_at = now()
         WHERE token_id = $1 AND used_at IS NULL AND superseded_at IS NULL",
    )
    .bind(code.token_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO verification_codes
             (id, company_id, user_id, token_id, code_sha256, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(code.id)
    .bind(code.company_id)
    .bind(code.user_id)
    .bind(code.token_id)
    .bind(code.code_sha256)
    .bind(code.created_at)
    .bind(code.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The link's current code (not used, not superseded), whatever its expiry or attempts.
pub async fn current_code(
    conn: &mut PgConnection,
    token_id: Uuid,
) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(
        "SELECT id, code_sha256, created_at, expires_at, failed_attempts FROM verification_codes
         WHERE token_id = $1 AND used_at IS NULL AND superseded_at IS NULL
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(token_id)
    .fetch_optional(conn)
    .await
}

pub async fn record_failed_attempt(conn: &mut PgConnection, code_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE verification_codes SET failed_attempts = failed_attempts + 1 WHERE id = $1
         RETURNING failed_attempts",
    )
    .bind(code_id)
    .fetch_one(conn)
    .await
}

/// `at` comes from the portal's clock: expiry checks compare with it.
pub async fn mark_code_used(
    conn: &mut PgConnection,
    code_id: Uuid,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_codes SET used_at = $2 WHERE id = $1")
        .bind(code_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many codes the user was sent since `since`, and when the latest was sent.
pub async fn codes_sent_since(
    conn: &mut PgConnection,
    user_id: Uuid,
    since: OffsetDateTime,
) -> sqlx::Result<(i64, Option<OffsetDateTime>)> {
    sqlx::query_as(
        "SELECT count(*), max(created_at) FROM verification_codes
         WHERE user_id = $1 AND created_at >= $2",
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(conn)
    .await
}

/// Codes sent to the company's users since `since` (for the daily cap per company).
pub async fn company_codes_since(
    conn: &mut PgConnection,
    company_id: Uuid,
    since: OffsetDateTime,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM verification_codes WHERE company_id = $1 AND created_at >= $2",
    )
    .bind(company_id)
    .bind(since)
    .fetch_one(conn)
    .await
}
