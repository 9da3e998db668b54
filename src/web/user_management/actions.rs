//! The buttons of Gestione Utenze: Registra, Reinvia, Disabilita, Riabilita on one user,
//! and "Registra i selezionati" on several rows.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::{done, manager, parse_id};
use crate::db::roster;
use crate::user_management as um;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::{CsrfForm, CurrentUser};

#[derive(Deserialize)]
pub(super) struct Empty {}

/// The one-button actions on a user of the list.
#[derive(Debug, Clone, Copy)]
pub(super) enum UserAction {
    Register,
    Resend,
    Disable,
    Enable,
}

async fn user_action(
    action: UserAction,
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    Path(user_id): Path<String>,
    _: CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    let id = parse_id(&user_id)?;
    let (pool, config) = (&state.pool, &state.config);
    let message = match action {
        UserAction::Register => {
            um::register(pool, config, &m, id).await?;
            "Registrazione avviata: l'utente riceverà la e-mail con la username."
        }
        UserAction::Resend => {
            um::resend(pool, config, &m, id).await?;
            "E-mail con la username inviata di nuovo: i link precedenti non funzionano più."
        }
        UserAction::Disable => {
            um::disable(pool, &m, id).await?;
            "Utente disabilitato: non può più accedere."
        }
        UserAction::Enable => {
            um::enable(pool, &m, id).await?;
            "Utente riabilitato."
        }
    };
    done(&session, message).await
}

/// The route of a one-button action.
pub(super) fn user_action_route(action: UserAction) -> axum::routing::MethodRouter<AppState> {
    post(
        move |s: State<AppState>,
              u: CurrentUser,
              c: ClientAddr,
              session: Session,
              p: Path<String>,
              f: CsrfForm<Empty>| { user_action(action, s, u, c, session, p, f) },
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
}

fn parse_ids(raw: &[String]) -> Result<Vec<Uuid>, AppError> {
    raw.iter().map(|id| parse_id(id)).collect()
}

/// "Registra i selezionati": saved users and lines with a referent, in one go.
pub(super) async fn register_many(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    if form.user_id.is_empty() && form.line_id.is_empty() {
        return done(&session, "Nessuna riga selezionata.").await;
    }
    if form.user_id.len() + form.line_id.len() > 2 * roster::PAGE_SIZE as usize {
        return Err(AppError::BadForm);
    }
    let (user_ids, line_ids) = (parse_ids(&form.user_id)?, parse_ids(&form.line_id)?);
    let mut sent = um::register_many(&state.pool, &state.config, &m, &user_ids).await?;
    let (from_lines, skipped) =
        um::register_lines(&state.pool, &state.config, &m, &line_ids).await?;
    sent += from_lines;
    let mut message =
        format!("Registrazione avviata per {sent} utenti: riceveranno la e-mail con la username.");
    if !skipped.is_empty() {
        message.push_str(&format!(
            " Da completare con «Aggiorna» (dati mancanti o username già in uso): {}.",
            skipped.join(", ")
        ));
    }
    done(&session, &message).await
}
