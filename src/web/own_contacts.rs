//! `/area-clienti/profilo/contatti…`: a user changes their own e-mail and mobile after
//! typing the current password again. A new contact is only pending until proven — the
//! code sent by SMS to the new number (`…/contatti/cellulare`, field `code`), the link sent
//! to the new address (`web::email_confirmation`) — and can be cancelled
//! (`…/contatti/annulla`, field `contatto`). Use cases in `credentials::contact_change`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::account::layout_for;
use super::pages::{ContactsPage, FormErrors};
use crate::actor::Actor;
use crate::credentials::contact_change;
use crate::credentials::contact_proof::{self, MobileCodeError};
use crate::credentials::self_service::SelfServiceError;
use crate::db::pending_contacts::ContactKind;
use crate::db::users::User;
use crate::domain::phone::grouped;
use crate::domain::{EmailAddress, PhoneNumber};
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, CurrentUser, flash};
use crate::web::outcome;

const CONTACTS: &str = "/area-clienti/profilo/contatti";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(CONTACTS, get(contacts_form).post(change_contacts))
        .route(
            "/area-clienti/profilo/contatti/cellulare",
            post(confirm_mobile),
        )
        .route("/area-clienti/profilo/contatti/annulla", post(cancel))
}

/// The page with the account's contacts in the form and the changes waiting for a proof.
async fn page(
    state: &AppState,
    user: &User,
    csrf: String,
    notice: Option<String>,
    errors: FormErrors,
) -> Result<ContactsPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let pending = contact_change::pending(&mut conn, user.id, state.clock.now()).await?;
    Ok(ContactsPage {
        email: user.email.to_string(),
        mobile: user
            .mobile
            .as_ref()
            .map(PhoneNumber::grouped)
            .unwrap_or_default(),
        layout: layout_for(user, csrf),
        errors,
        notice,
        pending_email: pending.email,
        pending_mobile: pending.mobile.as_deref().map(grouped),
    })
}

async fn contacts_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<ContactsPage, AppError> {
    let notice = flash::take(&session).await?;
    page(&state, &user, csrf, notice, FormErrors::default()).await
}

#[derive(Deserialize)]
struct ContactsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    current_password: String,
}

async fn change_contacts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<ContactsForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::default();
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let mobile = errors.check("mobile", PhoneNumber::parse_optional(&form.mobile));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut notice = None;
    if let (Some(email), Some(mobile)) = (&email, &mobile) {
        let actor = Actor::user(user.id, &user.username, client);
        let (pool, config, hasher) = (&state.pool, &state.config, &state.hasher);
        let typed = (email, mobile.as_ref());
        let password = &form.current_password;
        let now = state.clock.now();
        match contact_change::request(pool, config, hasher, now, &user, &actor, password, typed)
            .await
        {
            Ok(done) => return requested(&session, done).await,
            Err(SelfServiceError::TooManyRequests) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                notice = Some(outcome::CONTACT_CHANGE_TOO_MANY.to_owned());
            }
            Err(e) => errors.add("current_password", super::own_account::refusal(e)?),
        }
    }
    let csrf = csrf.token().await?;
    let mut shown = page(&state, &user, csrf, notice, errors).await?;
    shown.email = form.email.chars().take(254).collect();
    shown.mobile = form.mobile.chars().take(32).collect();
    Ok((status, shown).into_response())
}

/// Where the form leads: back to this page, saying what waits for a proof.
async fn requested(
    session: &Session,
    done: contact_change::Requested,
) -> Result<Response, AppError> {
    let message = if done.email_link_sent || done.mobile_code_sent {
        outcome::contact_change_requested(done.email_link_sent, done.mobile_code_sent)
    } else if done.mobile_removed {
        outcome::MOBILE_REMOVED.to_owned()
    } else {
        return Ok(Redirect::to("/area-clienti/profilo").into_response());
    };
    flash::set(session, message).await?;
    Ok(Redirect::to(CONTACTS).into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn confirm_mobile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let typed: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut errors = FormErrors::default();
    let mut notice = None;
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        errors.add("code", "Il codice di verifica è formato da 6 cifre.");
    } else {
        let actor = Actor::user(user.id, &user.username, client);
        let now = state.clock.now();
        match contact_proof::confirm_mobile(&state.pool, now, &user, &actor, &typed).await {
            Ok(()) => {
                flash::set(&session, outcome::MOBILE_CONFIRMED.to_owned()).await?;
                return Ok(Redirect::to(CONTACTS).into_response());
            }
            Err(MobileCodeError::Wrong { remaining }) => {
                errors.add("code", outcome::wrong_mobile_code(remaining));
            }
            Err(MobileCodeError::Exhausted) => notice = Some(outcome::MOBILE_CODE_EXHAUSTED),
            Err(MobileCodeError::Expired) => notice = Some(outcome::MOBILE_CODE_EXPIRED),
            Err(MobileCodeError::NothingPending) => notice = Some(outcome::MOBILE_NOTHING_PENDING),
            Err(MobileCodeError::Internal(e)) => return Err(AppError::Internal(e)),
        }
    }
    let csrf = csrf.token().await?;
    let notice = notice.map(str::to_owned);
    let shown = page(&state, &user, csrf, notice, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, shown).into_response())
}

#[derive(Deserialize)]
struct CancelForm {
    #[serde(default)]
    contatto: String,
}

async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<CancelForm>,
) -> Result<Response, AppError> {
    let kind = match form.contatto.as_str() {
        "email" => ContactKind::Email,
        "cellulare" => ContactKind::Mobile,
        _ => return Err(AppError::BadForm),
    };
    let actor = Actor::user(user.id, &user.username, client);
    let now = state.clock.now();
    if contact_change::cancel(&state.pool, now, &user, &actor, kind).await? {
        flash::set(&session, outcome::CONTACT_CHANGE_CANCELLED.to_owned()).await?;
    }
    Ok(Redirect::to(CONTACTS).into_response())
}
