//! Queries on `authenticator_apps` and `recovery_codes`: the second factors of a customer
//! user or of a Servizio Clienti operator ([`Owner`]).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Whose factor: the owner column is chosen here, from a fixed pair, never from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User(Uuid),
    Staff(Uuid),
}

impl Owner {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Owner::User(_) => "user_id",
            Owner::Staff(_) => "staff_id",
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            Owner::User(id) | Owner::Staff(id) => id,
        }
    }
}

/// The enrolled app of `owner`: its id, secret and last accepted step.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct App {
    pub id: Uuid,
    pub secret: Vec<u8>,
    pub last_step: Option<i64>,
    pub created_at: OffsetDateTime,
}

pub async fn app(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<Option<App>> {
    let column = owner.column();
    sqlx::query_as(&format!(
        "SELECT id, secret, last_step, created_at FROM authenticator_apps WHERE {column} = $1"
    ))
    .bind(owner.id())
    .fetch_optional(conn)
    .await
}

pub async fn has_app(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<bool> {
    let column = owner.column();
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM authenticator_apps WHERE {column} = $1)"
    ))
    .bind(owner.id())
    .fetch_one(conn)
    .await
}

/// Whether `owner` has an app or a passkey.
pub async fn has_strong_factor(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<bool> {
    let column = owner.column();
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM authenticator_apps WHERE {column} = $1)
             OR EXISTS (SELECT 1 FROM passkeys WHERE {column} = $1)"
    ))
    .bind(owner.id())
    .fetch_one(conn)
    .await
}

/// Records the app; the step of the code that confirmed it counts as used.
pub async fn insert_app(
    conn: &mut PgConnection,
    owner: Owner,
    secret: &[u8],
    confirmed_step: i64,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let column = owner.column();
    sqlx::query(&format!(
        "INSERT INTO authenticator_apps (id, {column}, secret, last_step, created_at)
         VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(Uuid::new_v4())
    .bind(owner.id())
    .bind(secret)
    .bind(confirmed_step)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the app's last step forward to `step`; false when `step` is not newer (a code
/// replayed, or accepted concurrently by another request).
pub async fn use_step(conn: &mut PgConnection, app_id: Uuid, step: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE authenticator_apps SET last_step = $2
         WHERE id = $1 AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(app_id)
    .bind(step)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_app(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<bool> {
    let column = owner.column();
    let done = sqlx::query(&format!(
        "DELETE FROM authenticator_apps WHERE {column} = $1"
    ))
    .bind(owner.id())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Replaces every recovery code of `owner` with these hashes.
pub async fn replace_recovery_codes(
    conn: &mut PgConnection,
    owner: Owner,
    hashes: &[[u8; 32]],
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    delete_recovery_codes(conn, owner).await?;
    let column = owner.column();
    let ids: Vec<Uuid> = hashes.iter().map(|_| Uuid::new_v4()).collect();
    let hashes: Vec<&[u8]> = hashes.iter().map(<[u8; 32]>::as_slice).collect();
    sqlx::query(&format!(
        "INSERT INTO recovery_codes (id, {column}, code_sha256, created_at)
         SELECT id, $2, code, $4 FROM UNNEST($1::uuid[], $3::bytea[]) AS t(id, code)"
    ))
    .bind(&ids)
    .bind(owner.id())
    .bind(&hashes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_recovery_codes(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<()> {
    let column = owner.column();
    sqlx::query(&format!("DELETE FROM recovery_codes WHERE {column} = $1"))
        .bind(owner.id())
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the unused code with this hash as used; false when there is none.
pub async fn use_recovery_code(
    conn: &mut PgConnection,
    owner: Owner,
    hash: &[u8; 32],
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let column = owner.column();
    let done = sqlx::query(&format!(
        "UPDATE recovery_codes SET used_at = $3
         WHERE {column} = $1 AND code_sha256 = $2 AND used_at IS NULL"
    ))
    .bind(owner.id())
    .bind(hash.as_slice())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn recovery_codes_left(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<i64> {
    let column = owner.column();
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM recovery_codes WHERE {column} = $1 AND used_at IS NULL"
    ))
    .bind(owner.id())
    .fetch_one(conn)
    .await
}

/// Every table that holds a second factor (or what stands in for one), each with the owner
/// columns `user_id` / `staff_id`. A new kind of factor adds its table here, and
/// [`delete_all`] — what a reset of the factors runs — removes it with the others.
const FACTOR_TABLES: &[&str] = &["authenticator_apps", "passkeys", "recovery_codes"];

/// Removes every factor of `owner`; true when there was any.
pub async fn delete_all(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<bool> {
    let column = owner.column();
    let mut removed = 0;
    for table in FACTOR_TABLES {
        let done = sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1"))
            .bind(owner.id())
            .execute(&mut *conn)
            .await?;
        removed += done.rows_affected();
    }
    Ok(removed > 0)
}
