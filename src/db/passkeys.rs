//! Queries on `passkeys`: the WebAuthn credentials of a customer user or a Servizio Clienti
//! operator ([`Owner`]). The credential itself is webauthn-rs' `Passkey`, kept as JSON.

use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;
use webauthn_rs::prelude::Passkey;

use super::factors::Owner;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub passkey: Json<Passkey>,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

impl StoredPasskey {
    pub fn owner(&self) -> Option<Owner> {
        match (self.user_id, self.staff_id) {
            (Some(id), None) => Some(Owner::User(id)),
            (None, Some(id)) => Some(Owner::Staff(id)),
            _ => None,
        }
    }
}

const COLUMNS: &str = "id, user_id, staff_id, passkey, name, created_at, last_used_at";

pub async fn of_owner(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<Vec<StoredPasskey>> {
    let column = owner.column();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE {column} = $1 ORDER BY created_at"
    ))
    .bind(owner.id())
    .fetch_all(conn)
    .await
}

pub async fn has_any(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<bool> {
    let column = owner.column();
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM passkeys WHERE {column} = $1)"
    ))
    .bind(owner.id())
    .fetch_one(conn)
    .await
}

/// The passkey with this credential id, whoever owns it (a usernameless login).
pub async fn by_credential(
    conn: &mut PgConnection,
    credential_id: &[u8],
) -> sqlx::Result<Option<StoredPasskey>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1"
    ))
    .bind(credential_id)
    .fetch_optional(conn)
    .await
}

/// Records a new passkey; false when its credential id is already registered (to anyone).
pub async fn insert(
    conn: &mut PgConnection,
    owner: Owner,
    passkey: &Passkey,
    name: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let column = owner.column();
    let done = sqlx::query(&format!(
        "INSERT INTO passkeys (id, {column}, credential_id, passkey, name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING"
    ))
    .bind(Uuid::new_v4())
    .bind(owner.id())
    .bind(passkey.cred_id().as_slice())
    .bind(Json(passkey))
    .bind(name)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// After a login with it: the new counter and backup state, and when.
pub async fn record_use(
    conn: &mut PgConnection,
    id: Uuid,
    passkey: &Passkey,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE passkeys SET passkey = $2, last_used_at = $3 WHERE id = $1")
        .bind(id)
        .bind(Json(passkey))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes one passkey of `owner`; false when it is not theirs (or already gone).
pub async fn delete(conn: &mut PgConnection, owner: Owner, id: Uuid) -> sqlx::Result<bool> {
    let column = owner.column();
    let done = sqlx::query(&format!(
        "DELETE FROM passkeys WHERE id = $1 AND {column} = $2"
    ))
    .bind(id)
    .bind(owner.id())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
