//! The pages behind an emailed link (`/attivazione/{token}`; recovery reuses them):
//! show the username, send the code, check it, choose the password.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::pages::{FormErrors, Layout, LinkPage, PasswordPage};
use super::{AppState, outcome};
use crate::actor::Actor;
use crate::credentials::{self, CodeError, LinkView, SendCodeError, Step};
use crate::db::credentials::Purpose;
use crate::domain::Password;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{ClientAddr, ThisBrowser, flash};
use crate::web::kit::{CsrfForm, CsrfToken};
use crate::web::second_step::after_new_password;

/// One kind of emailed link: where its pages live and what they are called.
#[derive(Debug, Clone, Copy)]
pub struct Journey {
    pub purpose: Purpose,
    pub prefix: &'static str,
    pub title: &'static str,
}

pub const ACTIVATION: Journey = Journey {
    purpose: Purpose::Activation,
    prefix: "/attivazione",
    title: "Attiva il tuo accesso",
};

pub fn router() -> Router<AppState> {
    routes(ACTIVATION)
}

/// The four routes of a journey under its prefix (a re-enrolment link never reaches the
/// password step: its code uses it up).
pub fn routes(j: Journey) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{}/{{token}}", j.prefix),
            get(move |s: State<AppState>, t: Path<String>, c: CsrfToken| show(j, s, t, c)).post(
                move |s: State<AppState>,
                      t: Path<String>,
                      b: ThisBrowser,
                      session: Session,
                      csrf: Csrf,
                      f: CsrfForm<CodeForm>| {
                    check_code(j, s, t, b, session, csrf, f)
                },
            ),
        )
        .route(
            &format!("{}/{{token}}/codice", j.prefix),
            post(
                move |s: State<AppState>,
                      t: Path<String>,
                      a: ClientAddr,
                      csrf: Csrf,
                      f: CsrfForm<Empty>| { send_code(j, s, t, a, csrf, f) },
            ),
        )
        .route(
            &format!("{}/{{token}}/password", j.prefix),
            get(move |s: State<AppState>, t: Path<String>, c: CsrfToken| password_form(j, s, t, c))
                .post(
                    move |s: State<AppState>,
                          t: Path<String>,
                          b: ThisBrowser,
                          session: Session,
                          csrf: Csrf,
                          f: CsrfForm<PasswordForm>| {
                        set_password(j, s, t, b, session, csrf, f)
                    },
                ),
        )
}

#[derive(Deserialize)]
pub struct Empty {}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

fn base(j: Journey, token: &str) -> String {
    format!("{}/{token}", j.prefix)
}

fn link_page(j: Journey, token: &str, view: LinkView, csrf: String) -> LinkPage {
    LinkPage {
        layout: Layout::anonymous(csrf),
        title: j.title,
        base: base(j, token),
        username: view.user.username,
        masked_mobile: view.masked_mobile,
        code_pending: view.step == Step::CodePending,
        notice: None,
        errors: FormErrors::default(),
    }
}

#[tracing::instrument(skip_all, fields(purpose = ?j.purpose))]
async fn show(
    j: Journey,
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, AppError> {
    let view = credentials::link::open(&state.pool, state.clock.now(), &token, j.purpose).await?;
    if view.step == Step::ChoosePassword {
        return Ok(Redirect::to(&format!("{}/password", base(j, &token))).into_response());
    }
    let mut page = link_page(j, &token, view, csrf);
    if page.code_pending {
        page.notice = Some(outcome::code_sent(page.masked_mobile.as_deref()));
    }
    Ok(page.into_response())
}

#[tracing::instrument(skip_all, fields(purpose = ?j.purpose))]
async fn send_code(
    j: Journey,
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddr(client): ClientAddr,
    csrf: Csrf,
    _: CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let actor = Actor::visitor(client);
    let refusal = match credentials::code::send_code(
        &state.pool,
        state.clock.now(),
        &token,
        j.purpose,
        &actor,
    )
    .await
    {
        Ok(()) => return Ok(Redirect::to(&base(j, &token)).into_response()),
        Err(SendCodeError::Link(e)) => return Err(e.into()),
        Err(SendCodeError::TooSoon) => {
            "Ti abbiamo appena inviato un codice: attendi un minuto prima di chiederne un altro."
        }
        Err(SendCodeError::HourlyLimit) => {
            "Hai chiesto troppi codici nell'ultima ora. Riprova più tardi o chiama il Servizio Clienti 191."
        }
        Err(SendCodeError::CompanyDailyLimit) => {
            "Oggi la tua azienda ha già ricevuto il numero massimo di codici di verifica. Riprova domani o chiama il Servizio Clienti 191."
        }
    };
    let view = credentials::link::open(&state.pool, state.clock.now(), &token, j.purpose).await?;
    let mut page = link_page(j, &token, view, csrf.token().await?);
    page.notice = Some(refusal.to_owned());
    Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
}

#[tracing::instrument(skip_all, fields(purpose = ?j.purpose))]
async fn check_code(
    j: Journey,
    State(state): State<AppState>,
    Path(token): Path<String>,
    browser: ThisBrowser,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let typed: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let message = if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        "Il codice di verifica è formato da 6 cifre.".to_owned()
    } else {
        match credentials::code::verify_code(
            &state.pool,
            state.clock.now(),
            &token,
            j.purpose,
            &typed,
            &Actor::visitor(browser.client_addr.clone()),
        )
        .await
        {
            Ok(user) if j.purpose == Purpose::Reenrolment => {
                return super::reenrolment::enter(&state, &session, &browser, &user).await;
            }
            Ok(_) => {
                return Ok(Redirect::to(&format!("{}/password", base(j, &token))).into_response());
            }
            Err(CodeError::Link(e)) => return Err(e.into()),
            Err(CodeError::Wrong { remaining: 1 }) => {
                "Codice errato. Hai ancora 1 tentativo.".to_owned()
            }
            Err(CodeError::Wrong { remaining }) => {
                format!("Codice errato. Hai ancora {remaining} tentativi.")
            }
            Err(CodeError::Exhausted) => {
                "Hai sbagliato il codice troppe volte: chiedi un nuovo codice.".to_owned()
            }
            Err(CodeError::Expired) => "Il codice è scaduto: chiedi un nuovo codice.".to_owned(),
            Err(CodeError::NoCode) => "Prima chiedi l'invio del codice di verifica.".to_owned(),
        }
    };
    let view = credentials::link::open(&state.pool, state.clock.now(), &token, j.purpose).await?;
    let mut page = link_page(j, &token, view, csrf.token().await?);
    page.errors.add("code", message);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn password_form(
    j: Journey,
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response, AppError> {
    let view = credentials::link::open(&state.pool, state.clock.now(), &token, j.purpose).await?;
    if view.step != Step::ChoosePassword {
        return Ok(Redirect::to(&base(j, &token)).into_response());
    }
    let page = PasswordPage {
        layout: Layout::anonymous(csrf),
        title: j.title,
        base: base(j, &token),
        username: view.user.username,
        errors: FormErrors::default(),
    };
    Ok(page.into_response())
}

#[tracing::instrument(skip_all, fields(purpose = ?j.purpose))]
async fn set_password(
    j: Journey,
    State(state): State<AppState>,
    Path(token): Path<String>,
    browser: ThisBrowser,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let view = credentials::link::open(&state.pool, state.clock.now(), &token, j.purpose).await?;
    if view.step != Step::ChoosePassword {
        return Ok(Redirect::to(&base(j, &token)).into_response());
    }
    let user = &view.user;
    let local_part = user.email.local_part();
    let personal = [
        user.username.as_str(),
        user.first_name.as_str(),
        user.last_name.as_str(),
        local_part,
    ];
    let password = match Password::parse(&form.password, &form.password_confirm, &personal) {
        Ok(p) => p,
        Err(e) => {
            let mut errors = FormErrors::default();
            errors.add(e.field(), e.to_string());
            let csrf = csrf.token().await?;
            let page = PasswordPage {
                layout: Layout::anonymous(csrf),
                title: j.title,
                base: base(j, &token),
                username: user.username.clone(),
                errors,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let actor = Actor::visitor(browser.client_addr.clone());
    let user = credentials::link::set_password(
        &state.pool,
        state.clock.now(),
        &state.hasher,
        &token,
        j.purpose,
        &password,
        &actor,
    )
    .await?;
    tracing::info!(user_id = %user.id, "password set");
    let said = match j.purpose {
        Purpose::Activation => outcome::account_activated(&user.username),
        _ => outcome::PASSWORD_RESET.to_owned(),
    };
    flash::set(&session, said).await?;
    after_new_password(&state, &session, &browser, &user).await
}
