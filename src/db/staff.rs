//! Queries on `staff_users` (Servizio Clienti 191).

use sqlx::PgConnection;
use uuid::Uuid;

pub const USERNAME_UNIQUE: &str = "staff_users_username_lower_key";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffUser {
    pub id: Uuid,
    pub username: String,
}

pub async fn insert(
    conn: &mut PgConnection,
    username: &str,
    password_hash: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO staff_users (id, username, password_hash) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(username)
    .bind(password_hash)
    .fetch_one(conn)
    .await
}

/// The staff user and password hash, by case-insensitive username.
pub async fn find_credentials(
    conn: &mut PgConnection,
    username: &str,
) -> sqlx::Result<Option<(StaffUser, String)>> {
    let row: Option<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, username, password_hash FROM staff_users
         WHERE lower(username) = lower($1) AND disabled_at IS NULL",
    )
    .bind(username)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, username, hash)| (StaffUser { id, username }, hash)))
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as("SELECT id, username FROM staff_users WHERE id = $1 AND disabled_at IS NULL")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Disables the operator by username; false when there is no such enabled operator.
pub async fn disable(conn: &mut PgConnection, username: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE staff_users SET disabled_at = now()
         WHERE lower(username) = lower($1) AND disabled_at IS NULL RETURNING id",
    )
    .bind(username)
    .fetch_optional(conn)
    .await
}

/// The id of the operator with this username, enabled or not.
pub async fn id_of(conn: &mut PgConnection, username: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM staff_users WHERE lower(username) = lower($1)")
        .bind(username)
        .fetch_optional(conn)
        .await
}

/// Appends to the staff trail (`staff_events`, append-only): staff logins and their failures.
pub async fn append_event(
    conn: &mut PgConnection,
    staff_user_id: Uuid,
    action: crate::domain::AuditAction,
    client_addr: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO staff_events (staff_user_id, action, client_addr) VALUES ($1, $2, $3)",
    )
    .bind(staff_user_id)
    .bind(action)
    .bind(client_addr)
    .execute(conn)
    .await?;
    Ok(())
}
