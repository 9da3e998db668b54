//! Purchases reported by sales channels. The first contract of a company creates the
//! company, its lines and its legal representative and queues the username email, all in
//! one transaction; later contracts add lines; a repeated `contract_id` changes nothing.

pub mod bulk;
pub mod events;
pub mod generate;
pub mod import;
pub mod payload;

use std::collections::HashSet;

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::actor::Actor;
use crate::config::Config;
use crate::credentials::send_username_email;
use crate::db::users::User;
use crate::db::{self, audit, companies, contracts, lines, users};
use crate::domain::AuditAction;
use crate::domain::{Profile, RegistrationState};
pub use payload::{Contract, ContractPayload, FieldError};

/// The answer given for a contract (the same on every retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    pub company_id: Uuid,
    pub legal_representative_user_id: Uuid,
    pub lines_added: i32,
    /// False when this `contract_id` was already recorded.
    #[serde(skip)]
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("invalid contract")]
    Invalid(Vec<FieldError>),
    /// The `contract_id` was already used for a different purchase.
    #[error("contract_id reused with different data")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for IngestError {
    fn from(e: sqlx::Error) -> Self {
        IngestError::Internal(e.into())
    }
}

fn invalid(field: &str, message: &str) -> IngestError {
    IngestError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }])
}

/// Identifies the request a `contract_id` was first recorded with: a retry must match it.
fn fingerprint(payload: &ContractPayload) -> [u8; 32] {
    // Serialising a parsed payload back to JSON cannot fail (string keys, no maps of
    // other keys); an empty input would only ever make a retry look different.
    Sha256::digest(serde_json::to_vec(payload).unwrap_or_default()).into()
}

/// Validates and records one contract.
pub async fn ingest(
    pool: &PgPool,
    config: &Config,
    now: OffsetDateTime,
    payload: &ContractPayload,
) -> Result<IngestOutcome, IngestError> {
    let contract = payload.validate().map_err(IngestError::Invalid)?;
    let fingerprint = fingerprint(payload);
    let mut tx = pool.begin().await?;
    if let Some(outcome) = replay(&mut tx, &contract.contract_id, &fingerprint).await? {
        return Ok(outcome);
    }
    let (company_id, created, legal_rep) = company_of(&mut tx, &contract).await?;
    let claimed = contracts::claim(
        &mut tx,
        &contract.contract_id,
        company_id,
        &contract.channel,
        &fingerprint,
        legal_rep.id,
    )
    .await?;
    if !claimed {
        // The same contract_id committed concurrently: answer as a retry would.
        drop(tx);
        let mut conn = pool.acquire().await?;
        return replay(&mut conn, &contract.contract_id, &fingerprint)
            .await?
            .ok_or_else(|| anyhow::anyhow!("contract vanished").into());
    }
    let lines_added = record_lines(
        &mut tx, config, now, &contract, company_id, created, &legal_rep,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(contract_id = %contract.contract_id, %company_id, created, lines_added, "contract recorded");
    Ok(IngestOutcome {
        company_id,
        legal_representative_user_id: legal_rep.id,
        lines_added,
        created: true,
    })
}

/// The contract's company (created with its legal representative on a first contract).
async fn company_of(
    conn: &mut PgConnection,
    contract: &Contract,
) -> Result<(Uuid, bool, User), IngestError> {
    let (company_id, created) = companies::insert_or_get(
        conn,
        &contract.company_name,
        contract.vat_number.as_str(),
        contract.tax_code.as_deref(),
    )
    .await?;
    let legal_rep = if created {
        insert_legal_representative(conn, company_id, contract).await?
    } else {
        users::legal_representative(conn, company_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("company {company_id} has no legal representative"))?
    };
    Ok((company_id, created, legal_rep))
}

/// The contract's lines, their audit event and, for a first contract, the username email.
async fn record_lines(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    contract: &Contract,
    company_id: Uuid,
    created: bool,
    legal_rep: &User,
) -> Result<i32, IngestError> {
    let lines_added = insert_lines(conn, company_id, contract).await?;
    // Only the first contract registers the legal representative; a later one may name
    // other contact data, which is a contract change, not a new line for them.
    if let Some(mobile) = contract
        .legal_representative
        .mobile
        .as_ref()
        .filter(|_| created)
    {
        lines::assign_user(conn, company_id, mobile, legal_rep.id).await?;
    }
    contracts::set_lines_added(conn, &contract.contract_id, lines_added).await?;
    let actor = Actor::system();
    let details = json!({ "contract_id": contract.contract_id, "channel": contract.channel, "lines_added": lines_added });
    audit::append(
        conn,
        &actor.event(company_id, None, AuditAction::ContractRecorded, details),
    )
    .await?;
    if created {
        send_username_email(conn, config, now, legal_rep, &actor).await?;
    }
    Ok(lines_added)
}

async fn replay(
    conn: &mut PgConnection,
    contract_id: &str,
    fingerprint: &[u8],
) -> Result<Option<IngestOutcome>, IngestError> {
    let Some(record) = contracts::find(conn, contract_id).await? else {
        return Ok(None);
    };
    if record.request_sha256 != fingerprint {
        return Err(IngestError::Conflict);
    }
    Ok(Some(IngestOutcome {
        company_id: record.company_id,
        legal_representative_user_id: record.legal_representative_user_id,
        lines_added: record.lines_added,
        created: false,
    }))
}

async fn insert_legal_representative(
    conn: &mut PgConnection,
    company_id: Uuid,
    contract: &Contract,
) -> Result<users::User, IngestError> {
    let person = &contract.legal_representative;
    let new_user = users::NewUser {
        company_id,
        username: person.email.as_str(),
        email: &person.email,
        mobile: person.mobile.as_ref(),
        first_name: person.first_name.as_str(),
        last_name: person.last_name.as_str(),
        profile: Profile::LegalRepresentative,
        state: RegistrationState::ToRegister,
    };
    let id = match users::insert(conn, &new_user).await {
        Ok(id) => id,
        Err(e) if db::is_unique_violation(&e, users::USERNAME_UNIQUE) => {
            return Err(invalid(
                "legal_representative.email",
                "Questo indirizzo e-mail è già la username di un altro utente dell'Area Clienti: indicare un indirizzo diverso",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(users::find(conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {id} vanished"))?)
}

/// Inserts the contract's lines. A number already recorded is skipped when it is this
/// company's (a repeated line) and refuses the contract when it is another company's; the
/// caller's transaction is then dropped, so nothing of the contract stays.
async fn insert_lines(
    conn: &mut PgConnection,
    company_id: Uuid,
    contract: &Contract,
) -> Result<i32, IngestError> {
    let new_lines: Vec<lines::NewLine> = contract
        .lines
        .iter()
        .map(|l| lines::NewLine {
            number: &l.number,
            referent_first_name: l.referent.as_ref().map(|r| r.first_name.as_str()),
            referent_last_name: l.referent.as_ref().map(|r| r.last_name.as_str()),
            referent_email: l.referent.as_ref().map(|r| &r.email),
            referent_profile: l.referent.as_ref().and_then(|r| r.profile),
        })
        .collect();
    let inserted = lines::insert_many(conn, company_id, &contract.contract_id, &new_lines).await?;
    // Usually every line is new: only skipped numbers need a look at who owns them.
    if inserted.len() < new_lines.len() {
        let inserted: HashSet<&str> = inserted.iter().map(String::as_str).collect();
        let skipped: Vec<&str> = new_lines
            .iter()
            .map(|l| l.number.as_str())
            .filter(|n| !inserted.contains(n))
            .collect();
        let taken = lines::owned_elsewhere(conn, company_id, &skipped).await?;
        if !taken.is_empty() {
            let errors = contract
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| taken.iter().any(|t| t == l.number.as_str()))
                .map(|(i, _)| FieldError {
                    field: format!("mobile_lines[{i}].number"),
                    message: "Il numero appartiene già a un'altra azienda".to_owned(),
                })
                .collect();
            return Err(IngestError::Invalid(errors));
        }
    }
    Ok(i32::try_from(inserted.len()).unwrap_or(i32::MAX))
}
