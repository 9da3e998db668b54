//! Queries on `users` (web logins of a company's people).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{EmailAddress, PhoneNumber, Profile, RegistrationState};

/// Name of the index that keeps usernames unique regardless of case.
pub const USERNAME_UNIQUE: &str = "users_username_lower_key";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub company_id: Uuid,
    pub username: String,
    pub email: EmailAddress,
    pub mobile: Option<PhoneNumber>,
    pub first_name: String,
    pub last_name: String,
    pub profile: Profile,
    pub state: RegistrationState,
    pub session_epoch: i32,
    pub created_at: OffsetDateTime,
    pub activated_at: Option<OffsetDateTime>,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// How pages and messages name the user: the full name, or the username without one.
    pub fn display_name(&self) -> String {
        match self.full_name() {
            n if n.is_empty() => self.username.clone(),
            n => n,
        }
    }
}

/// The columns of [`User`], for queries of other modules that return users.
pub(super) const COLUMNS: &str = "id, company_id, username, email, mobile, first_name, last_name, profile, \
                       state, session_epoch, created_at, activated_at";

pub struct NewUser<'a> {
    pub company_id: Uuid,
    pub username: &'a str,
    pub email: &'a EmailAddress,
    pub mobile: Option<&'a PhoneNumber>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub profile: Profile,
    pub state: RegistrationState,
}

pub async fn insert(conn: &mut PgConnection, user: &NewUser<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO users (id, company_id, username, email, mobile, first_name, last_name,
                            profile, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(user.company_id)
    .bind(user.username)
    .bind(user.email)
    .bind(user.mobile)
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(user.profile)
    .bind(user.state)
    .fetch_one(conn)
    .await
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Same as [`find`], locking the row until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// What a customer's login needs, in one round trip: the account, its password hash, and
/// whether it has an app or a passkey (which decides its second step).
#[derive(Debug, sqlx::FromRow)]
pub struct LoginLookup {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: Option<String>,
    pub strong_factor: bool,
}

pub async fn find_for_login(
    conn: &mut PgConnection,
    username: &str,
) -> sqlx::Result<Option<LoginLookup>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, password_hash,
                EXISTS (SELECT 1 FROM authenticator_apps a WHERE a.user_id = users.id)
                OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id) AS strong_factor
         FROM users WHERE lower(username) = lower($1) AND retired_at IS NULL"
    ))
    .bind(username)
    .fetch_optional(conn)
    .await
}

pub async fn legal_representative(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND profile = 'rappresentante_legale'"
    ))
    .bind(company_id)
    .fetch_optional(conn)
    .await
}

pub async fn set_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: RegistrationState,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET state = $2 WHERE id = $1")
        .bind(id)
        .bind(state)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new password hash, marks the account active and ends every existing session.
pub async fn activate_with_password(
    conn: &mut PgConnection,
    id: Uuid,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, state = 'attivo',
                activated_at = coalesce(activated_at, now()), session_epoch = session_epoch + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(password_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user of the company, or None (also for another company's id). Read only: a use case
/// that changes the user calls [`lock_in_company`].
pub async fn find_in_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND id = $2"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A user of the company, locked until the transaction ends; None (also for another
/// company's id).
pub async fn lock_in_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND id = $2 FOR UPDATE"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Changes contact data and profile. A profile change is a privilege change: the user's
/// sessions end, so the next login gets a new session id under the new profile.
pub async fn update_details(
    conn: &mut PgConnection,
    id: Uuid,
    email: &EmailAddress,
    mobile: Option<&PhoneNumber>,
    profile: Profile,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email = $2, mobile = $3, profile = $4,
                session_epoch = session_epoch + CASE WHEN profile <> $4 THEN 1 ELSE 0 END
         WHERE id = $1",
    )
    .bind(id)
    .bind(email)
    .bind(mobile)
    .bind(profile)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes everything a saved (not yet registered) user has.
pub async fn update_saved(
    conn: &mut PgConnection,
    id: Uuid,
    user: &NewUser<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET username = $2, email = $3, mobile = $4, first_name = $5, last_name = $6,
                          profile = $7
         WHERE id = $1",
    )
    .bind(id)
    .bind(user.username)
    .bind(user.email)
    .bind(user.mobile)
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(user.profile)
    .execute(conn)
    .await?;
    Ok(())
}

/// Disables the account and ends its sessions at once.
pub async fn disable(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET state = 'disabilitato', session_epoch = session_epoch + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the user has ever chosen a password (decides the state after re-enabling).
pub async fn has_password(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT password_hash IS NOT NULL FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Users whose username or email is `identifier` (case-insensitive), at most `limit`.
pub async fn find_by_username_or_email(
    conn: &mut PgConnection,
    identifier: &str,
    limit: i64,
) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1) AND retired_at IS NULL
         UNION
         SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1) AND retired_at IS NULL
         LIMIT $2"
    ))
    .bind(identifier)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Users with this email address (case-insensitive), at most `limit`.
pub async fn find_by_email(
    conn: &mut PgConnection,
    email: &str,
    limit: i64,
) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1) AND retired_at IS NULL LIMIT $2"
    ))
    .bind(email)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The user's own contact data change (self-service).
pub async fn update_contacts(
    conn: &mut PgConnection,
    id: Uuid,
    email: &EmailAddress,
    mobile: Option<&PhoneNumber>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET email = $2, mobile = $3 WHERE id = $1")
        .bind(id)
        .bind(email)
        .bind(mobile)
        .execute(conn)
        .await?;
    Ok(())
}

/// The stored password hash of a user.
pub async fn password_hash(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// The company's users whose username or email is `identifier` (case-insensitive): the
/// "persona" of the Registro attività. An email may be shared, so more than one; at most 20.
pub async fn ids_in_company_by_identifier(
    conn: &mut PgConnection,
    company_id: Uuid,
    identifier: &str,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM users WHERE lower(username) = lower($2) AND company_id = $1
         UNION
         SELECT id FROM users WHERE lower(email) = lower($2) AND company_id = $1
         LIMIT 20",
    )
    .bind(company_id)
    .bind(identifier)
    .fetch_all(conn)
    .await
}

/// Of `usernames` (lowercase), those some user has (any case): a username is unique across
/// the portal.
pub async fn usernames_in_use(
    conn: &mut PgConnection,
    usernames: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT lower(username) FROM users
         WHERE lower(username) = ANY($1) AND retired_at IS NULL",
    )
    .bind(usernames)
    .fetch_all(conn)
    .await
}

/// Of `emails` (lowercase), those a user of the company has.
pub async fn emails_in_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    emails: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT lower(email) FROM users
         WHERE company_id = $1 AND lower(email) = ANY($2) AND retired_at IS NULL",
    )
    .bind(company_id)
    .bind(emails)
    .fetch_all(conn)
    .await
}

/// Of `mobiles` (E.164), those a user of the company has.
pub async fn mobiles_in_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    mobiles: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT mobile FROM users
         WHERE company_id = $1 AND mobile = ANY($2) AND retired_at IS NULL",
    )
    .bind(company_id)
    .bind(mobiles)
    .fetch_all(conn)
    .await
}
