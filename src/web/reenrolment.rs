//! `/nuovo-fattore/{token}`: the link e-mailed after a reset of the factors
//! (`credentials::factor_reset`). It continues like activation — the code by SMS, or by
//! e-mail without a mobile — and the right code logs the user in only to enrol a new factor
//! at `/area-clienti/sicurezza/attiva`. The pages are activation's ([`super::activation`]).

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::AppState;
use super::activation::{self, Journey};
use crate::auth::session;
use crate::credentials::factor_reset::REENROLMENT_PREFIX;
use crate::db::credentials::Purpose;
use crate::db::users::User;
use crate::web::error::AppError;
use crate::web::kit::ThisBrowser;
use crate::web::kit::current::ENROL;

pub const REENROLMENT: Journey = Journey {
    purpose: Purpose::Reenrolment,
    prefix: REENROLMENT_PREFIX,
    title: "Attiva un nuovo fattore di accesso",
};

pub fn router() -> Router<AppState> {
    activation::routes(REENROLMENT)
}

/// The right code on the link: link + code, as at activation, so the user is in — but only
/// to enrol a new factor. A login like the others: its session row, and the browser
/// remembered (`web::second_step::after_password`).
pub(super) async fn enter(
    state: &AppState,
    session: &Session,
    browser: &ThisBrowser,
    user: &User,
) -> Result<Response, AppError> {
    let origin = browser.origin();
    session::login_to_enrol(&state.pool, &state.config, session, user, &origin).await?;
    Ok((browser.remembered(), Redirect::to(ENROL)).into_response())
}
