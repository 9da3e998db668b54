//! `/area-clienti/gestione-utenze…`: the Gestione Utenze pages. Who may see a page is
//! checked here; what may be done on a row comes from `user_management::allowed_actions`,
//! for the buttons shown and in each use case alike. Refusals are 404.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::account::layout_for;
use crate::db::roster::{self, RosterQuery};
use crate::db::users;
use crate::domain::RegistrationState;
use crate::domain::text::{self, Lines};
use crate::user_management::{self as um, ManageError, Manager};
use crate::web::error::AppError;
use crate::web::kit::{CsrfToken, CurrentUser, Page, flash};
use actions::{UserAction, register_many, user_action_route};
use forms::{add, add_form, line_form, modify, modify_form, save_line};
use roster_view::RosterView;
use views::RosterPage;

mod actions;
mod export;
pub mod form_views;
mod forms;
pub mod import;
pub mod registro;
mod registro_filters;
mod review;
pub mod roster_view;
pub mod views;

const BASE: &str = "/area-clienti/gestione-utenze";
/// `?seleziona=` value that checks every row "Registra i selezionati" can take.
pub(super) const SELECT_ALL: &str = "da_registrare";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list))
        .route(&format!("{BASE}/aggiungi"), get(add_form).post(add))
        .route(
            &format!("{BASE}/linee/{{line_id}}/aggiorna"),
            get(line_form).post(save_line),
        )
        .route(&format!("{BASE}/registra"), post(register_many))
        .route(&format!("{BASE}/export.csv"), get(export::roster_csv))
        .route(import::PAGE, get(import::form).post(import::upload))
        .route(&format!("{BASE}/importa/conferma"), post(import::confirm))
        .route(&format!("{BASE}/importa/esempio.csv"), get(import::sample))
        .route(&format!("{BASE}/registro"), get(registro::show))
        .route(&format!("{BASE}/registro.csv"), get(registro::csv))
        .route(
            &format!("{BASE}/revisione"),
            get(review::show).post(review::submit),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/registra"),
            user_action_route(UserAction::Register),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/reinvia"),
            user_action_route(UserAction::Resend),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/modifica"),
            get(modify_form).post(modify),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/disabilita"),
            user_action_route(UserAction::Disable).get(actions::confirm_disable),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/riabilita"),
            user_action_route(UserAction::Enable),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/termina-sessioni"),
            user_action_route(UserAction::EndSessions),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/azzera-fattori"),
            user_action_route(UserAction::ResetFactors),
        )
}

impl From<ManageError> for AppError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::NotFound | ManageError::Invalid(_) => {
                tracing::warn!(
                    "access refused: target not in the manager's company or not manageable"
                );
                AppError::NotFound
            }
            ManageError::Internal(e) => AppError::Internal(e),
        }
    }
}

/// The acting manager at the portal's `now`, or 404 (logged: a refused access-control
/// decision).
pub(super) fn manager<'a>(
    state: &AppState,
    user: &'a users::User,
    client: Option<String>,
) -> Result<Manager<'a>, AppError> {
    Manager::new(user, client, state.clock.now()).ok_or_else(|| {
        tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: Gestione Utenze action above the user's profile");
        AppError::NotFound
    })
}

/// 404 unless the user may manage users (pages that only show).
pub(super) fn require_manager(user: &users::User) -> Result<(), AppError> {
    if crate::user_management::can_manage(user) {
        return Ok(());
    }
    tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: Gestione Utenze page above the user's profile");
    Err(AppError::NotFound)
}

/// Back to the list at the view the person came from, with a message shown once.
pub(super) async fn done(
    session: &Session,
    message: &str,
    view: &RosterView,
) -> Result<Response, AppError> {
    flash::set(session, message.to_owned()).await?;
    Ok(Redirect::to(&view.href()).into_response())
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(flatten)]
    view: RosterView,
    /// `da_registrare`: every row of the page that "Registra i selezionati" can take comes
    /// checked ("Seleziona tutti i Da registrare", without JavaScript).
    #[serde(default)]
    seleziona: String,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
    Query(params): Query<ListParams>,
) -> Result<RosterPage, AppError> {
    if !um::can_view(&user) {
        tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: Gestione Utenze");
        return Err(AppError::NotFound);
    }
    let search: String = params.view.q.trim().chars().take(100).collect();
    let page = Page::read(&params.view.pagina, roster::PAGE_SIZE, 1_000_000);
    let query = RosterQuery {
        search: (!search.is_empty()).then(|| search.clone()),
        state: RegistrationState::parse(&params.view.stato),
        offset: page.offset(),
    };
    // A search with control characters matches nothing, and never reaches SQL (issue 17).
    let (rows, counts) = if text::is_clean(&search, Lines::Single) {
        let mut conn = state.pool.acquire().await?;
        let rows = roster::page(&mut conn, user.company_id, &query).await?;
        let counts = match roster::counts_if_complete(&query, &rows) {
            Some(counts) => counts,
            None => roster::counts(&mut conn, user.company_id, query.search.as_deref()).await?,
        };
        (rows, counts)
    } else {
        let none = RegistrationState::ALL.iter().map(|s| (*s, 0)).collect();
        (Vec::new(), none)
    };
    let flash = flash::take(&session).await?;
    Ok(views::roster_page(
        layout_for(&user, csrf),
        &user,
        state.clock.now(),
        page,
        &query,
        rows,
        &counts,
        flash,
        params.seleziona == SELECT_ALL,
    ))
}
