//! `/assistenza…`: the Servizio Clienti 191 console, behind its own login and session.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::AppState;
use super::support_views::{self as views, CompanySheet, SearchPage, StaffLoginPage};
use crate::auth::login::{self, Credentials, LoginOutcome};
use crate::auth::staff;
use crate::db::{companies, support as queries};
use crate::support::{self, ResendError};
use crate::web::error::AppError;
use crate::web::kit::ClientAddr;
use crate::web::kit::{CsrfForm, CsrfToken, CurrentStaff, flash};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assistenza", get(search))
        .route("/assistenza/accedi", get(login_form).post(login))
        .route("/assistenza/esci", post(logout))
        .route("/assistenza/aziende/{company_id}", get(company))
        .route("/assistenza/utenti/{user_id}/reinvia", post(resend))
}

async fn login_form(CsrfToken(csrf): CsrfToken) -> StaffLoginPage {
    views::login_page(csrf, String::new(), false, false)
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
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let typed_in = Credentials {
        username: &form.username,
        password: &form.password,
        client: client.as_deref(),
    };
    let status = match login::staff(&state.pool, &state.hasher, &typed_in).await? {
        LoginOutcome::LoggedIn(staff_user) => {
            staff::login(&session, &staff_user).await?;
            return Ok(Redirect::to("/assistenza").into_response());
        }
        LoginOutcome::Refused => StatusCode::UNAUTHORIZED,
        LoginOutcome::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
    };
    let csrf = crate::web::kit::csrf::token_of(&session).await?;
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
    let page = super::page_number(&params.pagina, 100_000);
    let hits = if q.chars().count() >= 2 {
        let mut conn = state.pool.acquire().await?;
        queries::search(&mut conn, &support::search_terms(&q), page - 1).await?
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
    Path(company_id): Path<String>,
) -> Result<CompanySheet, AppError> {
    let company_id = Uuid::parse_str(&company_id).map_err(|_| AppError::NotFound)?;
    let flash = flash::take(&session).await?;
    sheet(&state, csrf, &staff_user.username, company_id, flash, None).await
}

/// Everything support sees of a company.
async fn sheet(
    state: &AppState,
    csrf: String,
    staff: &str,
    company_id: Uuid,
    flash: Option<String>,
    reason_error: Option<(Uuid, &'static str)>,
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
        audit: crate::db::audit::company_page(&mut conn, company_id, 50, 0).await?,
    };
    Ok(views::company_sheet(
        csrf,
        staff,
        company,
        data,
        flash,
        reason_error,
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
    Path(user_id): Path<String>,
    CsrfForm(form): CsrfForm<ResendForm>,
) -> Result<Response, AppError> {
    let user_id = Uuid::parse_str(&user_id).map_err(|_| AppError::NotFound)?;
    let reason = form.reason.trim();
    let company_id = {
        let mut conn = state.pool.acquire().await?;
        crate::db::users::find(&mut conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?
            .company_id
    };
    let back = format!("/assistenza/aziende/{company_id}");
    if reason.chars().count() < 3 || reason.chars().count() > 200 {
        let csrf = crate::web::kit::csrf::token_of(&session).await?;
        let error = (
            user_id,
            "Indica il motivo o il numero del ticket (da 3 a 200 caratteri).",
        );
        let page = sheet(
            &state,
            csrf,
            &staff_user.username,
            company_id,
            None,
            Some(error),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let message = match support::resend(
        &state.pool,
        &state.config,
        &staff_user,
        client,
        user_id,
        reason,
    )
    .await
    {
        Ok(_) => {
            "Credenziali inviate di nuovo all'indirizzo registrato; l'utente riceve anche un avviso."
        }
        Err(ResendError::Refused(why)) => why,
        Err(ResendError::NotFound) => return Err(AppError::NotFound),
        Err(ResendError::Internal(e)) => return Err(AppError::Internal(e)),
    };
    flash::set(&session, message.to_owned()).await?;
    Ok(Redirect::to(&back).into_response())
}
