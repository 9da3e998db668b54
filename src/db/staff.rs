//! Queries on `staff_users` and `staff_events` (Servizio Clienti 191).

use sqlx::PgConnection;
use uuid::Uuid;

pub const USERNAME_UNIQUE: &str = "staff_users_username_lower_key";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffUser {
    pub id: Uuid,
    pub username: String,
    /// Bumped by `staff disable` and `staff reset-factors`: sessions opened before end.
    pub session_epoch: i32,
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
    let row: Option<(Uuid, String, i32, String)> = sqlx::query_as(
        "SELECT id, username, session_epoch, password_hash FROM staff_users
         WHERE lower(username) = lower($1) AND disabled_at IS NULL",
    )
    .bind(username)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, username, session_epoch, hash)| {
        let staff = StaffUser {
            id,
            username,
            session_epoch,
        };
        (staff, hash)
    }))
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<StaffUser>> {
    sqlx::query_as(
        "SELECT id, username, session_epoch FROM staff_users
         WHERE id = $1 AND disabled_at IS NULL",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Disables the operator by username and ends their sessions; `None` when there is no
/// such enabled operator.
pub async fn disable(conn: &mut PgConnection, username: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE staff_users SET disabled_at = now(), session_epoch = session_epoch + 1
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

/// Ends every open session and pending login of the operator (at their next request).
pub async fn end_sessions(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE staff_users SET session_epoch = session_epoch + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends to the staff trail (`staff_events`, append-only): staff logins and their failures.
pub async fn append_event(
    conn: &mut PgConnection,
    staff_user_id: Uuid,
    action: crate::domain::AuditAction,
    client_addr: Option<&str>,
) -> sqlx::Result<()> {
    let details = serde_json::json!({});
    append_detailed_event(conn, staff_user_id, action, client_addr, &details, None).await
}

/// The company's user a staff event is about: what the erasure of a closed company
/// (`db::events::erase_company`) looks for in the staff trail.
#[derive(Debug, Clone, Copy)]
pub struct EventSubject {
    pub company_id: Uuid,
    pub user_id: Uuid,
}

/// An event of the staff trail with details (e.g. `{"fattore": "app"}` on a login), and the
/// company's user it concerns when its details name one (e.g. a message sent again).
pub async fn append_detailed_event(
    conn: &mut PgConnection,
    staff_user_id: Uuid,
    action: crate::domain::AuditAction,
    client_addr: Option<&str>,
    details: &serde_json::Value,
    about: Option<EventSubject>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO staff_events (staff_user_id, action, client_addr, details, company_id,
                                   subject_user_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(staff_user_id)
    .bind(action)
    .bind(client_addr)
    .bind(details)
    .bind(about.map(|a| a.company_id))
    .bind(about.map(|a| a.user_id))
    .execute(conn)
    .await?;
    Ok(())
}
