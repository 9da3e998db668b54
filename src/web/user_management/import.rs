//! `/area-clienti/gestione-utenze/importa…`: the CSV import of employees (CONTRACT.md §4c).
//! The page with the upload form, the preview of an uploaded file (nothing written but the
//! preview itself, `user_management::import::preview`), its confirmation, and the sample
//! file. Who may import is the permission source's answer (`can_import`); others get 404.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::roster_view::RosterView;
use super::{done, manager};
use crate::domain::{PhoneNumber, Profile};
use crate::user_management::csv_rows::{self, CsvError, CsvRow, MAX_FILE_BYTES, MAX_ROWS};
use crate::user_management::import::{self, CheckedRow, Confirmed, PREVIEW_LIFETIME, Preview};
use crate::user_management::{self as um, ManageError};
use crate::web::AppState;
use crate::web::account::layout_for;
use crate::web::error::AppError;
use crate::web::kit::multipart::{self, MultipartError};
use crate::web::kit::{ClientAddr, Csrf, CsrfForm, CsrfToken, CurrentUser, flash};
use crate::web::outcome;
use crate::web::pages::{FormErrors, Layout};

pub(super) const PAGE: &str = "/area-clienti/gestione-utenze/importa";
/// The whole upload: the file, the CSRF token and the parts' headers.
const UPLOAD_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "user_management/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub flash: Option<String>,
    pub errors: FormErrors,
    pub max_rows: usize,
}

/// One row of the preview, as shown.
pub struct PreviewRow {
    pub line: u64,
    pub valid: bool,
    pub name: String,
    pub email: String,
    pub username: String,
    pub mobile: String,
    pub profile: String,
    /// "Username: Il campo è obbligatorio", one per error.
    pub errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_management/import_preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub filename: String,
    pub rows: Vec<PreviewRow>,
    pub valid: usize,
    pub invalid: usize,
    /// The confirm form's hidden field, when a row is valid.
    pub id: Option<String>,
    pub lifetime: String,
}

fn upload_page(layout: Layout, flash: Option<String>, errors: FormErrors) -> ImportPage {
    ImportPage {
        layout,
        flash,
        errors,
        max_rows: MAX_ROWS,
    }
}

fn preview_row(checked: CheckedRow) -> PreviewRow {
    let CheckedRow {
        row,
        details,
        errors,
    } = checked;
    let CsvRow {
        line,
        mobile,
        email,
        username,
        profile,
        first_name,
        last_name,
        ..
    } = row;
    let shown_mobile = match &details {
        Some(d) => d
            .mobile
            .as_ref()
            .map(PhoneNumber::grouped)
            .unwrap_or_default(),
        None => mobile.trim().to_owned(),
    };
    let profile = Profile::from_name_or_code(&profile).map_or(profile, |p| p.label().to_owned());
    PreviewRow {
        line,
        valid: details.is_some(),
        name: format!("{} {}", first_name.trim(), last_name.trim())
            .trim()
            .to_owned(),
        email: email.trim().to_owned(),
        username: username.trim().to_owned(),
        mobile: shown_mobile,
        profile,
        errors: errors.summary().into_iter().map(|(_, m)| m).collect(),
    }
}

fn preview_page(layout: Layout, filename: String, preview: Preview) -> PreviewPage {
    let (valid, invalid) = (preview.valid(), preview.invalid());
    PreviewPage {
        layout,
        filename,
        valid,
        invalid,
        id: preview.id.map(|id| id.to_string()),
        rows: preview.rows.into_iter().map(preview_row).collect(),
        lifetime: crate::clock::in_words(PREVIEW_LIFETIME),
    }
}

/// 404 unless the user may import (logged: a refused access-control decision).
fn require_importer(user: &crate::db::users::User) -> Result<(), AppError> {
    if um::can_import(user) {
        return Ok(());
    }
    tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: CSV import above the user's profile");
    Err(AppError::NotFound)
}

pub(super) async fn form(
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<ImportPage, AppError> {
    require_importer(&user)?;
    let flash = flash::take(&session).await?;
    Ok(upload_page(
        layout_for(&user, csrf),
        flash,
        FormErrors::default(),
    ))
}

/// The upload page again, with `message` next to the file input.
fn refused(status: StatusCode, layout: Layout, message: String) -> Response {
    let mut errors = FormErrors::default();
    errors.add("file", message);
    (status, upload_page(layout, None, errors)).into_response()
}

pub(super) async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    csrf: Csrf,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    require_importer(&user)?;
    let m = manager(&state, &user, client)?;
    let layout = layout_for(&user, csrf.token().await?);
    let parts = match multipart::read(&headers, body, UPLOAD_LIMIT).await {
        Ok(parts) => parts,
        Err(MultipartError::TooLarge) => {
            tracing::info!("CSV import refused: upload over the limit");
            let message = CsvError::TooLarge.to_string();
            return Ok(refused(StatusCode::PAYLOAD_TOO_LARGE, layout, message));
        }
        Err(MultipartError::Malformed) => return Err(AppError::BadForm),
    };
    let token = parts
        .iter()
        .find(|p| p.name == crate::web::kit::csrf::FIELD && p.filename.is_none())
        .and_then(|p| String::from_utf8(p.data.clone()).ok());
    csrf.matches(token).await?;
    let file = parts
        .into_iter()
        .find(|p| p.name == "file" && p.filename.is_some())
        .filter(|p| !p.data.is_empty() || !p.filename.as_deref().unwrap_or("").is_empty());
    let Some(file) = file else {
        let message = "Scegli il file CSV da caricare.".to_owned();
        return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, layout, message));
    };
    let rows = match csv_rows::parse(&file.data) {
        Ok(rows) => rows,
        Err(e) => {
            let status = match e {
                CsvError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return Ok(refused(status, layout, e.to_string()));
        }
    };
    let preview = import::preview(&state.pool, &m, rows).await?;
    let filename = shown_filename(file.filename.as_deref().unwrap_or(""));
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        preview_page(layout, filename, preview),
    )
        .into_response())
}

/// The file's name as the browser sent it, without a path and cut to 100 characters.
fn shown_filename(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = name.chars().take(100).collect();
    if crate::domain::text::is_clean(&name, crate::domain::text::Lines::Single) {
        name
    } else {
        String::new()
    }
}

#[derive(Deserialize)]
pub(super) struct ConfirmFields {
    #[serde(default)]
    id: String,
    /// `register` ("Salva e registra") or `save` ("Salva").
    #[serde(default)]
    action: String,
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(fields): CsrfForm<ConfirmFields>,
) -> Result<Response, AppError> {
    require_importer(&user)?;
    let m = manager(&state, &user, client)?;
    let register = match fields.action.as_str() {
        "register" => true,
        "save" => false,
        _ => return Err(AppError::BadForm),
    };
    let id = Uuid::parse_str(fields.id.trim()).map_err(|_| AppError::NotFound)?;
    let done_with = match import::confirm(&state.pool, &state.config, &m, id, register).await {
        Ok(done) => done,
        Err(ManageError::NotFound) => {
            tracing::warn!(user_id = %user.id, "access refused: CSV import preview of another user or company");
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    match done_with {
        Confirmed::Done {
            imported,
            skipped,
            registered,
        } => {
            let message = outcome::users_imported(imported, skipped, registered);
            done(&session, &message, &RosterView::default()).await
        }
        Confirmed::AlreadyUsed => {
            done(
                &session,
                outcome::IMPORT_ALREADY_CONFIRMED,
                &RosterView::default(),
            )
            .await
        }
        Confirmed::Expired => {
            flash::set(&session, outcome::IMPORT_PREVIEW_EXPIRED.to_owned()).await?;
            Ok(Redirect::to(PAGE).into_response())
        }
    }
}

/// The sample file: the header and two example rows.
pub(super) async fn sample(CurrentUser(user): CurrentUser) -> Result<Response, AppError> {
    require_importer(&user)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"esempio-utenze.csv\""),
            ),
        ],
        csv_rows::sample(),
    )
        .into_response())
}
