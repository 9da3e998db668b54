//! `/area-clienti/profilo/password` (and, in [`super::own_contacts`], `…/contatti`): every
//! user changes their own password, email and mobile, after typing the current password
//! again.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::account::layout_for;
use super::pages::{FormErrors, OwnPasswordPage};
use crate::actor::Actor;
use crate::auth::session;
use crate::credentials::self_service::{self, SelfServiceError};
use crate::domain::Password;
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::Csrf;
use crate::web::kit::{CsrfForm, CsrfToken, CurrentUser, flash};
use crate::web::outcome;

pub fn router() -> Router<AppState> {
    Router::new().merge(super::own_contacts::router()).route(
        "/area-clienti/profilo/password",
        get(password_form).post(change_password),
    )
}

/// What to say next to the current password, or the error page.
pub(super) fn refusal(e: SelfServiceError) -> Result<String, AppError> {
    match e {
        SelfServiceError::WrongPassword => Ok(outcome::WRONG_CURRENT_PASSWORD.to_owned()),
        SelfServiceError::Throttled { wait_secs } => {
            Ok(outcome::current_password_throttled(wait_secs))
        }
        SelfServiceError::TooManyRequests => Ok(outcome::CONTACT_CHANGE_TOO_MANY.to_owned()),
        SelfServiceError::Hashing(e) => Err(e.into()),
        SelfServiceError::Internal(e) => Err(AppError::Internal(e)),
    }
}

async fn password_form(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
) -> OwnPasswordPage {
    OwnPasswordPage {
        username: user.username.clone(),
        layout: layout_for(&user, csrf),
        errors: FormErrors::default(),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::default();
    let local_part = user.email.local_part();
    let personal = [
        user.username.as_str(),
        user.first_name.as_str(),
        user.last_name.as_str(),
        local_part,
    ];
    match Password::parse(&form.password, &form.password_confirm, &personal) {
        Err(e) => errors.add(e.field(), e.to_string()),
        Ok(password) => {
            let actor = Actor::user(user.id, &user.username, client);
            match self_service::change_password(
                &state.pool,
                &state.hasher,
                &user,
                &actor,
                &form.current_password,
                &password,
            )
            .await
            {
                Ok(updated) => {
                    // Every other session ended with the new epoch; this one continues under a new id.
                    session::renew(&state.pool, &session, &updated).await?;
                    flash::set(&session, outcome::PASSWORD_CHANGED.to_owned()).await?;
                    return Ok(Redirect::to("/area-clienti/profilo").into_response());
                }
                Err(e) => errors.add("current_password", refusal(e)?),
            }
        }
    }
    let page = OwnPasswordPage {
        username: user.username.clone(),
        layout: layout_for(&user, csrf.token().await?),
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
