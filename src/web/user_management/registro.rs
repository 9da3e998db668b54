//! `GET /area-clienti/gestione-utenze/registro` and `…/registro.csv`: the company's audit
//! trail as Italian sentences (`audit_sentences`), filtered by person, kind of action and
//! period, a page at a time or as a CSV of the same rows. The legal representative's alone,
//! as it has always been (`require_manager`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::registro_filters::{self as filters, TypedFilters};
use super::{AppState, BASE, require_manager};
use crate::audit_sentences::{self, ActionGroup};
use crate::clock::{in_rome, rome_today};
use crate::db::audit::{self, TrailRow};
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::kit::{CsrfToken, CsvFile, CurrentUser, Page, PageLinks};
use crate::web::pages::{FormErrors, Layout};

/// Events per page.
pub const PAGE_SIZE: i64 = 50;
/// Pages reachable by paging (offsets stay cheap); older events are reached by period.
pub const MAX_PAGES: i64 = 200;
/// Rows of the CSV at most, newest first; older ones by a narrower period.
pub const CSV_MAX_ROWS: i64 = 50_000;

/// One event as the page shows it.
pub struct EventView {
    /// The stored action: a hook for tests and styles, never shown.
    pub code: &'static str,
    pub when: String,
    pub sentence: String,
    pub from: String,
}

impl EventView {
    pub fn of(row: &TrailRow) -> EventView {
        EventView {
            code: row.action.as_str(),
            when: crate::clock::in_rome_words(row.created_at),
            sentence: audit_sentences::of_row(row).text,
            from: row.client_addr.clone().unwrap_or_default(),
        }
    }
}

/// An option of the `azione` filter.
pub struct GroupOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_management/audit.html")]
pub struct RegistroPage {
    pub layout: Layout,
    pub typed: TypedFilters,
    pub groups: Vec<GroupOption>,
    pub errors: FormErrors,
    pub events: Vec<EventView>,
    pub pagination: PageLinks,
    pub page_number: i64,
    pub csv_href: String,
    pub max_pages: i64,
    pub csv_max_rows: i64,
}

fn page_view(
    layout: Layout,
    typed: TypedFilters,
    errors: FormErrors,
    mut rows: Vec<TrailRow>,
    page: Page,
) -> RegistroPage {
    let has_next = rows.len() as i64 > page.size && page.number < MAX_PAGES;
    rows.truncate(page.size as usize);
    let href = |n: i64| with_query(&format!("{BASE}/registro"), &typed.query(Some(n)));
    RegistroPage {
        layout,
        groups: ActionGroup::ALL
            .iter()
            .map(|g| GroupOption {
                code: g.code(),
                label: g.label(),
                selected: g.code() == typed.azione,
            })
            .collect(),
        errors,
        events: rows.iter().map(EventView::of).collect(),
        pagination: page.links(has_next, href),
        page_number: page.number,
        csv_href: with_query(&format!("{BASE}/registro.csv"), &typed.query(None)),
        typed,
        max_pages: MAX_PAGES,
        csv_max_rows: CSV_MAX_ROWS,
    }
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The page; refused filters answer 422 with the message next to each field, and no rows.
pub(super) async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    require_manager(&user)?;
    let mut typed = TypedFilters::read(raw.as_deref());
    let page = Page::read(&typed.pagina, PAGE_SIZE, MAX_PAGES);
    let mut conn = state.pool.acquire().await?;
    let checked = filters::check(&mut conn, user.company_id, &mut typed).await?;
    let layout = layout_for(&user, csrf);
    if !checked.errors.is_empty() {
        let view = page_view(layout, typed, checked.errors, Vec::new(), page);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, view).into_response());
    }
    // One row more than a page tells whether there is a next page.
    let rows = audit::trail(
        &mut conn,
        user.company_id,
        &checked.filter,
        page.size + 1,
        page.offset(),
    )
    .await?;
    Ok(page_view(layout, typed, checked.errors, rows, page).into_response())
}

/// The same rows as CSV (the newest [`CSV_MAX_ROWS`]); refused filters answer the page
/// with its messages, as `show` does.
pub(super) async fn csv(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    require_manager(&user)?;
    let mut typed = TypedFilters::read(raw.as_deref());
    let mut conn = state.pool.acquire().await?;
    let checked = filters::check(&mut conn, user.company_id, &mut typed).await?;
    if !checked.errors.is_empty() {
        let page = Page::read("", PAGE_SIZE, MAX_PAGES);
        let view = page_view(
            layout_for(&user, csrf),
            typed,
            checked.errors,
            Vec::new(),
            page,
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, view).into_response());
    }
    let rows = audit::trail(&mut conn, user.company_id, &checked.filter, CSV_MAX_ROWS, 0).await?;
    let mut file = CsvFile::new(&[
        "Data e ora",
        "Chi",
        "Utente",
        "Azione",
        "Descrizione",
        "Indirizzo di rete",
    ])?;
    let format = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]:[second]");
    for row in &rows {
        let sentence = audit_sentences::of_row(row);
        let when = in_rome(row.created_at).format(&format).unwrap_or_default();
        file.row([
            when.as_str(),
            &sentence.who,
            &sentence.whom,
            sentence.action,
            &sentence.text,
            row.client_addr.as_deref().unwrap_or(""),
        ])?;
    }
    let today = rome_today(state.clock.now());
    Ok(file.into_response(&format!("registro-attivita-{today}.csv"))?)
}
