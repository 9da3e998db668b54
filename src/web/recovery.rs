//! `/recupera-password` and `/reinvio-credenziali`: the same answer whether or not the
//! account exists, given before any work is done so no timing tells them apart. The request
//! only queues a job ([`crate::credentials::request`]); the worker does the work.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::activation::{self, Journey};
use super::outcome;
use super::pages::{FormErrors, Layout, RequestPage};
use crate::credentials::request;
use crate::db::credentials::Purpose;
use crate::db::jobs::JobKind;
use crate::domain::text::{self, Lines};
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::{CsrfForm, CsrfToken};

pub const RECOVERY: Journey = Journey {
    purpose: Purpose::Recovery,
    prefix: "/recupera-password",
    title: "Scegli una nuova password",
};

const MAX_IDENTIFIER: usize = 254;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recupera-password", get(recovery_form).post(recovery))
        .route("/reinvio-credenziali", get(resend_form).post(resend))
        .merge(activation::routes(RECOVERY))
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    richiesta: String,
}

fn recovery_page(csrf: String, value: String, sent: bool, errors: FormErrors) -> RequestPage {
    RequestPage {
        layout: Layout::anonymous(csrf),
        title: "Recupera Password",
        action: "/recupera-password",
        intro: "Inserisci la tua username o l'indirizzo e-mail dell'account: ti invieremo un link per scegliere una nuova password.",
        field: "username",
        label: "Username o indirizzo e-mail",
        input_type: "text",
        autocomplete: "username",
        value,
        sent,
        sent_text: outcome::recovery_sent(),
        note: "",
        errors,
    }
}

fn resend_page(csrf: String, value: String, sent: bool, errors: FormErrors) -> RequestPage {
    RequestPage {
        layout: Layout::anonymous(csrf),
        title: "Non hai ricevuto la mail? Chiedi nuovamente l'invio",
        action: "/reinvio-credenziali",
        intro: "Inserisci l'indirizzo e-mail a cui doveva arrivare la e-mail con la username.",
        field: "email",
        label: "Indirizzo e-mail",
        input_type: "email",
        autocomplete: "email",
        value,
        sent,
        sent_text: outcome::resend_sent(),
        note: "Sei un dipendente? Puoi chiedere il reinvio anche al Rappresentante Legale della tua azienda. Il Rappresentante Legale può chiederlo anche al Servizio Clienti 191.",
        errors,
    }
}

async fn recovery_form(CsrfToken(csrf): CsrfToken, Query(done): Query<Done>) -> RequestPage {
    recovery_page(
        csrf,
        String::new(),
        done.richiesta == "inviata",
        FormErrors::default(),
    )
}

async fn resend_form(CsrfToken(csrf): CsrfToken, Query(done): Query<Done>) -> RequestPage {
    resend_page(
        csrf,
        String::new(),
        done.richiesta == "inviata",
        FormErrors::default(),
    )
}

#[derive(Deserialize)]
struct RecoveryForm {
    #[serde(default)]
    username: String,
}

#[derive(Deserialize)]
struct ResendForm {
    #[serde(default)]
    email: String,
}

/// The identifier as typed, or the message to show next to the field.
fn identifier(raw: &str, what: &str) -> Result<String, String> {
    let value = raw.trim();
    if !text::is_clean(value, Lines::Single) {
        Err("Il testo contiene caratteri non ammessi (ad esempio caratteri di controllo): correggilo e riprova.".to_owned())
    } else if value.is_empty() {
        Err(format!("Inserisci {what}."))
    } else if value.chars().count() > MAX_IDENTIFIER {
        Err(format!(
            "Il testo è troppo lungo (massimo {MAX_IDENTIFIER} caratteri)."
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// What was typed, fit to show again: refused characters dropped, length capped.
fn as_typed(raw: &str) -> String {
    raw.chars()
        .filter(|&c| !text::is_refused(c, Lines::Single))
        .take(MAX_IDENTIFIER)
        .collect()
}

async fn recovery(
    State(state): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<RecoveryForm>,
) -> Result<Response, AppError> {
    let value = match identifier(&form.username, "la username o l'indirizzo e-mail") {
        Ok(v) => v,
        Err(message) => {
            let mut errors = FormErrors::default();
            errors.add("username", message);
            let page = recovery_page(csrf, as_typed(&form.username), false, errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    request::submit(&state.pool, JobKind::Recovery, &value, client.as_deref()).await?;
    Ok(Redirect::to("/recupera-password?richiesta=inviata").into_response())
}

async fn resend(
    State(state): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    ClientAddr(client): ClientAddr,
    CsrfForm(form): CsrfForm<ResendForm>,
) -> Result<Response, AppError> {
    let value = match identifier(&form.email, "l'indirizzo e-mail") {
        Ok(v) => v,
        Err(message) => {
            let mut errors = FormErrors::default();
            errors.add("email", message);
            let page = resend_page(csrf, as_typed(&form.email), false, errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    request::submit(&state.pool, JobKind::Resend, &value, client.as_deref()).await?;
    Ok(Redirect::to("/reinvio-credenziali?richiesta=inviata").into_response())
}
