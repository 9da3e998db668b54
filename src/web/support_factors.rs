//! `POST /assistenza/utenti/{user_id}/azzera-fattori` (field `motivo`): Servizio Clienti 191
//! resets a customer's factors from the company sheet, with the reason (use case in
//! `support::reset_factors`). A missing or unfit reason re-renders the sheet with 422.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::support::sheet;
use super::support_views::SheetErrors;
use crate::domain::text::{self, Lines};
use crate::support::{self, ResetError};
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::{ClientAddr, CsrfForm, CurrentStaff, UserId, flash};
use crate::web::outcome;

/// Longest reason accepted, in characters.
const MAX_REASON: usize = 500;

#[derive(Deserialize)]
pub(super) struct ResetForm {
    #[serde(default)]
    motivo: String,
}

pub(super) async fn reset_factors(
    State(state): State<AppState>,
    CurrentStaff(staff_user): CurrentStaff,
    ClientAddr(client): ClientAddr,
    session: Session,
    UserId(user_id): UserId,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let reason = form.motivo.trim();
    let company_id = {
        let mut conn = state.pool.acquire().await?;
        crate::db::users::find(&mut conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?
            .company_id
    };
    if let Some(message) = refused(reason) {
        let typed = as_typed(&form.motivo);
        let errors = SheetErrors {
            reset: Some((user_id, message, typed)),
            ..SheetErrors::default()
        };
        let csrf = csrf.token().await?;
        let staff = &staff_user.username;
        let page = sheet(&state, csrf, staff, company_id, None, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let (pool, config, clock) = (&state.pool, &state.config, &state.clock);
    let done =
        support::reset_factors(pool, config, clock, &staff_user, client, user_id, reason).await;
    let message = match done {
        Ok(_) => outcome::SUPPORT_FACTORS_RESET,
        Err(ResetError::NotActive) => outcome::SUPPORT_FACTORS_NOT_RESETTABLE,
        Err(ResetError::NotFound) => return Err(AppError::NotFound),
        Err(ResetError::Internal(e)) => return Err(AppError::Internal(e)),
    };
    flash::set(&session, message.to_owned()).await?;
    Ok(Redirect::to(&format!("/assistenza/aziende/{company_id}")).into_response())
}

/// Why `reason` cannot be used, if it cannot: required, clean, at most 500 characters.
fn refused(reason: &str) -> Option<String> {
    match text::checked(reason, Lines::Multi) {
        Err(e) => Some(e.to_string()),
        Ok(r) if r.is_empty() || r.chars().count() > MAX_REASON => {
            Some(outcome::SUPPORT_RESET_REASON_REQUIRED.to_owned())
        }
        Ok(_) => None,
    }
}

/// The reason as typed, fit to show again: refused characters dropped, length capped.
fn as_typed(raw: &str) -> String {
    raw.chars()
        .filter(|&c| !text::is_refused(c, Lines::Multi))
        .take(MAX_REASON)
        .collect()
}
