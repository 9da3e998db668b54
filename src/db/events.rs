//! Queries of the events after the first contract (`contracts::events`): lines moved to
//! their history (`ceased_lines`), handovers of the legal representative
//! (`legal_representative_changes`), a company's closure, and the erasure of its personal
//! data after the retention period.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Moves a line out of `mobile_lines` into its history: Gestione Utenze, its counts, the
/// search and the support sheet no longer see it, and the number is free to be sold again.
/// The user tied to it is untied with it (the triggers clear `holds_line`).
pub async fn cease_line(
    conn: &mut PgConnection,
    line_id: Uuid,
    reason: &str,
    event_id: &str,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH gone AS (DELETE FROM mobile_lines WHERE id = $1 RETURNING *)
         INSERT INTO ceased_lines (id, company_id, contract_id, number, user_id, referent_first_name,
                                   referent_last_name, referent_email, referent_profile, created_at,
                                   ceased_at, reason, event_id)
         SELECT id, company_id, contract_id, number, user_id, referent_first_name, referent_last_name,
                referent_email, referent_profile, created_at, $4, $2, $3
         FROM gone",
    )
    .bind(line_id)
    .bind(reason)
    .bind(event_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every line of the company leaves with its closure; returns how many.
pub async fn cease_all_lines(
    conn: &mut PgConnection,
    company_id: Uuid,
    event_id: &str,
    at: OffsetDateTime,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "WITH gone AS (DELETE FROM mobile_lines WHERE company_id = $1 RETURNING *)
         INSERT INTO ceased_lines (id, company_id, contract_id, number, user_id, referent_first_name,
                                   referent_last_name, referent_email, referent_profile, created_at,
                                   ceased_at, reason, event_id)
         SELECT id, company_id, contract_id, number, user_id, referent_first_name, referent_last_name,
                referent_email, referent_profile, created_at, $3, 'cessazione_azienda', $2
         FROM gone",
    )
    .bind(company_id)
    .bind(event_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub struct Handover<'a> {
    pub event_id: &'a str,
    pub company_id: Uuid,
    pub previous_user_id: Option<Uuid>,
    pub new_user_id: Uuid,
    pub previous_becomes: &'a str,
    pub at: OffsetDateTime,
}

pub async fn record_handover(conn: &mut PgConnection, h: &Handover<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO legal_representative_changes
             (event_id, company_id, previous_user_id, new_user_id, previous_becomes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(h.event_id)
    .bind(h.company_id)
    .bind(h.previous_user_id)
    .bind(h.new_user_id)
    .bind(h.previous_becomes)
    .bind(h.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The company's last handover, as the support sheet shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandoverRow {
    pub event_id: String,
    pub created_at: OffsetDateTime,
    pub previous_becomes: String,
    pub previous_username: Option<String>,
    pub new_username: String,
    /// The new legal representative has not activated their account yet.
    pub pending: bool,
}

pub async fn last_handover(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> sqlx::Result<Option<HandoverRow>> {
    sqlx::query_as(
        "SELECT h.event_id, h.created_at, h.previous_becomes, p.username AS previous_username,
                n.username AS new_username,
                n.state <> 'attivo' AND n.profile = 'rappresentante_legale' AS pending
         FROM legal_representative_changes h
         JOIN users n ON n.id = h.new_user_id
         LEFT JOIN users p ON p.id = h.previous_user_id
         WHERE h.company_id = $1
         ORDER BY h.created_at DESC LIMIT 1",
    )
    .bind(company_id)
    .fetch_optional(conn)
    .await
}

/// A user of the company whose e-mail is `email` (case-insensitive), locked: the one whose
/// username is that address first.
pub async fn lock_user_by_email(
    conn: &mut PgConnection,
    company_id: Uuid,
    email: &str,
) -> sqlx::Result<Option<super::users::User>> {
    sqlx::query_as(&format!(
        "SELECT {} FROM users
         WHERE company_id = $1 AND lower(email) = lower($2)
         ORDER BY lower(username) = lower($2) DESC, created_at
         LIMIT 1 FOR UPDATE",
        super::users::COLUMNS
    ))
    .bind(company_id)
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// The company's legal representative, locked.
pub async fn lock_legal_representative(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> sqlx::Result<Option<super::users::User>> {
    sqlx::query_as(&format!(
        "SELECT {} FROM users WHERE company_id = $1 AND profile = 'rappresentante_legale' FOR UPDATE",
        super::users::COLUMNS
    ))
    .bind(company_id)
    .fetch_optional(conn)
    .await
}

/// Sets a user's profile (and state); their sessions end: a privilege change.
pub async fn set_profile_and_state(
    conn: &mut PgConnection,
    user_id: Uuid,
    profile: crate::domain::Profile,
    state: crate::domain::RegistrationState,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET profile = $2, state = $3, session_epoch = session_epoch + 1 WHERE id = $1",
    )
    .bind(user_id)
    .bind(profile)
    .bind(state)
    .execute(conn)
    .await?;
    Ok(())
}

/// A promoted legal representative takes the names the contract gives; a mobile only if
/// they had none (the one they proved stays theirs).
pub async fn take_contract_names(
    conn: &mut PgConnection,
    user_id: Uuid,
    first_name: &str,
    last_name: &str,
    mobile: Option<&crate::domain::PhoneNumber>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET first_name = $2, last_name = $3, mobile = coalesce(mobile, $4) WHERE id = $1",
    )
    .bind(user_id)
    .bind(first_name)
    .bind(last_name)
    .bind(mobile)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the closure of a company did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Closed {
    pub users_disabled: u64,
    pub lines_ceased: u64,
    pub messages_cancelled: u64,
}

/// Closes the company: every user disabled and retired (sessions end, usernames free),
/// every link, code and pending contact change dead, queued messages never sent, every line
/// into its history. The caller holds the company's row lock.
pub async fn close_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    event_id: &str,
    at: OffsetDateTime,
) -> sqlx::Result<Closed> {
    let users_disabled = sqlx::query(
        "UPDATE users SET state = 'disabilitato', session_epoch = session_epoch + 1, retired_at = $2
         WHERE company_id = $1",
    )
    .bind(company_id)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE user_sessions s SET ended_at = $2 FROM users u
         WHERE u.company_id = $1 AND s.user_id = u.id AND s.ended_at IS NULL",
    )
    .bind(company_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE credential_tokens SET superseded_at = now()
         WHERE company_id = $1 AND used_at IS NULL AND superseded_at IS NULL",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE verification_codes SET superseded_at = now()
         WHERE company_id = $1 AND used_at IS NULL AND superseded_at IS NULL",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE pending_contact_changes SET closed_at = $2, closed_as = 'annullata'
         WHERE company_id = $1 AND closed_at IS NULL",
    )
    .bind(company_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let messages_cancelled = sqlx::query(
        "UPDATE outbox SET state = 'failed', last_error = 'azienda cessata: non inviato',
                           body_text = NULL, body_html = NULL
         WHERE company_id = $1 AND state = 'queued'",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let lines_ceased = cease_all_lines(conn, company_id, event_id, at).await?;
    sqlx::query("UPDATE companies SET closed_at = $2, closed_event_id = $3 WHERE id = $1")
        .bind(company_id)
        .bind(at)
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    Ok(Closed {
        users_disabled,
        lines_ceased,
        messages_cancelled,
    })
}

/// A closed company whose retention period ended before `closed_before`, locked for its
/// erasure (another instance's worker skips it).
pub async fn lock_one_to_erase(
    conn: &mut PgConnection,
    closed_before: OffsetDateTime,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM companies
         WHERE closed_at IS NOT NULL AND erased_at IS NULL AND closed_at <= $1
         ORDER BY closed_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .bind(closed_before)
    .fetch_optional(conn)
    .await
}

/// Audit details that survive erasure: ids, counts, flags and the words of the portal's own
/// vocabulary; anything a person typed or is (names, e-mails, numbers) goes.
const KEPT_DETAIL_KEYS: &str = "'event_id', 'contract_id', 'channel', 'via', 'motivo', 'reason', \
                                'previous', 'profilo', 'sessioni', 'messaggio', 'tipo', 'stato'";

/// The details of an event of the trail (alias `a`) once erased: the keys above, numbers and
/// flags.
fn kept_details() -> String {
    format!(
        "coalesce((SELECT jsonb_object_agg(key, value) FROM jsonb_each(a.details)
                   WHERE key IN ({KEPT_DETAIL_KEYS})
                      OR jsonb_typeof(value) IN ('number', 'boolean')), '{{}}'::jsonb)"
    )
}

/// Erases the personal data of a closed company (names, e-mails, mobiles, numbers, client
/// addresses, message recipients and bodies, sessions and browsers, what the operators'
/// events about its users name); ids, counts and the fact that each thing happened stay. Returns how many users were erased.
pub async fn erase_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    at: OffsetDateTime,
) -> sqlx::Result<u64> {
    let users = sqlx::query(
        "UPDATE users SET username = 'cancellato-' || id, email = 'cancellato-' || id || '@cancellato.invalid',
                          mobile = NULL, first_name = '', last_name = '', password_hash = NULL
         WHERE company_id = $1",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE ceased_lines SET number = NULL, referent_first_name = NULL,
                                 referent_last_name = NULL, referent_email = NULL
         WHERE company_id = $1",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE outbox SET recipient = 'cancellato', subject = NULL, body_text = NULL,
                           body_html = NULL, last_error = NULL, receipt_detail = NULL
         WHERE company_id = $1",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    // A bounce's diagnostic often quotes the refused address.
    sqlx::query("UPDATE delivery_receipts SET detail = NULL WHERE company_id = $1")
        .bind(company_id)
        .execute(&mut *conn)
        .await?;
    // The answers kept for repeats named the line; the last review, its reviewer.
    sqlx::query("UPDATE contract_events SET response = response - 'number' WHERE company_id = $1")
        .bind(company_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE access_reviews SET reviewer_label = 'utente cancellato'
         WHERE company_id = $1 AND reviewer_label IS NOT NULL",
    )
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    for table in [
        "user_sessions",
        "known_browsers",
        "pending_contact_changes",
        "pending_imports",
    ] {
        sqlx::query(&format!(
            "DELETE FROM {table} t USING users u WHERE t.user_id = u.id AND u.company_id = $1"
        ))
        .bind(company_id)
        .execute(&mut *conn)
        .await?;
    }
    // The one update the audit trail accepts (migration 20261204000001).
    sqlx::query("SET LOCAL area_clienti.erasure = 'on'")
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!(
        "UPDATE audit_events a SET
             client_addr = NULL,
             actor_label = CASE WHEN a.actor_user_id IS NOT NULL THEN 'utente cancellato' ELSE a.actor_label END,
             details = {}
         WHERE a.company_id = $1",
        kept_details()
    ))
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    // The operators' trail keeps what they did for the company's users (and from where:
    // the operator's address), not the e-mails or numbers it named (migration 20261205000001).
    sqlx::query(&format!(
        "UPDATE staff_events a SET details = {} WHERE a.company_id = $1 AND a.details <> '{{}}'",
        kept_details()
    ))
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("SET LOCAL area_clienti.erasure = 'off'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE companies SET erased_at = $2 WHERE id = $1")
        .bind(company_id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(users)
}

/// Whether the company is closed, since when, by which event, and whether its data is erased.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Closure {
    pub closed_at: OffsetDateTime,
    pub closed_event_id: Option<String>,
    pub erased_at: Option<OffsetDateTime>,
}

pub async fn closure_of(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> sqlx::Result<Option<Closure>> {
    sqlx::query_as(
        "SELECT closed_at, closed_event_id, erased_at FROM companies
         WHERE id = $1 AND closed_at IS NOT NULL",
    )
    .bind(company_id)
    .fetch_optional(conn)
    .await
}
