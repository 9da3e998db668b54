//! `/assistenza…`: the Servizio Clienti 191 console, behind its own login and session.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::AppState;
use super::support_access;
use super::support_views::{self as views, CompanySheet, SearchPage, SheetErrors, StaffLoginPage};
use crate::auth::login::{self, Credentials, LoginOutcome};
use crate::db::{companies, support as queries};
use crate::domain::text::{self, Lines};
use crate::support::{self, ResendError};
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::Csrf;
use crate::web::kit::{
    CompanyId, CsrfForm, CsrfToken, CurrentStaff, MessageId, Page, UserId, flash,
};
use crate::web::outcome;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assistenza", get(search))
        .route("/assistenza/accedi", get(login_form).post(login))
        .route("/assistenza/esci", post(logout))
        .route("/assistenza/aziende/{company_id}", get(company))
        .route("/assistenza/utenti/{user_id}/reinvia", post(resend))
        .route("/assistenza/messaggi/{message_id}/reinvia", post(requeue))
        .route(
            "/assistenza/utenti/{user_id}/azzera-fattori",
            post(super::support_factors::reset_factors),
        )
        .merge(super::support_access::router())
}

/// The login form, with the reason a second step ended if it just did.
async fn login_form(
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<StaffLoginPage, AppError> {
    let notice = flash::take(&session).await?;
    Ok(views::login_page(csrf, String::new(), false, false).with_notice(notice))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(client): ClientAddr,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let typed_in = Credentials {
        username: &form.username,
        password: &form.password,
        client: client.as_deref(),
    };
    let status = match login::staff(&state.pool, &state.hasher, &typed_in).await? {
        LoginOutcome::LoggedIn(verified) => {
            let to = support_access::after_password(&session, &verified, &form.username).await?;
            return Ok(to.into_response());
        }
        LoginOutcome::Refused => StatusCode::UNAUTHORIZED,
        LoginOutcome::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
    };
    let csrf = csrf.token().await?;
    let typed = login::typed(&form.username);
    let throttled = status == StatusCode::TOO_MANY_REQUESTS;
    Ok((status, views::login_page(csrf, typed, true, throttled)).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(session: Session, CsrfForm(_): CsrfForm<Empty>) -> Result<Redirect, AppError> {
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Redirect::to("/assistenza/accedi"))
}

#[derive(Deserialize, Default)]
struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    pagina: String,
}

async fn search(
    State(state): State<AppState>,
    CurrentStaff(staff_user): CurrentStaff,
    CsrfToken(csrf): CsrfToken,
    Query(params): Query<SearchParams>,
) -> Result<SearchPage, AppError> {
    let q: String = params.q.trim().chars().take(100).collect();
    let page = Page::read(&params.pagina, queries::SEARCH_PAGE, 100_000);
    // Control characters match no company, and never reach SQL (issue 17).
    let hits = if q.chars().count() >= 2 && text::is_clean(&q, Lines::Single) {
        let mut conn = state.pool.acquire().await?;
        queries::search(&mut conn, &support::search_terms(&q), page.offset()).await?
    } else {
        Vec::new()
    };
    Ok(views::search_page(
        csrf,
        &staff_user.username,
        q,
        page,
        hits,
    ))
}

async fn company(
    State(state): State<AppState>,
    CurrentStaff(staff_user): CurrentStaff,
    CsrfToken(csrf): CsrfToken,
    session: Session,
    CompanyId(company_id): CompanyId,
) -> Result<CompanySheet, AppError> {
    let flash = flash::take(&session).await?;
    let errors = SheetErrors::default();
    sheet(
        &state,
        csrf,
        &staff_user.username,
        company_id,
        flash,
        errors,
    )
    .await
}

/// Everything support sees of a company; `errors` puts a message next to one user's form.
pub(super) async fn sheet(
    state: &AppState,
    csrf: String,
    staff: &str,
    company_id: Uuid,
    flash: Option<String>,
    errors: SheetErrors,
) -> Result<CompanySheet, AppError> {
    let mut conn = state.pool.acquire().await?;
    let company = companies::find(&mut conn, company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let data = views::SheetData {
        contracts: queries::contracts(&mut conn, company_id).await?,
        users: queries::users(&mut conn, company_id, 500).await?,
        lines: queries::lines(&mut conn, company_id, views::LINES_SHOWN).await?,
        line_count: crate::db::lines::count_for_company(&mut conn, company_id).await?,
        messages: queries::messages(&mut conn, company_id, 50).await?,
        audit: crate::db::audit::trail(&mut conn, company_id, &Default::default(), 50, 0).await?,
        handover: crate::db::events::last_handover(&mut conn, company_id).await?,
        closure: crate::db::events::closure_of(&mut conn, company_id).await?,
        last_review: crate::db::access_reviews::last_review(&mut conn, company_id).await?,
        now: state.clock.now(),
    };
    Ok(views::company_sheet(
        csrf, staff, company, data, flash, errors,
    ))
}

#[derive(Deserialize)]
struct ResendForm {
    #[serde(default)]
    reason: String,
}

async fn resend(
    State(state): State<AppState>,
    CurrentStaff(staff_user): CurrentStaff,
    ClientAddr(client): ClientAddr,
    session: Session,
    UserId(user_id): UserId,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<ResendForm>,
) -> Result<Response, AppError> {
    let reason = form.reason.trim();
    let company_id = {
        let mut conn = state.pool.acquire().await?;
        crate::db::users::find(&mut conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?
            .company_id
    };
    let back = format!("/assistenza/aziende/{company_id}");
    let length_ok = (3..=200).contains(&reason.chars().count());
    let refused = match text::checked(reason, Lines::Single) {
        Err(e) => Some(e.to_string()),
        Ok(_) if !length_ok => Some(outcome::SUPPORT_REASON_REQUIRED.to_owned()),
        Ok(_) => None,
    };
    if let Some(message) = refused {
        let csrf = csrf.token().await?;
        let errors = SheetErrors {
            resend: Some((user_id, message)),
            ..SheetErrors::default()
        };
        let page = sheet(&state, csrf, &staff_user.username, company_id, None, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let message = match support::resend(
        &state.pool,
        &state.config,
        &state.clock,
        &staff_user,
        client,
        user_id,
        reason,
    )
    .await
    {
        Ok(_) => outcome::SUPPORT_CREDENTIALS_RESENT,
        Err(ResendError::Refused(why)) => why,
        Err(ResendError::NotFound) => return Err(AppError::NotFound),
        Err(ResendError::Internal(e)) => return Err(AppError::Internal(e)),
    };
    flash::set(&session, message.to_owned()).await?;
    Ok(Redirect::to(&back).into_response())
}

/// "Invia di nuovo" on a failed or expired message of the sheet: a fresh one goes out.
async fn requeue(
    State(state): State<AppState>,
    CurrentStaff(staff_user): CurrentStaff,
    ClientAddr(client): ClientAddr,
    session: Session,
    MessageId(message_id): MessageId,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let company_id = {
        let mut conn = state.pool.acquire().await?;
        crate::db::outbox::company_of(&mut conn, message_id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let message = match support::requeue_message(
        &state.pool,
        &state.config,
        &state.clock,
        &staff_user,
        client,
        message_id,
    )
    .await
    {
        Ok(_) => outcome::SUPPORT_MESSAGE_REQUEUED,
        Err(ResendError::Refused(why)) => why,
        Err(ResendError::NotFound) => return Err(AppError::NotFound),
        Err(ResendError::Internal(e)) => return Err(AppError::Internal(e)),
    };
    flash::set(&session, message.to_owned()).await?;
    Ok(Redirect::to(&format!("/assistenza/aziende/{company_id}")).into_response())
}
