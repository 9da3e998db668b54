//! Logged-in pages: `/area-clienti` (home) and `/area-clienti/profilo`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::AppState;
use super::pages::{HomePage, Layout, NavUser, ProfilePage};
use crate::db::users::User;
use crate::db::{companies, lines};
use crate::domain::PhoneNumber;
use crate::domain::phone::grouped;
use crate::web::error::AppError;
use crate::web::kit::{CsrfToken, CurrentUser, flash};
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/area-clienti", get(home))
        .route("/area-clienti/profilo", get(profile))
}

/// The layout of a logged-in page.
pub fn layout_for(user: &User, csrf: String) -> Layout {
    Layout {
        user: Some(NavUser {
            name: user.display_name(),
            profile: user.profile.label(),
        }),
        staff: None,
        csrf,
    }
}

async fn home(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<HomePage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let company = companies::find(&mut conn, user.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HomePage {
        layout: layout_for(&user, csrf),
        notice: flash::take(&session).await?,
        first_name: if user.first_name.is_empty() {
            user.username.clone()
        } else {
            user.first_name.clone()
        },
        company_name: company.name,
        profile: user.profile.label(),
        show_user_management: crate::user_management::can_view(&user),
    })
}

async fn profile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<ProfilePage, AppError> {
    let mut conn = state.pool.acquire().await?;
    let company = companies::find(&mut conn, user.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // An Utilizzatore sees only their own line; everyone else sees the company's count.
    let own_line = lines::number_of_user(&mut conn, user.company_id, user.id).await?;
    let line_count = if !crate::user_management::sees_company_lines(user.profile) {
        i64::from(own_line.is_some())
    } else {
        lines::count_for_company(&mut conn, user.company_id).await?
    };
    Ok(ProfilePage {
        layout: layout_for(&user, csrf),
        notice: flash::take(&session).await?,
        company_name: company.name,
        vat_number: company.vat_number,
        tax_code: company.tax_code.unwrap_or_else(|| "—".to_owned()),
        line_count,
        full_name: user.full_name(),
        username: user.username.clone(),
        email: user.email.to_string(),
        mobile: user
            .mobile
            .as_ref()
            .map_or_else(|| "—".to_owned(), PhoneNumber::grouped),
        profile: user.profile.label(),
        state: user.state.label(),
        own_line: own_line.as_deref().map(grouped),
        show_user_management: crate::user_management::can_view(&user),
        sees_lines: crate::user_management::sees_company_lines(user.profile),
    })
}
