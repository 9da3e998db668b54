//! The buttons of Gestione Utenze: Registra, Reinvia, Disabilita, Riabilita, Termina
//! sessioni, Azzera i fattori di accesso on one user, and "Registra i selezionati" on
//! several rows.

use super::roster_view::RosterView;
use super::{BASE, done, manager, require_manager};
use crate::db::{roster, users};
use crate::domain::RegistrationState;
use crate::user_management as um;
use crate::web::AppState;
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::CsrfToken;
use crate::web::kit::path::form_ids;
use crate::web::kit::{CsrfForm, CurrentUser, UserId};
use crate::web::outcome::{self, Whom};
use crate::web::pages::Layout;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

/// The one-button actions on a user of the list.
#[derive(Debug, Clone, Copy)]
pub(super) enum UserAction {
    Register,
    Resend,
    Disable,
    Enable,
    EndSessions,
    ResetFactors,
}

async fn user_action(
    action: UserAction,
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    UserId(id): UserId,
    CsrfForm(view): CsrfForm<RosterView>,
) -> Result<Response, AppError> {
    let view = view.sanitized();
    let m = manager(&state, &user, client)?;
    let (pool, config) = (&state.pool, &state.config);
    match action {
        UserAction::Register => um::register(pool, config, &m, id).await?,
        UserAction::EndSessions => {
            um::end_sessions(pool, &m, id).await?;
        }
        UserAction::Resend => um::resend(pool, config, &m, id).await?,
        UserAction::Disable => um::disable(pool, &m, id).await?,
        UserAction::Enable => um::enable(pool, &m, id).await?,
        UserAction::ResetFactors => um::reset_factors(pool, config, &m, id).await?,
    }
    // The user as the action left them, for a message that names them.
    let target = company_user(&state, &user, id).await?;
    let (name, email) = (target.display_name(), target.email.to_string());
    let whom = Whom {
        name: &name,
        email: &email,
    };
    let message = match action {
        UserAction::Register => outcome::user_registered(&whom),
        UserAction::EndSessions => outcome::user_sessions_ended(&name),
        UserAction::Resend => outcome::username_email_resent(&whom),
        UserAction::Disable => outcome::user_disabled(&whom),
        UserAction::Enable => {
            outcome::user_reenabled(&whom, target.state == RegistrationState::Active)
        }
        UserAction::ResetFactors => outcome::factors_reset(&whom),
    };
    done(&session, &message, &view).await
}

/// A user of the manager's company, or 404.
async fn company_user(
    state: &AppState,
    manager_user: &users::User,
    id: Uuid,
) -> Result<users::User, AppError> {
    let mut conn = state.pool.acquire().await?;
    users::find_in_company(&mut conn, manager_user.company_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The question before Disabilita: what it does, with the button that does it.
#[derive(Template, WebTemplate)]
#[template(path = "user_management/confirm_disable.html")]
pub(super) struct ConfirmDisablePage {
    layout: Layout,
    name: String,
    username: String,
    action: String,
    view: RosterView,
}

/// `GET …/utenti/{id}/disabilita`: the confirmation page the row's «Disabilita» opens; the
/// POST of its button disables. Offered exactly when the list offers Disabilita.
pub(super) async fn confirm_disable(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    UserId(id): UserId,
    Query(view): Query<RosterView>,
) -> Result<ConfirmDisablePage, AppError> {
    require_manager(&user)?;
    let target = company_user(&state, &user, id).await?;
    if !um::allowed_actions(&user, (&target).into()).disable {
        return Err(AppError::NotFound);
    }
    Ok(ConfirmDisablePage {
        layout: layout_for(&user, csrf),
        name: target.display_name(),
        username: target.username.clone(),
        action: format!("{BASE}/utenti/{id}/disabilita"),
        view: view.sanitized(),
    })
}

/// The route of a one-button action.
pub(super) fn user_action_route(action: UserAction) -> axum::routing::MethodRouter<AppState> {
    post(
        move |s: State<AppState>,
              u: CurrentUser,
              c: ClientAddr,
              session: Session,
              p: UserId,
              f: CsrfForm<RosterView>| { user_action(action, s, u, c, session, p, f) },
    )
}

#[derive(Deserialize)]
pub(super) struct BulkForm {
    /// Saved users to register.
    #[serde(default)]
    user_id: Vec<String>,
    /// Lines "Da registrare" with a contract referent, to register from the referent's data.
    #[serde(default)]
    line_id: Vec<String>,
    /// The list's view, to come back to (`RosterView`'s fields; a flattened struct would
    /// not read the repeated fields above).
    #[serde(default)]
    q: String,
    #[serde(default)]
    stato: String,
    #[serde(default)]
    pagina: String,
}

/// "Registra i selezionati": saved users and lines with a referent, in one go.
pub(super) async fn register_many(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<Response, AppError> {
    let m = manager(&state, &user, client)?;
    let view = RosterView {
        q: form.q,
        stato: form.stato,
        pagina: form.pagina,
    }
    .sanitized();
    if form.user_id.is_empty() && form.line_id.is_empty() {
        return done(&session, outcome::NOTHING_SELECTED, &view).await;
    }
    if form.user_id.len() + form.line_id.len() > 2 * roster::PAGE_SIZE as usize {
        return Err(AppError::BadForm);
    }
    let (user_ids, line_ids) = (form_ids(&form.user_id)?, form_ids(&form.line_id)?);
    let registered =
        um::register_selected(&state.pool, &state.config, &m, &user_ids, &line_ids).await?;
    done(&session, &outcome::registered_selected(&registered), &view).await
}
