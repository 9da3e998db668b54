//! Queries on `pending_contact_changes`: a new own e-mail or mobile waiting to be proven
//! (rules in `crate::credentials::contact_change`). Only hashes of codes and tokens.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Which contact a change is about; stored as `email` / `mobile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    Email,
    Mobile,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Mobile => "mobile",
        }
    }
}

/// How a change was closed (`closed_as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Confirmed,
    Cancelled,
    /// A newer request of the same kind took its place.
    Replaced,
    /// Too many wrong codes.
    Exhausted,
}

impl Closed {
    fn as_str(self) -> &'static str {
        match self {
            Closed::Confirmed => "confermata",
            Closed::Cancelled => "annullata",
            Closed::Replaced => "sostituita",
            Closed::Exhausted => "esaurita",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingChange {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    kind: String,
    pub value: String,
    pub secret_sha256: Vec<u8>,
    pub failed_attempts: i32,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    closed_as: Option<String>,
}

impl PendingChange {
    pub fn kind(&self) -> ContactKind {
        if self.kind == "email" {
            ContactKind::Email
        } else {
            ContactKind::Mobile
        }
    }

    /// Closed because it was confirmed (its link was used).
    pub fn confirmed(&self) -> bool {
        self.closed_as.as_deref() == Some(Closed::Confirmed.as_str())
    }
}

pub struct NewChange<'a> {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub kind: ContactKind,
    pub value: &'a str,
    pub secret_sha256: &'a [u8],
    /// From the portal's clock, like the expiry.
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

const COLUMNS: &str = "id, company_id, user_id, kind, value, secret_sha256, failed_attempts, \
                       created_at, expires_at, closed_at, closed_as";

/// Records a new change; the open change of the same kind, if any, is replaced.
pub async fn insert(conn: &mut PgConnection, change: &NewChange<'_>) -> sqlx::Result<()> {
    close_open(
        conn,
        change.user_id,
        change.kind,
        Closed::Replaced,
        change.created_at,
    )
    .await?;
    sqlx::query(
        "INSERT INTO pending_contact_changes
             (id, company_id, user_id, kind, value, secret_sha256, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(change.id)
    .bind(change.company_id)
    .bind(change.user_id)
    .bind(change.kind.as_str())
    .bind(change.value)
    .bind(change.secret_sha256)
    .bind(change.created_at)
    .bind(change.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user's open changes (expired ones included: the caller decides what they show).
pub async fn open_changes(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> sqlx::Result<Vec<PendingChange>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM pending_contact_changes
         WHERE user_id = $1 AND closed_at IS NULL ORDER BY kind"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// The user's open change of `kind`, locked until the transaction ends.
pub async fn lock_open(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: ContactKind,
) -> sqlx::Result<Option<PendingChange>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM pending_contact_changes
         WHERE user_id = $1 AND kind = $2 AND closed_at IS NULL FOR UPDATE"
    ))
    .bind(user_id)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await
}

/// The change behind a link token's hash, open or not; `lock` takes it FOR UPDATE.
pub async fn by_secret(
    conn: &mut PgConnection,
    secret_sha256: &[u8],
    lock: bool,
) -> sqlx::Result<Option<PendingChange>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM pending_contact_changes WHERE secret_sha256 = $1{lock}"
    ))
    .bind(secret_sha256)
    .fetch_optional(conn)
    .await
}

pub async fn record_failed_attempt(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE pending_contact_changes SET failed_attempts = failed_attempts + 1 WHERE id = $1
         RETURNING failed_attempts",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

pub async fn close(
    conn: &mut PgConnection,
    id: Uuid,
    how: Closed,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE pending_contact_changes SET closed_at = $2, closed_as = $3
         WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(id)
    .bind(at)
    .bind(how.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Closes the user's open change of `kind`; true when there was one.
pub async fn close_open(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: ContactKind,
    how: Closed,
    at: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE pending_contact_changes SET closed_at = $3, closed_as = $4
         WHERE user_id = $1 AND kind = $2 AND closed_at IS NULL",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(at)
    .bind(how.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
