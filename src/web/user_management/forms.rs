//! The forms of Gestione Utenze: Aggiungi, Aggiorna (a line) and Modifica (a user).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::form_views::{self as views, UserForm, UserFormPage};
use super::roster_view::RosterView;
use super::{done, manager, require_manager};
use crate::db::{invitations, lines, users};
use crate::domain::PhoneNumber;
use crate::user_management::{self as um, DetailsInput, ManageError, NewUserInput};
use crate::web::AppState;
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::invitations::InvitationView;
use crate::web::kit::ClientAddr;
use crate::web::kit::Csrf;
use crate::web::kit::{CsrfForm, CsrfToken, CurrentUser, LineId, UserId};
use crate::web::outcome::{self, Whom};
use crate::web::pages::FormErrors;
use uuid::Uuid;

#[derive(Deserialize, Default)]
pub struct UserFormFields {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    action: String,
    /// The view of the list to come back to (`RosterView`'s hidden fields).
    #[serde(default)]
    q: String,
    #[serde(default)]
    stato: String,
    #[serde(default)]
    pagina: String,
}

impl UserFormFields {
    fn input(&self) -> NewUserInput {
        NewUserInput {
            mobile: self.mobile.clone(),
            email: self.email.clone(),
            username: self.username.clone(),
            profile: self.profile.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }

    fn view(&self) -> RosterView {
        RosterView {
            q: self.q.clone(),
            stato: self.stato.clone(),
            pagina: self.pagina.clone(),
        }
        .sanitized()
    }

    fn form(&self) -> UserForm {
        UserForm {
            mobile: self.mobile.clone(),
            email: self.email.clone(),
            username: self.username.clone(),
            profile: self.profile.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }
}

fn rerender(page: UserFormPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub(super) async fn add_form(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<UserFormPage, AppError> {
    require_manager(&user)?;
    Ok(views::add_page(
        layout_for(&user, csrf),
        UserForm::default(),
        FormErrors::default(),
    ))
}

pub(super) async fn add(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<UserFormFields>,
) -> Result<Response, AppError> {
    let m = manager(&state, &user, client)?;
    let csrf = csrf.token().await?;
    let register = fields.action != "save";
    let invalid = |errors| {
        rerender(views::add_page(
            layout_for(&user, csrf),
            fields.form(),
            errors,
        ))
    };
    let details = match fields.input().parse() {
        Ok(details) => details,
        Err(errors) => return Ok(invalid(errors)),
    };
    match um::add(&state.pool, &state.config, &m, &details, register).await {
        Ok(_) => {
            let (name, email) = (details.display_name(), details.email.to_string());
            let whom = Whom {
                name: &name,
                email: &email,
            };
            let message = outcome::user_added(&whom, register);
            done(&session, &message, &RosterView::default()).await
        }
        Err(ManageError::Invalid(errors)) => Ok(invalid(errors)),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn line_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    LineId(line_id): LineId,
    Query(view): Query<RosterView>,
) -> Result<UserFormPage, AppError> {
    require_manager(&user)?;
    let mut conn = state.pool.acquire().await?;
    let line = lines::find_in_company(&mut conn, user.company_id, line_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let saved = match line.user_id {
        Some(id) => Some(
            users::find(&mut conn, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    // Offered exactly when the list shows Aggiorna on the row.
    let allowed = match &saved {
        Some(u) => um::allowed_actions(&user, u.into()).update_line,
        None => um::allowed_line_actions(&user, line.referent_email.is_some()).update,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    let form = views::line_prefill(&line, saved.as_ref());
    Ok(
        views::line_page(layout_for(&user, csrf), &line, form, FormErrors::default())
            .returning_to(view.sanitized()),
    )
}

pub(super) async fn save_line(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    LineId(line_id): LineId,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<UserFormFields>,
) -> Result<Response, AppError> {
    let m = manager(&state, &user, client)?;
    let mut input = fields.input();
    input.mobile.clear(); // the line's own number
    let (parsed, line) = {
        let mut conn = state.pool.acquire().await?;
        let line = lines::find_in_company(&mut conn, user.company_id, line_id)
            .await?
            .ok_or(AppError::NotFound)?;
        (input.parse(), line)
    };
    let csrf = csrf.token().await?;
    let invalid = |errors| {
        rerender(
            views::line_page(layout_for(&user, csrf), &line, fields.form(), errors)
                .returning_to(fields.view()),
        )
    };
    let details = match parsed {
        Ok(details) => details,
        Err(errors) => return Ok(invalid(errors)),
    };
    match um::save_line_user(&state.pool, &m, line_id, &details).await {
        Ok(_) => {
            let (name, email) = (details.display_name(), details.email.to_string());
            let whom = Whom {
                name: &name,
                email: &email,
            };
            let message = outcome::line_saved(&whom, &line.number.grouped());
            done(&session, &message, &fields.view()).await
        }
        Err(ManageError::Invalid(errors)) => Ok(invalid(errors)),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn modify_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    UserId(user_id): UserId,
    Query(view): Query<RosterView>,
) -> Result<UserFormPage, AppError> {
    let target = modifiable(&state, &user, user_id).await?;
    let form = UserForm {
        mobile: target
            .mobile
            .as_ref()
            .map(PhoneNumber::grouped)
            .unwrap_or_default(),
        email: target.email.to_string(),
        username: target.username.clone(),
        profile: target.profile.as_str().to_owned(),
        first_name: target.first_name.clone(),
        last_name: target.last_name.clone(),
    };
    let allowed = um::allowed_actions(&user, (&target).into());
    let sends = invitation_history(&state, &target).await?;
    Ok(views::modify_page(
        layout_for(&user, csrf),
        &target,
        form,
        FormErrors::default(),
        allowed,
        sends,
    )
    .returning_to(view.sanitized()))
}

/// Every username email of `target`, as Modifica lists them.
async fn invitation_history(
    state: &AppState,
    target: &users::User,
) -> Result<Vec<InvitationView>, AppError> {
    let mut conn = state.pool.acquire().await?;
    let sends = invitations::history(&mut conn, target.id).await?;
    Ok(crate::web::invitations::history(
        sends,
        target.state,
        state.clock.now(),
    ))
}

/// The user to show in Modifica, when the permission source lets the manager modify them.
async fn modifiable(
    state: &AppState,
    manager_user: &users::User,
    user_id: Uuid,
) -> Result<users::User, AppError> {
    require_manager(manager_user)?;
    let mut conn = state.pool.acquire().await?;
    match users::find_in_company(&mut conn, manager_user.company_id, user_id).await? {
        Some(u) if um::allowed_actions(manager_user, (&u).into()).modify => Ok(u),
        _ => Err(AppError::NotFound),
    }
}

pub(super) async fn modify(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    UserId(id): UserId,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<UserFormFields>,
) -> Result<Response, AppError> {
    let m = manager(&state, &user, client)?;
    let input = DetailsInput {
        email: fields.email.clone(),
        mobile: fields.mobile.clone(),
        profile: fields.profile.clone(),
    };
    let outcome = match input.parse() {
        Ok(details) => um::modify(&state.pool, &state.config, &m, id, &details).await,
        Err(errors) => Err(ManageError::Invalid(errors)),
    };
    match outcome {
        Ok(sent) => {
            let target = {
                let mut conn = state.pool.acquire().await?;
                users::find_in_company(&mut conn, user.company_id, id)
                    .await?
                    .ok_or(AppError::NotFound)?
            };
            let (name, email) = (target.display_name(), target.email.to_string());
            let whom = Whom {
                name: &name,
                email: &email,
            };
            let message =
                outcome::user_modified(&whom, sent.username_email_resent, sent.old_address_told);
            done(&session, &message, &fields.view()).await
        }
        Err(ManageError::Invalid(errors)) => {
            let target = modifiable(&state, &user, id).await?;
            let csrf = csrf.token().await?;
            let mut form = fields.form();
            form.username = target.username.clone();
            let allowed = um::allowed_actions(&user, (&target).into());
            let sends = invitation_history(&state, &target).await?;
            Ok(rerender(
                views::modify_page(
                    layout_for(&user, csrf),
                    &target,
                    form,
                    errors,
                    allowed,
                    sends,
                )
                .returning_to(fields.view()),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
