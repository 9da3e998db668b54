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

use std::collections::HashSet;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Contract, fingerprint, payload::ContractPayload};
use crate::actor::Actor;
use crate::config::Config;
use crate::credentials::username_email::{self, TEMPLATE};
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
    match write(&mut tx, config, &fresh).await {
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
        format!(
            "u:{}",
            contract.legal_representative.email.as_str().to_lowercase()
        ),
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
    fresh: &[Parsed],
) -> anyhow::Result<()> {
    let fingerprints: Vec<[u8; 32]> = fresh.iter().map(|p| fingerprint(&p.payload)).collect();
    let mut companies = bulk::Companies::default();
    let mut people = bulk::LegalRepresentatives::default();
    let mut contracts = bulk::Contracts::default();
    let mut lines = bulk::Lines::default();
    let mut emails = bulk::UsernameEmails::default();
    let mut events = bulk::SystemEvents::default();
    let mut expires_at = None;
    for (parsed, sha) in fresh.iter().zip(&fingerprints) {
        let c = &parsed.contract;
        let person = &c.legal_representative;
        let (company_id, user_id) = (Uuid::new_v4(), Uuid::new_v4());
        companies.id.push(company_id);
        companies.name.push(&c.company_name);
        companies.vat_number.push(c.vat_number.as_str());
        companies.tax_code.push(c.tax_code.as_deref());

        people.id.push(user_id);
        people.company_id.push(company_id);
        people.email.push(person.email.as_str());
        people
            .mobile
            .push(person.mobile.as_ref().map(|m| m.as_str()));
        people.first_name.push(person.first_name.as_str());
        people.last_name.push(person.last_name.as_str());

        let lines_added = i32::try_from(c.lines.len())?;
        contracts.contract_id.push(&c.contract_id);
        contracts.company_id.push(company_id);
        contracts.channel.push(&c.channel);
        contracts.request_sha256.push(sha.as_slice());
        contracts.legal_representative_user_id.push(user_id);
        contracts.lines_added.push(lines_added);

        let own_line = person.mobile.as_ref().map(|m| m.as_str());
        for line in &c.lines {
            let referent = line.referent.as_ref();
            lines.company_id.push(company_id);
            lines.contract_id.push(&c.contract_id);
            lines.number.push(line.number.as_str());
            lines
                .user_id
                .push((own_line == Some(line.number.as_str())).then_some(user_id));
            lines
                .referent_first_name
                .push(referent.map(|r| r.first_name.as_str()));
            lines
                .referent_last_name
                .push(referent.map(|r| r.last_name.as_str()));
            lines
                .referent_email
                .push(referent.map(|r| r.email.as_str()));
            lines
                .referent_profile
                .push(referent.and_then(|r| r.profile));
        }

        let prepared =
            username_email::prepare(config, person.first_name.as_str(), person.email.as_str());
        expires_at.get_or_insert(prepared.expires_at);
        emails.company_id.push(company_id);
        emails.user_id.push(user_id);
        emails.token_sha256.push(prepared.token_sha256.to_vec());
        emails.recipient.push(person.email.as_str().to_owned());
        emails.subject.push(prepared.email.subject);
        emails.body_text.push(prepared.email.text);
        emails.body_html.push(prepared.email.html);

        events.company_id.push(company_id);
        events.subject_user_id.push(None);
        events.action.push("contratto_registrato");
        events.details.push(json!({ "contract_id": c.contract_id, "channel": c.channel, "lines_added": lines_added }));
        events.company_id.push(company_id);
        events.subject_user_id.push(Some(user_id));
        events.action.push("email_username_inviata");
        events
            .details
            .push(json!({ "email": person.email.as_str() }));
    }
    let expected_lines = lines.number.len() as u64;
    let n = fresh.len() as u64;
    expect(
        "companies",
        bulk::insert_companies(conn, &companies).await?,
        n,
    )?;
    expect(
        "users",
        bulk::insert_legal_representatives(conn, &people).await?,
        n,
    )?;
    expect(
        "contracts",
        bulk::insert_contracts(conn, &contracts).await?,
        n,
    )?;
    expect(
        "mobile_lines",
        bulk::insert_lines(conn, &lines).await?,
        expected_lines,
    )?;
    let expires_at = expires_at.ok_or_else(|| anyhow::anyhow!("empty batch"))?;
    let (tokens, messages) =
        bulk::insert_username_emails(conn, &emails, TEMPLATE, expires_at).await?;
    expect("credential_tokens", tokens, n)?;
    expect("outbox", messages, n)?;
    expect(
        "audit_events",
        bulk::insert_system_events(conn, &events, &Actor::system().label).await?,
        2 * n,
    )?;
    Ok(())
}

fn expect(table: &str, written: u64, expected: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        written == expected,
        "{table}: {written} rows written, {expected} expected"
    );
    Ok(())
}
