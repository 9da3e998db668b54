//! The buttons of Gestione Utenze: Registra, Reinvia, Disabilita, Riabilita, Termina
//! sessioni, Azzera i fattori di accesso on one user, and "Registra i selezionati" on
//! several rows.

use super::roster_view::RosterView;
use super::{done, manager};
use crate::db::roster;
use crate::user_management as um;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::path::form_ids;
use crate::web::kit::{CsrfForm, CurrentUser, UserId};
use crate::web::outcome;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use tower_sessions::Session;

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
    let message = match action {
        UserAction::Register => {
            um::register(pool, config, &m, id).await?;
            outcome::USER_REGISTERED
        }
        UserAction::EndSessions => {
            let ended = um::end_sessions(pool, &m, id).await?;
            let name = match ended.full_name() {
                n if n.is_empty() => ended.username,
                n => n,
            };
            return done(&session, &outcome::user_sessions_ended(&name), &view).await;
        }
        UserAction::Resend => {
            um::resend(pool, config, &m, id).await?;
            outcome::USERNAME_EMAIL_RESENT
        }
        UserAction::Disable => {
            um::disable(pool, &m, id).await?;
            outcome::USER_DISABLED
        }
        UserAction::Enable => {
            um::enable(pool, &m, id).await?;
            outcome::USER_REENABLED
        }
        UserAction::ResetFactors => {
            um::reset_factors(pool, config, &m, id).await?;
            outcome::FACTORS_RESET
        }
    };
    done(&session, message, &view).await
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
