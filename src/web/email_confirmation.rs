//! `/conferma-email/{token}`: the link sent to a new own e-mail address. The GET shows the
//! address and a «Conferma» button and changes nothing (mail scanners open links); the POST
//! confirms, and only then the address replaces the old one (`credentials::contact_proof`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::pages::{ErrorPage, Layout};
use crate::actor::Actor;
use crate::credentials::contact_change::EMAIL_CONFIRM_PREFIX;
use crate::credentials::contact_proof;
use crate::credentials::{DeadLink, LinkError};
use crate::web::error::AppError;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, flash};
use crate::web::outcome;

pub fn router() -> Router<AppState> {
    Router::new().route(EMAIL_CONFIRM_PREFIX, get(done)).route(
        &format!("{EMAIL_CONFIRM_PREFIX}/{{token}}"),
        get(show).post(confirm),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "credentials/email_confirm.html")]
pub struct EmailConfirmPage {
    pub layout: Layout,
    pub username: String,
    pub new_email: String,
    /// Where «Conferma» posts; None once there is nothing to confirm.
    pub action: Option<String>,
    /// After confirming: what changed.
    pub done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let link = match contact_proof::open_email_link(&state.pool, now, &token).await {
        Ok(link) => link,
        Err(e) => return dead(e),
    };
    let page = EmailConfirmPage {
        layout: Layout::anonymous(csrf),
        username: link.username,
        new_email: link.new_email,
        action: Some(format!("{EMAIL_CONFIRM_PREFIX}/{token}")),
        done: None,
    };
    Ok(page.into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddr(client): ClientAddr,
    session: Session,
    _: CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let actor = Actor::visitor(client);
    let now = state.clock.now();
    if let Err(e) = contact_proof::confirm_email(&state.pool, now, &token, &actor).await {
        return dead(e);
    }
    flash::set(&session, outcome::EMAIL_CONFIRMED.to_owned()).await?;
    Ok(Redirect::to(EMAIL_CONFIRM_PREFIX).into_response())
}

/// After «Conferma» (the flash says so), or a visit without a link.
async fn done(session: Session, CsrfToken(csrf): CsrfToken) -> Result<Response, AppError> {
    let page = EmailConfirmPage {
        layout: Layout::anonymous(csrf),
        username: String::new(),
        new_email: String::new(),
        action: None,
        done: flash::take(&session).await?,
    };
    Ok(page.into_response())
}

/// A link that cannot confirm anything, with the way forward of this journey.
fn dead(e: LinkError) -> Result<Response, AppError> {
    let reason = match e {
        LinkError::Dead(reason) => reason,
        other => return Err(other.into()),
    };
    let (status, title, message) = match reason {
        DeadLink::Unknown => (
            StatusCode::NOT_FOUND,
            "Link non valido",
            "Il link che hai aperto non è valido. Controlla di averlo copiato per intero dalla e-mail.",
        ),
        DeadLink::Expired => (
            StatusCode::GONE,
            "Link scaduto",
            "Il link è scaduto e l'indirizzo non è cambiato. Dal tuo profilo puoi chiedere di nuovo la modifica.",
        ),
        DeadLink::Used => (
            StatusCode::GONE,
            "Link già usato",
            "Questo indirizzo è già stato confermato.",
        ),
        DeadLink::Superseded => (
            StatusCode::GONE,
            "Link non più valido",
            "Questa modifica è stata annullata o sostituita da una più recente: usa il link dell'ultima e-mail ricevuta, oppure chiedi di nuovo la modifica dal tuo profilo.",
        ),
    };
    let mut page = ErrorPage::new(title, message);
    page.links = vec![
        (
            "/area-clienti/profilo/contatti",
            "Modifica e-mail e cellulare",
        ),
        ("/accedi", "Accedi"),
    ];
    Ok((status, page).into_response())
}
