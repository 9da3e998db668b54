//! The events after the first contract (CONTRACT.md §3b): a line ceases or is ported out
//! ([`line_cessation`]), the legal representative changes ([`legal_representative`]), the
//! company closes ([`closure`]); and, later, the erasure of a closed company's personal data
//! by the worker ([`retention`]).
//!
//! What they share lives here. Each event is idempotent by `event_id`: its row in
//! `contract_events` is claimed first, in the one transaction of the event's effect, its
//! audit events and its e-mails; a repeat (even a concurrent one, which waits on the key)
//! answers what the first time answered, and changes or sends nothing. Bodies are validated
//! into the same `{"errors": [{"field", "message"}]}` shape as contracts.

pub mod closure;
pub mod import;
pub mod legal_representative;
pub mod line_cessation;
pub mod payload;
pub mod retention;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::actor::Actor;
use crate::contracts::FieldError;

/// Which event a row of `contract_events` is (its `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    LineCeased,
    LegalRepresentativeChanged,
    CompanyClosed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::LineCeased => "cessazione_linea",
            EventKind::LegalRepresentativeChanged => "rappresentante_legale",
            EventKind::CompanyClosed => "cessazione_azienda",
        }
    }
}

/// Where an event came from, for the audit: the sales channel it names (free text, as for
/// contracts) and the way it reached the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Api,
    Import,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Import => "import",
        }
    }
}

/// The answer to an event: its HTTP status and JSON body. A repeat gets the first body,
/// with `200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOutcome {
    pub status: u16,
    pub body: Value,
    /// False when this `event_id` was already recorded.
    pub applied: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("invalid event")]
    Invalid(Vec<FieldError>),
    /// Unknown company or number (`field` names which).
    #[error("not found")]
    NotFound {
        field: &'static str,
        message: String,
    },
    /// The `event_id` was already used for another event or other data.
    #[error("event_id reused with different data")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for EventError {
    fn from(e: sqlx::Error) -> Self {
        EventError::Internal(e.into())
    }
}

impl EventError {
    /// Deadlocks and serialization failures: the transaction was rolled back, and the
    /// event may simply be applied again.
    pub fn is_retryable(&self) -> bool {
        let EventError::Internal(e) = self else {
            return false;
        };
        e.chain()
            .filter_map(|c| c.downcast_ref::<sqlx::Error>())
            .filter_map(|e| e.as_database_error())
            .filter_map(|e| e.code())
            .any(|code| code == "40P01" || code == "40001")
    }
}

/// Everything one event's effect needs besides its own fields.
pub struct Context<'a> {
    pub pool: &'a PgPool,
    pub config: &'a crate::config::Config,
    pub now: OffsetDateTime,
    pub via: Via,
}

/// An event claimed: its transaction, where the effect, the audit and the messages go, then
/// [`Claimed::finish`] records the answer and commits.
pub struct Claimed {
    pub tx: Transaction<'static, Postgres>,
    pub event_id: String,
    pub channel: String,
    pub via: Via,
}

impl Claimed {
    /// The actor of the audit events: the portal itself, on behalf of the sales channel.
    pub fn actor(&self) -> Actor {
        Actor::system()
    }

    /// The details every audit event of this event carries, merged with `more`.
    pub fn details(&self, more: Value) -> Value {
        let mut details = json!({
            "event_id": self.event_id,
            "channel": self.channel,
            "via": self.via.as_str(),
        });
        if let (Some(all), Value::Object(more)) = (details.as_object_mut(), more) {
            all.extend(more);
        }
        details
    }

    /// Records the answer and commits the effect with it.
    pub async fn finish(
        mut self,
        company_id: Uuid,
        status: u16,
        body: Value,
    ) -> Result<EventOutcome, EventError> {
        sqlx::query(
            "UPDATE contract_events SET company_id = $2, status = $3, response = $4, channel = $5
             WHERE event_id = $1",
        )
        .bind(&self.event_id)
        .bind(company_id)
        .bind(i16::try_from(status).unwrap_or(200))
        .bind(&body)
        .bind(&self.channel)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(EventOutcome {
            status,
            body,
            applied: true,
        })
    }
}

/// Identifies the request an `event_id` was first recorded with: its kind, the key in its
/// path (number or Partita IVA) and its parsed body.
pub fn fingerprint(kind: EventKind, key: &str, body: &impl serde::Serialize) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(kind.as_str());
    hash.update([0]);
    hash.update(key);
    hash.update([0]);
    // Serialising a parsed body back to JSON cannot fail (string keys only).
    hash.update(serde_json::to_vec(body).unwrap_or_default());
    hash.finalize().into()
}

/// Claims `event_id` for a new effect, or answers as the first time did when it is already
/// recorded (after waiting for a concurrent claim of the same id to commit or roll back).
pub async fn claim(
    ctx: &Context<'_>,
    kind: EventKind,
    event_id: &str,
    channel: &str,
    fingerprint: &[u8; 32],
) -> Result<Result<Claimed, EventOutcome>, EventError> {
    let mut tx = ctx.pool.begin().await?;
    let claimed = sqlx::query(
        "INSERT INTO contract_events (event_id, kind, request_sha256, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(kind.as_str())
    .bind(&fingerprint[..])
    .bind(ctx.now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if claimed {
        return Ok(Ok(Claimed {
            tx,
            event_id: event_id.to_owned(),
            channel: channel.to_owned(),
            via: ctx.via,
        }));
    }
    // Committed by another transaction: this statement sees it (read committed).
    let (stored_kind, sha, response): (String, Vec<u8>, Option<Value>) = sqlx::query_as(
        "SELECT kind, request_sha256, response FROM contract_events WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_one(&mut *tx)
    .await?;
    if stored_kind != kind.as_str() || sha != fingerprint[..] {
        return Err(EventError::Conflict);
    }
    let body = response.ok_or_else(|| anyhow::anyhow!("event {event_id} has no answer"))?;
    Ok(Err(EventOutcome {
        status: 200,
        body,
        applied: false,
    }))
}

/// Applies `apply` again when it failed on a deadlock or a serialization failure (two
/// events on the same rows at once): it rolled back whole, so a retry is safe.
pub async fn with_retries<F, Fut>(mut apply: F) -> Result<EventOutcome, EventError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<EventOutcome, EventError>>,
{
    const MAX_TRIES: u32 = 3;
    let mut tries = 0;
    loop {
        tries += 1;
        match apply().await {
            Err(e) if tries < MAX_TRIES && e.is_retryable() => continue,
            done => return done,
        }
    }
}

/// Locks the open company with this Partita IVA (its events are serialised on this row),
/// or answers 404.
pub(crate) async fn lock_open_company(
    conn: &mut sqlx::PgConnection,
    vat_number: &str,
) -> Result<crate::db::companies::Company, EventError> {
    crate::db::companies::lock_open_by_vat(conn, vat_number)
        .await?
        .ok_or_else(|| EventError::NotFound {
            field: "vat_number",
            message: "Nessuna azienda attiva con questa Partita IVA".to_owned(),
        })
}
