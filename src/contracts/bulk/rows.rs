//! The rows of a fast-path batch, column by column, as the set-based inserts of
//! [`crate::db::bulk`] take them.

use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::actor::Actor;
use crate::config::Config;
use crate::contracts::Contract;
use crate::credentials::username_email::{self, TEMPLATE};
use crate::db::bulk;
use crate::domain::AuditAction;
use crate::notify::messages::RegisteredBy;

/// The rows of a batch, column by column, as the set-based inserts take them.
#[derive(Default)]
pub(super) struct Rows<'a> {
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
    pub(super) fn add(
        &mut self,
        config: &Config,
        now: OffsetDateTime,
        c: &'a Contract,
        sha: &'a [u8; 32],
    ) -> anyhow::Result<()> {
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
        self.add_username_email(config, now, c, company_id, user_id);
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
        now: OffsetDateTime,
        c: &Contract,
        company_id: Uuid,
        user_id: Uuid,
    ) {
        let person = &c.legal_representative;
        let prepared = username_email::prepare(
            config,
            now,
            person.first_name.as_str(),
            person.email.as_str(),
            &c.company_name,
            RegisteredBy::Contract,
        );
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
    pub(super) async fn insert(&self, conn: &mut sqlx::PgConnection) -> anyhow::Result<()> {
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

fn expect(table: &str, written: u64, expected: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        written == expected,
        "{table}: {written} rows written, {expected} expected"
    );
    Ok(())
}
