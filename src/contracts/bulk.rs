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
use crate::domain::AuditAction;

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

/// The rows of a batch, column by column, as the set-based inserts take them.
#[derive(Default)]
struct Rows<'a> {
    companies: bulk::Companies<'a>,
    people: bulk::LegalRepresentatives<'a>,
    contracts: bulk::Contracts<'a>,
    lines: bulk::Lines<'a>,
    emails: bulk::UsernameEmails,
    events: bulk::SystemEvents,
    expires_at: Option<time::OffsetDateTime>,
}

impl<'a> Rows<'a> {
    /// Adds one first contract: its company, representative, contract, lines, username
    /// email and audit events, with fresh ids.
    fn add(&mut self, config: &Config, c: &'a Contract, sha: &'a [u8; 32]) -> anyhow::Result<()> {
        let (company_id, user_id) = (Uuid::new_v4(), Uuid::new_v4());
        let person = &c.legal_representative;
        self.companies.id.push(company_id);
        self.companies.name.push(&c.company_name);
        self.companies.vat_number.push(c.vat_number.as_str());
        self.companies.tax_code.push(c.tax_code.as_deref());

        self.people.id.push(user_id);
        self.people.company_id.push(company_id);
        self.people.email.push(person.email.as_str());
        self.people
            .mobile
            .push(person.mobile.as_ref().map(|m| m.as_str()));
        self.people.first_name.push(person.first_name.as_str());
        self.people.last_name.push(person.last_name.as_str());

        let lines_added = i32::try_from(c.lines.len())?;
        self.contracts.contract_id.push(&c.contract_id);
        self.contracts.company_id.push(company_id);
        self.contracts.channel.push(&c.channel);
        self.contracts.request_sha256.push(sha.as_slice());
        self.contracts.legal_representative_user_id.push(user_id);
        self.contracts.lines_added.push(lines_added);

        self.add_lines(c, company_id, user_id);
        self.add_username_email(config, c, company_id, user_id);
        self.add_events(c, company_id, user_id, lines_added);
        Ok(())
    }

    /// The contract's lines; the representative's own number is tied to them.
    fn add_lines(&mut self, c: &'a Contract, company_id: Uuid, user_id: Uuid) {
        let own_line = c.legal_representative.mobile.as_ref().map(|m| m.as_str());
        for line in &c.lines {
            let referent = line.referent.as_ref();
            let lines = &mut self.lines;
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
    }

    fn add_username_email(
        &mut self,
        config: &Config,
        c: &Contract,
        company_id: Uuid,
        user_id: Uuid,
    ) {
        let person = &c.legal_representative;
        let prepared =
            username_email::prepare(config, person.first_name.as_str(), person.email.as_str());
        self.expires_at.get_or_insert(prepared.expires_at);
        let emails = &mut self.emails;
        emails.company_id.push(company_id);
        emails.user_id.push(user_id);
        emails.token_sha256.push(prepared.token_sha256.to_vec());
        emails.recipient.push(person.email.as_str().to_owned());
        emails.subject.push(prepared.email.subject);
        emails.body_text.push(prepared.email.text);
        emails.body_html.push(prepared.email.html);
    }

    fn add_events(&mut self, c: &Contract, company_id: Uuid, user_id: Uuid, lines_added: i32) {
        let events = &mut self.events;
        events.company_id.push(company_id);
        events.subject_user_id.push(None);
        events.action.push(AuditAction::ContractRecorded);
        events.details.push(json!({ "contract_id": c.contract_id, "channel": c.channel, "lines_added": lines_added }));
        events.company_id.push(company_id);
        events.subject_user_id.push(Some(user_id));
        events.action.push(AuditAction::UsernameEmailSent);
        events
            .details
            .push(json!({ "email": c.legal_representative.email.as_str() }));
    }

    /// One statement per table; each must write exactly the rows added.
    async fn insert(&self, conn: &mut sqlx::PgConnection) -> anyhow::Result<()> {
        let n = self.contracts.contract_id.len() as u64;
        let companies = bulk::insert_companies(conn, &self.companies).await?;
        expect("companies", companies, n)?;
        let people = bulk::insert_legal_representatives(conn, &self.people).await?;
        expect("users", people, n)?;
        expect(
            "contracts",
            bulk::insert_contracts(conn, &self.contracts).await?,
            n,
        )?;
        let lines = bulk::insert_lines(conn, &self.lines).await?;
        expect("mobile_lines", lines, self.lines.number.len() as u64)?;
        let expires_at = self
            .expires_at
            .ok_or_else(|| anyhow::anyhow!("empty batch"))?;
        let (tokens, messages) =
            bulk::insert_username_emails(conn, &self.emails, TEMPLATE, expires_at).await?;
        expect("credential_tokens", tokens, n)?;
        expect("outbox", messages, n)?;
        let system = Actor::system();
        let events = bulk::insert_system_events(conn, &self.events, &system.label).await?;
        expect("audit_events", events, 2 * n)
    }
}

async fn write(
    conn: &mut sqlx::PgConnection,
    config: &Config,
    fresh: &[Parsed],
) -> anyhow::Result<()> {
    let fingerprints: Vec<[u8; 32]> = fresh.iter().map(|p| fingerprint(&p.payload)).collect();
    let mut rows = Rows::default();
    for (parsed, sha) in fresh.iter().zip(&fingerprints) {
        rows.add(config, &parsed.contract, sha)?;
    }
    rows.insert(conn).await
}

fn expect(table: &str, written: u64, expected: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        written == expected,
        "{table}: {written} rows written, {expected} expected"
    );
    Ok(())
}
