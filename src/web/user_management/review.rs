//! `/area-clienti/gestione-utenze/revisione`: the access review (CONTRACT.md §4c). Each user
//! with profile, line, state and last access, the never-activated and the dormant pointed
//! out; the legal representative confirms (`confirm`) or disables (`disable`) in one submit.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::{manager, require_manager};
use crate::db::access_reviews::{self, ReviewRow};
use crate::db::users::User;
use crate::domain::{PhoneNumber, RegistrationState};
use crate::user_management::review::{self, DORMANT_AFTER};
use crate::user_management::{Target, allowed_actions};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::kit::path::form_ids;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, CurrentUser, flash};
use crate::web::outcome;
use crate::web::pages::Layout;

const PATH: &str = "/area-clienti/gestione-utenze/revisione";
/// Users listed at most (the biggest companies have far fewer web users than lines).
const MAX_USERS: i64 = 2_000;

pub struct ReviewUser {
    pub id: String,
    pub name: String,
    pub username: String,
    pub profile: &'static str,
    pub line: String,
    pub state: &'static str,
    pub state_label: &'static str,
    /// "12/09/2026 alle 10:15", or "mai".
    pub last_access: String,
    pub never_activated: bool,
    /// Days without an access, when past the dormant threshold.
    pub dormant_days: Option<i64>,
    /// The manager may disable this user (others show no choice).
    pub choice: bool,
    pub keep_checked: bool,
    pub disable_checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_management/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub flash: Option<String>,
    pub error: Option<String>,
    /// (when, by whom) of the last review.
    pub last_review: Option<(String, String)>,
    pub users: Vec<ReviewUser>,
    pub dormant_days: i64,
}

fn review_user(
    manager: &User,
    row: ReviewRow,
    now: OffsetDateTime,
    checked: Option<(&[String], &[String])>,
) -> ReviewUser {
    let choice = allowed_actions(
        manager,
        Target {
            id: row.id,
            profile: row.profile,
            state: row.state,
        },
    )
    .disable;
    let id = row.id.to_string();
    // Dormant: no access (or, never logged in since, no activation) for DORMANT_AFTER.
    let since = row.last_access.or(row.activated_at);
    let dormant_days = since.map(|at| (now - at).whole_days()).filter(|days| {
        *days >= DORMANT_AFTER.whole_days() && row.state == RegistrationState::Active
    });
    let (keep_checked, disable_checked) = match checked {
        Some((keep, disable)) => (keep.contains(&id), disable.contains(&id)),
        None => (choice, false),
    };
    ReviewUser {
        name: format!("{} {}", row.first_name, row.last_name)
            .trim()
            .to_owned(),
        username: row.username,
        profile: row.profile.label(),
        line: row
            .line
            .as_ref()
            .map(PhoneNumber::grouped)
            .unwrap_or_default(),
        state: row.state.as_str(),
        state_label: row.state.label(),
        last_access: row
            .last_access
            .map(crate::clock::in_rome_words)
            .unwrap_or_else(|| "mai".to_owned()),
        never_activated: row.activated_at.is_none(),
        dormant_days,
        choice: choice && row.state != RegistrationState::Disabled,
        keep_checked,
        disable_checked,
        id,
    }
}

async fn page(
    state: &AppState,
    user: &User,
    csrf: String,
    flash: Option<String>,
    error: Option<String>,
    checked: Option<(&[String], &[String])>,
) -> Result<ReviewPage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let rows = access_reviews::users(&mut conn, user.company_id, MAX_USERS).await?;
    let last = access_reviews::last_review(&mut conn, user.company_id).await?;
    let now = state.clock.now();
    Ok(ReviewPage {
        layout: super::super::account::layout_for(user, csrf),
        flash,
        error,
        last_review: last.map(|l| (crate::clock::in_rome_words(l.reviewed_at), l.reviewer_label)),
        users: rows
            .into_iter()
            .map(|r| review_user(user, r, now, checked))
            .collect(),
        dormant_days: DORMANT_AFTER.whole_days(),
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<ReviewPage, AppError> {
    require_manager(&user)?;
    let flash = flash::take(&session).await?;
    page(&state, &user, csrf, flash, None, None).await
}

#[derive(Deserialize)]
pub(super) struct ReviewForm {
    /// Users to keep.
    #[serde(default)]
    confirm: Vec<String>,
    /// Users to disable.
    #[serde(default)]
    disable: Vec<String>,
}

pub(super) async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    CsrfToken(csrf): CsrfToken,
    session: Session,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<Response, AppError> {
    let m = manager(&state, &user, client)?;
    if form.confirm.len() + form.disable.len() > 2 * MAX_USERS as usize {
        return Err(AppError::BadForm);
    }
    let (keep, disable) = (form_ids(&form.confirm)?, form_ids(&form.disable)?);
    if keep.iter().any(|id| disable.contains(id)) {
        let error = "Per ogni utente scegli se confermarlo o disabilitarlo, non entrambe le cose.";
        let checked = Some((form.confirm.as_slice(), form.disable.as_slice()));
        let page = page(&state, &user, csrf, None, Some(error.to_owned()), checked).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let done = review::submit(&state.pool, &m, &keep, &disable).await?;
    let message = outcome::review_recorded(done.kept, done.disabled);
    flash::set(&session, message).await?;
    Ok(Redirect::to(PATH).into_response())
}
