//! `GET /area-clienti/gestione-utenze/export.csv`: every line and user of the company with
//! the columns of the page, for whoever may see the page (`user_management::can_view`).

use axum::extract::State;
use axum::response::Response;

use super::AppState;
use crate::clock::rome_today;
use crate::db::outbox::Delivery;
use crate::db::roster::{self, RosterRow};
use crate::domain::Profile;
use crate::user_management as um;
use crate::web::error::AppError;
use crate::web::kit::{CsvFile, CurrentUser};

const HEADER: [&str; 7] = [
    "Numero",
    "Utente",
    "E-mail",
    "Username",
    "Profilo",
    "Stato Registrazione",
    "E-mail username",
];

/// The cells of one row, as the page shows them.
fn cells(row: &RosterRow) -> [String; 7] {
    let name = format!(
        "{} {}",
        row.first_name.as_deref().unwrap_or(""),
        row.last_name.as_deref().unwrap_or("")
    );
    [
        row.number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        name.trim().to_owned(),
        row.email
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        row.username.clone().unwrap_or_default(),
        row.profile.map_or("", Profile::label).to_owned(),
        row.state.label().to_owned(),
        row.invitation
            .clone()
            .get()
            .map_or("", |i| Delivery::of(i.state, i.receipt_status).label())
            .to_owned(),
    ]
}

pub(super) async fn roster_csv(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, AppError> {
    if !um::can_view(&user) {
        tracing::warn!(user_id = %user.id, profile = user.profile.as_str(), "access refused: Gestione Utenze export");
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.acquire().await?;
    let rows = roster::all(&mut conn, user.company_id).await?;
    let mut file = CsvFile::new(&HEADER)?;
    for row in &rows {
        let cells = cells(row);
        file.row(cells.iter().map(String::as_str))?;
    }
    let today = rome_today(state.clock.now());
    Ok(file.into_response(&format!("gestione-utenze-{today}.csv"))?)
}
