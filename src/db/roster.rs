//! The Gestione Utenze listing: every mobile line of a company with its user, plus the
//! users tied to no line, searchable, filterable by state and paginated.
//! Every query is bounded to one company (`company_id = $1` on each table it reads, or a
//! join to rows that are).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::invitations::{self, LatestInvitation};
use crate::domain::{EmailAddress, PhoneNumber, Profile, RegistrationState};

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterRow {
    pub line_id: Option<Uuid>,
    pub number: Option<PhoneNumber>,
    pub user_id: Option<Uuid>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub username: Option<String>,
    pub profile: Option<Profile>,
    pub state: RegistrationState,
    pub has_referent: bool,
    /// The user's latest username email, for its delivery and link.
    #[sqlx(flatten)]
    pub invitation: LatestInvitation,
}

/// What the page asked for.
#[derive(Debug, Clone, Default)]
pub struct RosterQuery {
    /// Case-insensitive substring of number, name, email or username.
    pub search: Option<String>,
    pub state: Option<RegistrationState>,
    /// Rows skipped (a multiple of `PAGE_SIZE`, from `web::kit::Page`).
    pub offset: i64,
}

/// Lines with their user, and users with no line of the company, as one set of rows.
const ROWS: &str = "
    SELECT l.id AS line_id, l.number, u.id AS user_id, u.first_name, u.last_name, u.email,
           u.username, u.profile,
           coalesce(u.state, 'da_registrare'::registration_state) AS state,
           (l.referent_email IS NOT NULL) AS has_referent
    FROM mobile_lines l LEFT JOIN users u ON u.id = l.user_id AND u.company_id = $1
    WHERE l.company_id = $1
    UNION ALL
    SELECT NULL, u.mobile, u.id, u.first_name, u.last_name, u.email, u.username, u.profile,
           u.state, false
    FROM users u
    WHERE u.company_id = $1 AND NOT u.holds_line";

/// The rows a search finds, as [`ROWS`] writes them, found through the trigram indexes of
/// migration 20261206000020 rather than by testing every row of the company: the users
/// whose fields match (`$2`, a LIKE pattern), the lines whose number has the digits `$3`
/// (NULL when the search is not a number) or whose user matched, and the users tied to no
/// line whose mobile or fields match. Each user field is still tested on its own: the
/// indexed text joins them, and a fragment across two fields must not count.
const SEARCHED_ROWS: &str = "
    WITH matched AS (
        SELECT id FROM users
        WHERE company_id = $1
          AND lower(username || ' ' || email || ' ' || first_name || ' ' || last_name) LIKE lower($2)
          AND (username ILIKE $2 OR email ILIKE $2 OR first_name ILIKE $2 OR last_name ILIKE $2
               OR (first_name || ' ' || last_name) ILIKE $2)
    ), hit_lines AS (
        SELECT id FROM mobile_lines
        WHERE company_id = $1 AND $3::text IS NOT NULL
          AND number_digits(number) LIKE '%' || $3 || '%'
        UNION
        SELECT l.id FROM mobile_lines l JOIN matched m ON l.user_id = m.id
        WHERE l.company_id = $1
    )
    SELECT l.id AS line_id, l.number, u.id AS user_id, u.first_name, u.last_name, u.email,
           u.username, u.profile,
           coalesce(u.state, 'da_registrare'::registration_state) AS state,
           (l.referent_email IS NOT NULL) AS has_referent
    FROM hit_lines h JOIN mobile_lines l ON l.id = h.id
    LEFT JOIN users u ON u.id = l.user_id AND u.company_id = $1
    UNION ALL
    SELECT NULL, u.mobile, u.id, u.first_name, u.last_name, u.email, u.username, u.profile,
           u.state, false
    FROM users u
    WHERE u.company_id = $1 AND NOT u.holds_line
      AND (($3::text IS NOT NULL AND u.mobile LIKE '%' || $3 || '%')
           OR u.id IN (SELECT id FROM matched))";

fn like_pattern(search: &str) -> String {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The digits of a search that is a number, as people type one ("+39 340 111 2200",
/// "340-111", "(+39) 340"), for matching the stored E.164 numbers; `None` for any other
/// search. A search that mixes letters and digits ("abc1") is a name, an e-mail or a
/// username: its digits alone would be a fragment that nearly every number contains.
fn digits(search: &str) -> Option<String> {
    let is_number = search
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '/' | '(' | ')'));
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    (is_number && !digits.is_empty()).then_some(digits)
}

/// The order of the page: lines by number, then users tied to no line (by mobile, then
/// username). A line and such a user with the same number: the line first.
const ORDER: &str = "number NULLS LAST, (line_id IS NULL), lower(username), line_id";

/// Latest username email of each row's user (of the page only), for the e-mail column.
fn invitation_join() -> String {
    invitations::latest_join("r.user_id")
}

/// One page of rows.
pub async fn page(
    conn: &mut PgConnection,
    company_id: Uuid,
    query: &RosterQuery,
) -> sqlx::Result<Vec<RosterRow>> {
    let offset = query.offset.max(0);
    if query.search.is_none() {
        return walked_page(conn, company_id, query.state, offset).await;
    }
    let pattern = query.search.as_deref().map(like_pattern);
    let digits = query.search.as_deref().and_then(digits);
    // A search reads what its indexes find.
    let sql = format!(
        "SELECT r.*, inv.*
         FROM (SELECT * FROM ({SEARCHED_ROWS}) rows
               WHERE ($4::registration_state IS NULL OR state = $4)
               ORDER BY {ORDER}
               LIMIT $5 OFFSET $6) r
         {}
         ORDER BY {ORDER}",
        invitation_join()
    );
    sqlx::query_as(&sql)
        .bind(company_id)
        .bind(pattern)
        .bind(digits)
        .bind(query.state)
        .bind(PAGE_SIZE)
        .bind(offset)
        .fetch_all(conn)
        .await
}

/// A page without a search, the one every visit opens, or one state's rows: the sort keys
/// of the page come from two scans in page order (lines by number; users without a line
/// from their partial index) that stop once the page is full, and only the page's rows are
/// then read in full. With a state, each line walked looks its user's state up by primary
/// key: work grows with the page number and with how rare the state is, not with the size
/// of the company.
async fn walked_page(
    conn: &mut PgConnection,
    company_id: Uuid,
    state: Option<RegistrationState>,
    offset: i64,
) -> sqlx::Result<Vec<RosterRow>> {
    let (line_in_state, user_in_state) = match state {
        None => ("", ""),
        Some(_) => (
            "AND coalesce((SELECT s.state FROM users s
                           WHERE s.id = mobile_lines.user_id AND s.company_id = $1),
                          'da_registrare'::registration_state) = $4",
            "AND state = $4",
        ),
    };
    let sql = format!(
        "WITH keys AS (
             (SELECT number, false AS lineless, NULL::text AS username, NULL::uuid AS user_id
              FROM mobile_lines WHERE company_id = $1 {line_in_state}
              ORDER BY number LIMIT $2 + $3)
             UNION ALL
             (SELECT mobile, true, lower(username), id FROM users
              WHERE company_id = $1 AND NOT holds_line {user_in_state}
              ORDER BY mobile NULLS LAST, lower(username) LIMIT $2 + $3)
             ORDER BY number NULLS LAST, lineless, username
             LIMIT $2 OFFSET $3
         ), r AS (
             SELECT l.id AS line_id, k.number, u.id AS user_id, u.first_name, u.last_name,
                    u.email, u.username, u.profile,
                    coalesce(u.state, 'da_registrare'::registration_state) AS state,
                    (l.referent_email IS NOT NULL) AS has_referent
             FROM keys k
             LEFT JOIN mobile_lines l
                    ON NOT k.lineless AND l.number = k.number AND l.company_id = $1
             -- One primary-key probe per row of the page. As a plain join, a plan made
             -- for a typical company hashes all the company's users (18,000 for the
             -- largest): OFFSET 0 keeps it a lookup.
             LEFT JOIN LATERAL (
                 SELECT * FROM users
                 WHERE id = CASE WHEN k.lineless THEN k.user_id ELSE l.user_id END
                 OFFSET 0
             ) u ON u.company_id = $1
         )
         SELECT r.*, inv.* FROM r {} ORDER BY {ORDER}",
        invitation_join()
    );
    let query = sqlx::query_as(&sql)
        .bind(company_id)
        .bind(PAGE_SIZE)
        .bind(offset);
    match state {
        Some(state) => query.bind(state).fetch_all(conn).await,
        None => query.fetch_all(conn).await,
    }
}

/// Upper bound of the export: the biggest company has 20,000 lines and about as many
/// users, so a company always fits; past it the export stops rather than grow without end.
pub const EXPORT_MAX_ROWS: i64 = 100_000;

/// Every row of the company, in the page's order, for the CSV export.
pub async fn all(conn: &mut PgConnection, company_id: Uuid) -> sqlx::Result<Vec<RosterRow>> {
    let sql = format!(
        "SELECT r.*, inv.*
         FROM (SELECT * FROM ({ROWS}) rows ORDER BY {ORDER} LIMIT $2) r
         {}
         ORDER BY {ORDER}",
        invitation_join()
    );
    sqlx::query_as(&sql)
        .bind(company_id)
        .bind(EXPORT_MAX_ROWS)
        .fetch_all(conn)
        .await
}

/// The counts by state when `rows` are already every row the search found: the first page,
/// no state chosen, not full. A selective search (an address, a number) is one page, and
/// counting its rows again in SQL was half of its work.
pub fn counts_if_complete(
    query: &RosterQuery,
    rows: &[RosterRow],
) -> Option<Vec<(RegistrationState, i64)>> {
    let complete = query.search.is_some()
        && query.state.is_none()
        && query.offset == 0
        && rows.len() < PAGE_SIZE as usize;
    complete.then(|| every_state(rows.iter().map(|r| (r.state, 1))))
}

/// Rows matching the search, per state (all four states, zeros included).
pub async fn counts(
    conn: &mut PgConnection,
    company_id: Uuid,
    search: Option<&str>,
) -> sqlx::Result<Vec<(RegistrationState, i64)>> {
    let found: Vec<(RegistrationState, i64)> = match search {
        // Without a search the database keeps the counts itself (migration 0005).
        None => {
            sqlx::query_as("SELECT state, n FROM roster_counts WHERE company_id = $1")
                .bind(company_id)
                .fetch_all(conn)
                .await?
        }
        Some(search) => {
            let sql = format!("SELECT state, count(*) FROM ({SEARCHED_ROWS}) rows GROUP BY state");
            sqlx::query_as(&sql)
                .bind(company_id)
                .bind(like_pattern(search))
                .bind(digits(search))
                .fetch_all(conn)
                .await?
        }
    };
    Ok(every_state(found))
}

/// The counts of `found` (state, count) summed per state, for all four states in their
/// order, zeros included.
fn every_state(
    found: impl IntoIterator<Item = (RegistrationState, i64)>,
) -> Vec<(RegistrationState, i64)> {
    let mut counts: Vec<(RegistrationState, i64)> =
        RegistrationState::ALL.iter().map(|s| (*s, 0)).collect();
    for (state, n) in found {
        if let Some((_, total)) = counts.iter_mut().find(|(s, _)| *s == state) {
            *total += n;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cover_every_state_in_order_summed() {
        use RegistrationState::{Active, Disabled, Pending, ToRegister};
        let counted = every_state([(Active, 2), (ToRegister, 1), (Active, 1)]);
        assert_eq!(
            counted,
            [(ToRegister, 1), (Pending, 0), (Active, 3), (Disabled, 0)]
        );
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn digits_of_a_typed_number() {
        assert_eq!(digits("+39 340 111").as_deref(), Some("39340111"));
        assert_eq!(digits("340-111.22").as_deref(), Some("34011122"));
        assert_eq!(digits("(+39) 340").as_deref(), Some("39340"));
        assert_eq!(digits("0012345").as_deref(), Some("0012345"));
        assert_eq!(digits("1").as_deref(), Some("1"));
    }

    #[test]
    fn a_search_with_letters_is_not_a_number() {
        for search in [
            "rossi",
            "abc1",
            "luca.bianchi2@example.it",
            "+39 340 abc",
            "-",
            "+ ()",
        ] {
            assert_eq!(digits(search), None, "{search}");
        }
    }
}
