//! Sessions of Servizio Clienti 191 staff: their own cookie (scoped to `/assistenza`) and
//! their own key, so a staff session never opens customer pages and vice versa.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

use super::session::ABSOLUTE_LIFETIME;
use crate::db::staff::{self, StaffUser};
use crate::error::AppError;

const SESSION_KEY: &str = "staff";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StaffAuth {
    staff_id: Uuid,
    #[serde(with = "time::serde::timestamp")]
    logged_in_at: OffsetDateTime,
}

/// Logs a staff user in with a fresh session id.
pub async fn login(session: &Session, staff: &StaffUser) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    let auth = StaffAuth {
        staff_id: staff.id,
        logged_in_at: OffsetDateTime::now_utc(),
    };
    session.insert(SESSION_KEY, auth).await.map_err(internal)
}

/// The logged-in staff user; without one, pages redirect to `/assistenza/accedi`.
pub struct CurrentStaff(pub StaffUser);

pub struct StaffNotLoggedIn(Option<AppError>);

impl IntoResponse for StaffNotLoggedIn {
    fn into_response(self) -> Response {
        match self.0 {
            None => Redirect::to("/assistenza/accedi").into_response(),
            Some(e) => e.into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for CurrentStaff
where
    S: Send + Sync,
    PgPool: FromRef<S>,
{
    type Rejection = StaffNotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let fail = |e: AppError| StaffNotLoggedIn(Some(e));
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| fail(AppError::Internal(anyhow::anyhow!(msg))))?;
        let auth: Option<StaffAuth> = session
            .get(SESSION_KEY)
            .await
            .map_err(|e| fail(internal(e)))?;
        let Some(auth) = auth else {
            return Err(StaffNotLoggedIn(None));
        };
        if OffsetDateTime::now_utc() - auth.logged_in_at >= ABSOLUTE_LIFETIME {
            let _ = session.flush().await;
            return Err(StaffNotLoggedIn(None));
        }
        let pool = PgPool::from_ref(state);
        let mut conn = pool.acquire().await.map_err(|e| fail(e.into()))?;
        match staff::find(&mut conn, auth.staff_id)
            .await
            .map_err(|e| fail(e.into()))?
        {
            Some(staff) => {
                super::session::keep_alive(&session)
                    .await
                    .map_err(|e| fail(internal(e)))?;
                Ok(CurrentStaff(staff))
            }
            None => {
                let _ = session.flush().await;
                Err(StaffNotLoggedIn(None))
            }
        }
    }
}

fn internal(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(e.into())
}
