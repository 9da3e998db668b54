//! `/recupera-password` and `/reinvio-credenziali`: the same answer whether or not the
//! account exists, given before any work is done so no timing tells them apart; the work
//! runs afterwards and its messages leave through the outbox.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::activation::{self, Journey};
use super::pages::{FormErrors, Layout, RequestPage};
use crate::credentials::recovery;
use crate::db::credentials::Purpose;
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
        sent_text: "Se i dati corrispondono a un account dell'Area Clienti, riceverai a breve una e-mail con il link per scegliere una nuova password. Il link è valido 1 ora. Se non hai ancora attivato l'accesso, riceverai invece la e-mail con la username.",
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
        sent_text: "Se l'indirizzo corrisponde a un account dell'Area Clienti, riceverai a breve una e-mail: con la username e il link di attivazione se non hai ancora attivato l'accesso, oppure con la username e il link per scegliere una nuova password se l'accesso è già attivo. I link precedenti non funzionano più.",
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
    if value.is_empty() {
        Err(format!("Inserisci {what}."))
    } else if value.chars().count() > MAX_IDENTIFIER {
        Err(format!(
            "Il testo è troppo lungo (massimo {MAX_IDENTIFIER} caratteri)."
        ))
    } else {
        Ok(value.to_owned())
    }
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
            let typed = form.username.chars().take(MAX_IDENTIFIER).collect();
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                recovery_page(csrf, typed, false, errors),
            )
                .into_response());
        }
    };
    tokio::spawn(async move {
        if let Err(error) =
            recovery::request_recovery(&state.pool, &state.config, &value, client).await
        {
            tracing::error!(error = ?error, "password recovery request failed");
        }
    });
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
            let typed = form.email.chars().take(MAX_IDENTIFIER).collect();
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                resend_page(csrf, typed, false, errors),
            )
                .into_response());
        }
    };
    tokio::spawn(async move {
        if let Err(error) =
            recovery::request_resend(&state.pool, &state.config, &value, client).await
        {
            tracing::error!(error = ?error, "credential resend request failed");
        }
    });
    Ok(Redirect::to("/reinvio-credenziali?richiesta=inviata").into_response())
}
