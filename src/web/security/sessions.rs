//! Sicurezza's sessions and accesses: the user's live sessions ("questa sessione" marked,
//! each other one with "Termina"), "Termina tutte le altre sessioni", and the last 20 login
//! attempts from the audit. Use cases in `auth::session_list`.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use super::SECURITY;
use crate::actor::Actor;
use crate::auth::session;
use crate::auth::session_list::{self, EndOne};
use crate::clock::in_rome_words;
use crate::db::audit::{self, AccessRow};
use crate::db::users::User;
use crate::domain::AuditAction;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::kit::{ClientAddr, CsrfForm, CurrentUser, SessionId, flash};
use crate::web::outcome;

/// How many login attempts "Ultimi accessi" shows.
const ACCESSES_SHOWN: i64 = 20;

pub struct SessionView {
    pub id: String,
    /// "Firefox su Windows".
    pub browser: String,
    pub address: String,
    /// Europe/Rome, "02/12/2026 alle 14:05".
    pub last_seen: String,
    pub opened: String,
    pub current: bool,
}

pub struct AccessView {
    pub when: String,
    pub succeeded: bool,
    /// "Accesso riuscito", "Password errata", "Codice di verifica errato".
    pub outcome: &'static str,
    /// How the person proved who they are: "Password e app di autenticazione"…
    pub method: &'static str,
    pub address: String,
}

/// What Sicurezza shows of the user's sessions and accesses.
#[derive(Default)]
pub struct Activity {
    pub sessions: Vec<SessionView>,
    pub accesses: Vec<AccessView>,
}

impl Activity {
    /// Whether "Termina tutte le altre sessioni" has anything to end.
    pub fn has_other_sessions(&self) -> bool {
        self.sessions.iter().any(|s| !s.current)
    }
}

pub(super) async fn activity(
    conn: &mut PgConnection,
    user: &User,
    current: Option<Uuid>,
) -> sqlx::Result<Activity> {
    let live = session_list::active(conn, user, current, session::now()).await?;
    let accesses = audit::accesses_of(conn, user.company_id, user.id, ACCESSES_SHOWN).await?;
    let address = |a: Option<String>| a.unwrap_or_else(|| "non disponibile".to_owned());
    Ok(Activity {
        sessions: live
            .into_iter()
            .map(|s| SessionView {
                id: s.id.to_string(),
                browser: s.browser,
                address: address(s.client_addr),
                last_seen: in_rome_words(s.last_seen_at),
                opened: in_rome_words(s.opened_at),
                current: s.current,
            })
            .collect(),
        accesses: accesses.into_iter().map(access_view).collect(),
    })
}

fn access_view(row: AccessRow) -> AccessView {
    let factor = row.details.get("fattore").and_then(|f| f.as_str());
    let (succeeded, outcome, method) = match row.action {
        AuditAction::Login => (true, "Accesso riuscito", method(factor)),
        AuditAction::SecondFactorWrong => (false, "Codice di verifica errato", "Secondo fattore"),
        _ => (false, "Password errata", "Password"),
    };
    AccessView {
        when: in_rome_words(row.created_at),
        succeeded,
        outcome,
        method,
        address: row
            .client_addr
            .unwrap_or_else(|| "non disponibile".to_owned()),
    }
}

/// The factor of a login, as its audit event names it (`fattore`); none is a password alone.
fn method(factor: Option<&str>) -> &'static str {
    match factor {
        Some("app") => "Password e app di autenticazione",
        Some("codice_recupero") => "Password e codice di recupero",
        Some("sms") => "Password e codice via SMS",
        Some(_) => "Password e secondo fattore",
        None => "Password",
    }
}

#[derive(Deserialize)]
pub(super) struct Empty {}

/// `POST /area-clienti/sicurezza/sessioni/{id}/termina`: another session of the user; an
/// id that is not one of theirs (or is the current session) is 404, nothing changed.
pub(super) async fn end_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    SessionId(id): SessionId,
    _: CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let current = session::key_of(&session).await?;
    let actor = Actor::user(user.id, &user.username, client);
    let now = session::now();
    let message = match session_list::end_one(&state.pool, &user, &actor, current, id, now).await? {
        EndOne::Ended => outcome::SESSION_ENDED,
        EndOne::AlreadyEnded => outcome::SESSION_ALREADY_ENDED,
        EndOne::NotFound => {
            tracing::warn!(user_id = %user.id, "access refused: a session that is not the user's");
            return Err(AppError::NotFound);
        }
    };
    flash::set(&session, message.to_owned()).await?;
    Ok(Redirect::to(SECURITY).into_response())
}

/// `POST /area-clienti/sicurezza/sessioni/termina-altre`: every session but this one.
pub(super) async fn end_others(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(client): ClientAddr,
    session: Session,
    _: CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let current = session::key_of(&session).await?;
    let actor = Actor::user(user.id, &user.username, client);
    let now = session::now();
    let ended = session_list::end_others(&state.pool, &user, &actor, current, now).await?;
    flash::set(&session, outcome::other_sessions_ended(ended)).await?;
    Ok(Redirect::to(SECURITY).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_factor_of_the_audit_reads_as_a_method() {
        assert_eq!(method(None), "Password");
        assert_eq!(method(Some("app")), "Password e app di autenticazione");
        assert_eq!(method(Some("sms")), "Password e codice via SMS");
        assert_eq!(
            method(Some("codice_recupero")),
            "Password e codice di recupero"
        );
        assert_eq!(method(Some("passkey")), "Password e secondo fattore");
    }
}
