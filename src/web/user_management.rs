//! `/area-clienti/gestione-utenze…`: the Gestione Utenze pages. Permission is checked
//! here for the pages and again in each use case for the actions; refusals are 404.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::AppState;
use super::account::layout_for;
use super::client::ClientAddr;
use super::pages::FormErrors;
use super::user_management_views::{self as views, AuditPage, RosterPage, UserForm, UserFormPage};
use crate::auth::{CsrfForm, CsrfToken, CurrentUser};
use crate::db::roster::{self, RosterQuery};
use crate::db::{audit, lines, users};
use crate::domain::RegistrationState;
use crate::error::AppError;
use crate::user_management::{self as um, DetailsInput, ManageError, Manager, NewUserInput};

const BASE: &str = "/area-clienti/gestione-utenze";
const FLASH: &str = "flash";
const AUDIT_PAGE_SIZE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list))
        .route(&format!("{BASE}/aggiungi"), get(add_form).post(add))
        .route(
            &format!("{BASE}/linee/{{line_id}}/aggiorna"),
            get(line_form).post(save_line),
        )
        .route(&format!("{BASE}/registra"), post(register_many))
        .route(&format!("{BASE}/registro"), get(audit_trail))
        .route(
            &format!("{BASE}/utenti/{{user_id}}/registra"),
            user_action_route(UserAction::Register),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/reinvia"),
            user_action_route(UserAction::Resend),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/modifica"),
            get(modify_form).post(modify),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/disabilita"),
            user_action_route(UserAction::Disable),
        )
        .route(
            &format!("{BASE}/utenti/{{user_id}}/riabilita"),
            user_action_route(UserAction::Enable),
        )
}

impl From<ManageError> for AppError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::NotFound | ManageError::Invalid(_) => {
                tracing::warn!(
                    "access refused: target not in the manager's company or not manageable"
                );
                AppError::NotFound
            }
            ManageError::Internal(e) => AppError::Internal(e),
        }
    }
}

/// Path ids that do not parse are simply not found.
fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

/// The acting manager, or 404 (logged: a refused access-control decision).
fn manager(user: &users::User, client: Option<String>) -> Result<Manager<'_>, AppError> {
    Manager::new(user, client).ok_or_else(|| {
        tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: Gestione Utenze action above the user's profile");
        AppError::NotFound
    })
}

/// Back to the list, with a message shown once.
async fn done(session: &Session, message: &str) -> Result<Response, AppError> {
    session
        .insert(FLASH, message)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Redirect::to(BASE).into_response())
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stato: String,
    #[serde(default)]
    pagina: String,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
    Query(params): Query<ListParams>,
) -> Result<RosterPage, AppError> {
    if !um::can_view(&user) {
        tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: Gestione Utenze");
        return Err(AppError::NotFound);
    }
    let search: String = params.q.trim().chars().take(100).collect();
    let query = RosterQuery {
        search: (!search.is_empty()).then(|| search.clone()),
        state: RegistrationState::parse(&params.stato),
        page: super::page_number(&params.pagina, 1_000_000) - 1,
    };
    let mut conn = state.pool.acquire().await?;
    let rows = roster::page(&mut conn, user.company_id, &query).await?;
    let counts = roster::counts(&mut conn, user.company_id, query.search.as_deref()).await?;
    let flash = session
        .remove::<String>(FLASH)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(views::roster_page(
        layout_for(&user, csrf),
        &user,
        um::can_manage(&user),
        &query,
        rows,
        &counts,
        flash,
    ))
}

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

async fn add_form(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<UserFormPage, AppError> {
    manager(&user, None)?;
    Ok(views::add_page(
        layout_for(&user, csrf),
        UserForm::default(),
        FormErrors::default(),
    ))
}

async fn add(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(fields): CsrfForm<UserFormFields>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    let csrf = crate::auth::csrf::token_of(&session).await?;
    let register = fields.action != "save";
    let outcome = match fields.input().parse() {
        Ok(details) => um::add(&state.pool, &state.config, &m, &details, register).await,
        Err(errors) => Err(ManageError::Invalid(errors)),
    };
    match outcome {
        Ok(_) if register => {
            done(
                &session,
                "Utente aggiunto e registrato: riceverà la e-mail con la username.",
            )
            .await
        }
        Ok(_) => {
            done(
                &session,
                "Utente aggiunto: lo trovi nell'elenco come «Da registrare».",
            )
            .await
        }
        Err(ManageError::Invalid(errors)) => Ok(rerender(views::add_page(
            layout_for(&user, csrf),
            fields.form(),
            errors,
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn line_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Path(line_id): Path<String>,
) -> Result<UserFormPage, AppError> {
    manager(&user, None)?;
    let mut tx = state.pool.begin().await?;
    let line = lines::find_in_company(&mut tx, user.company_id, parse_id(&line_id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let saved = match line.user_id {
        Some(id) => Some(users::find(&mut tx, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    if saved
        .as_ref()
        .is_some_and(|u| u.state != RegistrationState::ToRegister)
    {
        return Err(AppError::NotFound);
    }
    let form = views::line_prefill(&line, saved.as_ref());
    Ok(views::line_page(
        layout_for(&user, csrf),
        &line,
        form,
        FormErrors::default(),
    ))
}

async fn save_line(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    Path(line_id): Path<String>,
    CsrfForm(fields): CsrfForm<UserFormFields>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    let line_id = parse_id(&line_id)?;
    let mut input = fields.input();
    input.mobile.clear(); // the line's own number
    let outcome = match input.parse() {
        Ok(details) => um::save_line_user(&state.pool, &m, line_id, &details).await,
        Err(errors) => Err(ManageError::Invalid(errors)),
    };
    match outcome {
        Ok(_) => done(&session, "Dati salvati. Seleziona la linea e clicca «Registra» per inviare la e-mail con la username.").await,
        Err(ManageError::Invalid(errors)) => {
            let mut tx = state.pool.begin().await?;
            let line = lines::find_in_company(&mut tx, user.company_id, line_id).await?.ok_or(AppError::NotFound)?;
            let csrf = crate::auth::csrf::token_of(&session).await?;
            Ok(rerender(views::line_page(layout_for(&user, csrf), &line, fields.form(), errors)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct Empty {}

/// The one-button actions on a user of the list.
#[derive(Debug, Clone, Copy)]
enum UserAction {
    Register,
    Resend,
    Disable,
    Enable,
}

async fn user_action(
    action: UserAction,
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    Path(user_id): Path<String>,
    _: CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    let id = parse_id(&user_id)?;
    let (pool, config) = (&state.pool, &state.config);
    let message = match action {
        UserAction::Register => {
            um::register(pool, config, &m, id).await?;
            "Registrazione avviata: l'utente riceverà la e-mail con la username."
        }
        UserAction::Resend => {
            um::resend(pool, config, &m, id).await?;
            "E-mail con la username inviata di nuovo: i link precedenti non funzionano più."
        }
        UserAction::Disable => {
            um::disable(pool, &m, id).await?;
            "Utente disabilitato: non può più accedere."
        }
        UserAction::Enable => {
            um::enable(pool, &m, id).await?;
            "Utente riabilitato."
        }
    };
    done(&session, message).await
}

/// The route of a one-button action.
fn user_action_route(action: UserAction) -> axum::routing::MethodRouter<AppState> {
    post(
        move |s: State<AppState>,
              u: CurrentUser,
              c: ClientAddr,
              session: Session,
              p: Path<String>,
              f: CsrfForm<Empty>| { user_action(action, s, u, c, session, p, f) },
    )
}

#[derive(Deserialize)]
struct BulkForm {
    /// Saved users to register.
    #[serde(default)]
    user_id: Vec<String>,
    /// Lines "Da registrare" with a contract referent, to register from the referent's data.
    #[serde(default)]
    line_id: Vec<String>,
}

fn parse_ids(raw: &[String]) -> Result<Vec<Uuid>, AppError> {
    raw.iter().map(|id| parse_id(id)).collect()
}

/// "Registra i selezionati": saved users and lines with a referent, in one go.
async fn register_many(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    if form.user_id.is_empty() && form.line_id.is_empty() {
        return done(&session, "Nessuna riga selezionata.").await;
    }
    if form.user_id.len() + form.line_id.len() > 2 * roster::PAGE_SIZE as usize {
        return Err(AppError::BadForm);
    }
    let (user_ids, line_ids) = (parse_ids(&form.user_id)?, parse_ids(&form.line_id)?);
    let mut sent = um::register_many(&state.pool, &state.config, &m, &user_ids).await?;
    let (from_lines, skipped) =
        um::register_lines(&state.pool, &state.config, &m, &line_ids).await?;
    sent += from_lines;
    let mut message =
        format!("Registrazione avviata per {sent} utenti: riceveranno la e-mail con la username.");
    if !skipped.is_empty() {
        message.push_str(&format!(
            " Da completare con «Aggiorna» (dati mancanti o username già in uso): {}.",
            skipped.join(", ")
        ));
    }
    done(&session, &message).await
}

async fn modify_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Path(user_id): Path<String>,
) -> Result<UserFormPage, AppError> {
    let target = modifiable(&state, &user, &user_id).await?;
    let form = UserForm {
        mobile: target.mobile.clone().unwrap_or_default(),
        email: target.email.clone(),
        username: target.username.clone(),
        profile: target.profile.as_str().to_owned(),
        first_name: target.first_name.clone(),
        last_name: target.last_name.clone(),
    };
    Ok(views::modify_page(
        layout_for(&user, csrf),
        &target,
        form,
        FormErrors::default(),
    ))
}

/// The user to show in Modifica, when the manager may modify them.
async fn modifiable(
    state: &AppState,
    manager_user: &users::User,
    user_id: &str,
) -> Result<users::User, AppError> {
    manager(manager_user, None)?;
    let mut tx = state.pool.begin().await?;
    match users::find_in_company(&mut tx, manager_user.company_id, parse_id(user_id)?).await? {
        Some(u)
            if u.id != manager_user.id
                && u.profile != crate::domain::Profile::LegalRepresentative =>
        {
            Ok(u)
        }
        _ => Err(AppError::NotFound),
    }
}

async fn modify(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    Path(user_id): Path<String>,
    CsrfForm(fields): CsrfForm<UserFormFields>,
) -> Result<Response, AppError> {
    let m = manager(&user, client)?;
    let id = parse_id(&user_id)?;
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
        Ok(()) => done(&session, "Modifiche salvate.").await,
        Err(ManageError::Invalid(errors)) => {
            let target = modifiable(&state, &user, &user_id).await?;
            let csrf = crate::auth::csrf::token_of(&session).await?;
            let mut form = fields.form();
            form.username = target.username.clone();
            Ok(rerender(views::modify_page(
                layout_for(&user, csrf),
                &target,
                form,
                errors,
            )))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct AuditParams {
    #[serde(default)]
    pagina: String,
}

async fn audit_trail(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(params): Query<AuditParams>,
) -> Result<AuditPage, AppError> {
    manager(&user, None)?;
    let page = super::page_number(&params.pagina, 100_000);
    let mut conn = state.pool.acquire().await?;
    let rows = audit::company_page(
        &mut conn,
        user.company_id,
        AUDIT_PAGE_SIZE + 1,
        (page - 1) * AUDIT_PAGE_SIZE,
    )
    .await?;
    Ok(views::audit_page(
        layout_for(&user, csrf),
        rows,
        page,
        AUDIT_PAGE_SIZE as usize,
    ))
}
