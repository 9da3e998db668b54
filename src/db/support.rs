//! Read queries of the Servizio Clienti 191 console: search across companies and the
//! company sheet. Search runs one indexed query per kind of identifier and unions them.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::delivery_receipts::ReceiptStatus;
use crate::db::invitations::{self, LatestInvitation};
use crate::db::outbox::{Channel, MessageState};
use crate::domain::MessageKind;

use crate::domain::{EmailAddress, PhoneNumber, Profile, RegistrationState};

/// Companies per result page.
pub const SEARCH_PAGE: i64 = 20;
/// Rows each kind of match may contribute. A prefix such as "maria.ro" or a common surname
/// matches thousands of users or names: past this the console asks for a narrower search
/// instead of sorting them all (one such search cost 50 ms; a capped one stays near 2 ms).
pub const SEARCH_CAP: i64 = 200;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyHit {
    pub id: Uuid,
    pub name: String,
    pub vat_number: String,
    pub legal_representative: Option<String>,
    /// Companies found, up to a little past [`SEARCH_CAP`].
    pub total: i64,
}

/// What to look for, already normalised by the caller.
#[derive(Debug, Default)]
pub struct SearchTerms {
    /// Lowercased text with LIKE wildcards escaped: substring of the company name.
    pub text: String,
    /// Lowercased text as typed: prefix of emails and usernames.
    pub prefix: String,
    /// Digits of a Partita IVA (prefix), when the query looks like one.
    pub vat_prefix: Option<String>,
    /// E.164 prefix of a mobile number, when the query looks like one.
    pub phone_prefix: Option<String>,
}

pub async fn search(
    conn: &mut PgConnection,
    terms: &SearchTerms,
    offset: i64,
) -> sqlx::Result<Vec<CompanyHit>> {
    sqlx::query_as(
        "WITH hits AS (
             -- Prefixes as ranges of the text_pattern_ops indexes, read in index order
             -- with a limit: a common prefix (\"andrea.b\": 7,000 users) stops after the
             -- first rows, and the plan is the same whatever the text, so it is prepared
             -- once. chr(1114111) is the greatest character: `p ~<~ p || it` bounds
             -- every string that starts with p.
             (SELECT id FROM companies
              WHERE vat_number ~>=~ $2 AND vat_number ~<~ ($2 || chr(1114111))
              ORDER BY vat_number USING ~<~ LIMIT $6)
             UNION (SELECT company_id FROM users
                    WHERE length($7) >= 3 AND lower(email) ~>=~ $7
                      AND lower(email) ~<~ ($7 || chr(1114111))
                    ORDER BY lower(email) USING ~<~ LIMIT $6)
             UNION (SELECT company_id FROM users
                    WHERE length($7) >= 3 AND lower(username) ~>=~ $7
                      AND lower(username) ~<~ ($7 || chr(1114111))
                    ORDER BY lower(username) USING ~<~ LIMIT $6)
             UNION (SELECT company_id FROM mobile_lines
                    WHERE number ~>=~ $3 AND number ~<~ ($3 || chr(1114111))
                    ORDER BY number USING ~<~ LIMIT $6)
             UNION (SELECT company_id FROM users
                    WHERE mobile ~>=~ $3 AND mobile ~<~ ($3 || chr(1114111))
                    ORDER BY mobile USING ~<~ LIMIT $6)
         ), found AS (
             -- A common surname matches thousands of names: those rows come with what
             -- the page shows, not as ids to look up again.
             (SELECT id, name, vat_number FROM companies
              WHERE length($1) >= 2 AND lower(name) LIKE '%' || $1 || '%' LIMIT $6)
             UNION
             -- At most a few hundred ids: one primary-key probe each (OFFSET 0), where a
             -- join would be planned as a hash over all 100,000 companies.
             SELECT c.id, c.name, c.vat_number FROM hits h
             CROSS JOIN LATERAL (
                 SELECT id, name, vat_number FROM companies WHERE id = h.id OFFSET 0
             ) c
         )
         SELECT f.id, f.name, f.vat_number,
                (SELECT u.email FROM users u WHERE u.company_id = f.id AND u.profile = 'rappresentante_legale')
                    AS legal_representative,
                count(*) OVER () AS total
         FROM found f
         ORDER BY f.name, f.id LIMIT $4 OFFSET $5",
    )
    .bind(&terms.text)
    .bind(&terms.vat_prefix)
    .bind(&terms.phone_prefix)
    .bind(SEARCH_PAGE)
    .bind(offset.max(0))
    .bind(SEARCH_CAP + 1)
    .bind(&terms.prefix)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractRow {
    pub contract_id: String,
    pub channel: String,
    pub lines_added: i32,
    pub created_at: OffsetDateTime,
}

pub async fn contracts(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> sqlx::Result<Vec<ContractRow>> {
    sqlx::query_as(
        "SELECT contract_id, channel, lines_added, created_at FROM contracts
         WHERE company_id = $1 ORDER BY created_at DESC LIMIT 100",
    )
    .bind(company_id)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub email: EmailAddress,
    pub mobile: Option<PhoneNumber>,
    pub first_name: String,
    pub last_name: String,
    pub profile: Profile,
    pub state: RegistrationState,
    /// The user's latest username email.
    #[sqlx(flatten)]
    pub invitation: LatestInvitation,
}

/// The company's users, legal representative first, each with their latest username email.
pub async fn users(
    conn: &mut PgConnection,
    company_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<UserRow>> {
    let sql = format!(
        "SELECT u.*, inv.* FROM (
             SELECT id, username, email, mobile, first_name, last_name, profile, state FROM users
             WHERE company_id = $1
             ORDER BY profile = 'rappresentante_legale' DESC, lower(username) LIMIT $2
         ) u {}
         ORDER BY u.profile = 'rappresentante_legale' DESC, lower(u.username)",
        invitations::latest_join("u.id")
    );
    sqlx::query_as(&sql)
        .bind(company_id)
        .bind(limit)
        .fetch_all(conn)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineRow {
    pub number: PhoneNumber,
    pub username: Option<String>,
}

pub async fn lines(
    conn: &mut PgConnection,
    company_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<LineRow>> {
    sqlx::query_as(
        "SELECT l.number, u.username FROM mobile_lines l LEFT JOIN users u ON u.id = l.user_id
         WHERE l.company_id = $1 ORDER BY l.number LIMIT $2",
    )
    .bind(company_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A message as support sees it: never its body.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub recipient: String,
    pub channel: Channel,
    pub template: MessageKind,
    pub state: MessageState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    /// When support sent a fresh copy of it (failed or expired messages only).
    pub requeued_at: Option<OffsetDateTime>,
    /// The newest delivery receipt, if the gateway or the mail system sent one.
    pub receipt_status: Option<ReceiptStatus>,
    pub receipt_detail: Option<String>,
    pub receipt_at: Option<OffsetDateTime>,
}

pub async fn messages(
    conn: &mut PgConnection,
    company_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    sqlx::query_as(
        "SELECT id, recipient, channel, template, state, attempts, last_error, created_at, sent_at,
                requeued_at, receipt_status, receipt_detail, receipt_at
         FROM outbox WHERE company_id = $1 ORDER BY created_at DESC LIMIT $2",
    )
    .bind(company_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
