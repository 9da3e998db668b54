//! The import's fast path. Most contracts of a bulk load are the first of a new company;
//! a batch of those is recorded with one statement per table instead of about fifteen per
//! contract, which is what makes `area-clienti import` keep pace with a raw `COPY`.
//!
//! The rows written are exactly those of [`super::ingest`] for a first contract: company,
//! legal representative (`in_attesa`), contract, lines (the representative's own tied to
//! them), activation link, username email in the outbox, and the two audit events. Every
//! contract the fast path cannot take as a plain new company (its `contract_id`, Partita
//! IVA, username or a number already recorded, or repeated within the batch) is handed
//! back, untouched, to go through `ingest` one by one; so is the whole batch when its
//! transaction fails (e.g. a concurrent writer took a key first).

mod rows;

use std::collections::HashSet;

use sqlx::PgPool;
use time::OffsetDateTime;

use super::{Contract, fingerprint, payload::ContractPayload};
use crate::config::Config;
use crate::db::bulk;

/// A contract that parsed and validated, with where it came from.
pub struct Parsed {
    pub line_no: u64,
    pub payload: ContractPayload,
    pub contract: Contract,
}

/// What became of a batch.
pub struct BatchOutcome {
    /// `(line number, lines added)` of each contract recorded here.
    pub recorded: Vec<(u64, u64)>,
    /// Contracts to go through `ingest` one by one.
    pub deferred: Vec<Parsed>,
}

/// Records the batch's plain new companies in one transaction; returns the rest.
pub async fn record_new_companies(
    pool: &PgPool,
    config: &Config,
    now: OffsetDateTime,
    batch: Vec<Parsed>,
) -> anyhow::Result<BatchOutcome> {
    let mut tx = pool.begin().await?;
    let (fresh, mut deferred) = split_known(&mut tx, batch).await?;
    if fresh.is_empty() {
        return Ok(BatchOutcome {
            recorded: Vec::new(),
            deferred,
        });
    }
    match write(&mut tx, config, now, &fresh).await {
        Ok(()) => {
            tx.commit().await?;
            tracing::info!(contracts = fresh.len(), "batch of new companies recorded");
            let recorded = fresh
                .iter()
                .map(|p| (p.line_no, p.contract.lines.len() as u64))
                .collect();
            Ok(BatchOutcome { recorded, deferred })
        }
        Err(e) => {
            tracing::info!(error = %e, contracts = fresh.len(), "batch not recorded at once: one contract at a time");
            drop(tx);
            deferred.extend(fresh);
            Ok(BatchOutcome {
                recorded: Vec::new(),
                deferred,
            })
        }
    }
}

/// Splits off every contract that touches a key already recorded or repeated in the batch.
async fn split_known(
    conn: &mut sqlx::PgConnection,
    batch: Vec<Parsed>,
) -> anyhow::Result<(Vec<Parsed>, Vec<Parsed>)> {
    let contract_ids: Vec<&str> = batch
        .iter()
        .map(|p| p.contract.contract_id.as_str())
        .collect();
    let vat_numbers: Vec<&str> = batch
        .iter()
        .map(|p| p.contract.vat_number.as_str())
        .collect();
    let usernames: Vec<String> = batch
        .iter()
        .map(|p| {
            p.contract
                .legal_representative
                .email
                .as_str()
                .to_lowercase()
        })
        .collect();
    let usernames: Vec<&str> = usernames.iter().map(String::as_str).collect();
    let numbers: Vec<&str> = batch
        .iter()
        .flat_map(|p| p.contract.lines.iter().map(|l| l.number.as_str()))
        .collect();
    let known =
        bulk::already_known(conn, &contract_ids, &vat_numbers, &usernames, &numbers).await?;
    let mut taken: HashSet<String> = known
        .contract_ids
        .into_iter()
        .map(|k| format!("c:{k}"))
        .chain(known.vat_numbers.into_iter().map(|k| format!("v:{k}")))
        .chain(known.usernames.into_iter().map(|k| format!("u:{k}")))
        .chain(known.numbers.into_iter().map(|k| format!("n:{k}")))
        .collect();
    let (mut fresh, mut deferred) = (Vec::new(), Vec::new());
    for parsed in batch {
        let keys = keys_of(&parsed.contract);
        let unique_in_contract = keys.iter().collect::<HashSet<_>>().len() == keys.len();
        let fresh_company = unique_in_contract && keys.iter().all(|k| !taken.contains(k));
        // Keys of deferred contracts count as taken too: a later contract sharing one of
        // them follows it through the one-by-one path, in file order.
        taken.extend(keys);
        if fresh_company {
            fresh.push(parsed);
        } else {
            deferred.push(parsed);
        }
    }
    Ok((fresh, deferred))
}

/// The unique keys a new company's first contract claims.
fn keys_of(contract: &Contract) -> Vec<String> {
    let mut keys = vec![
        format!("c:{}", contract.contract_id),
        format!("v:{}", contract.vat_number.as_str()),
        // Already lowercase: `EmailAddress` stores the lowercased form.
        format!("u:{}", contract.legal_representative.email),
    ];
    keys.extend(
        contract
            .lines
            .iter()
            .map(|l| format!("n:{}", l.number.as_str())),
    );
    keys
}

async fn write(
    conn: &mut sqlx::PgConnection,
    config: &Config,
    now: OffsetDateTime,
    fresh: &[Parsed],
) -> anyhow::Result<()> {
    let fingerprints: Vec<[u8; 32]> = fresh.iter().map(|p| fingerprint(&p.payload)).collect();
    let mut rows = rows::Rows::default();
    for (parsed, sha) in fresh.iter().zip(&fingerprints) {
        rows.add(config, now, &parsed.contract, sha)?;
    }
    rows.insert(conn).await
}
