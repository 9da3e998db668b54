//! `area-clienti demo`: an idempotent demo company, so a newcomer can walk the whole
//! activation journey in a browser with the dev mailbox.

use sqlx::PgPool;

use crate::clock::Clock;
use crate::config::Config;
use crate::contracts::{
    self, ContractPayload,
    payload::{CompanyPayload, LinePayload, PersonPayload},
};

pub const DEMO_CONTRACT_ID: &str = "DEMO-0001";
pub const DEMO_USERNAME: &str = "maria.rossi@example.it";

/// The demo contract: a legal representative with a mobile, 25 lines, one with a referent.
pub fn demo_contract() -> ContractPayload {
    let person = |first: &str, last: &str, email: &str| PersonPayload {
        first_name: Some(first.to_owned()),
        last_name: Some(last.to_owned()),
        email: Some(email.to_owned()),
        ..PersonPayload::default()
    };
    let lines = (0..25)
        .map(|i| LinePayload {
            number: Some(format!("+3934011122{i:02}")),
            referent: (i == 0).then(|| PersonPayload {
                profile: Some("amministratore_light".to_owned()),
                ..person("Luca", "Bianchi", "luca.bianchi@example.it")
            }),
        })
        .collect();
    ContractPayload {
        contract_id: Some(DEMO_CONTRACT_ID.to_owned()),
        channel: Some("demo".to_owned()),
        company: Some(CompanyPayload {
            name: Some("Rossi Impianti S.r.l.".to_owned()),
            vat_number: Some("IT01234567897".to_owned()),
            tax_code: Some("01234567897".to_owned()),
        }),
        legal_representative: Some(PersonPayload {
            mobile: Some("+393331234567".to_owned()),
            ..person("Maria", "Rossi", DEMO_USERNAME)
        }),
        mobile_lines: Some(lines),
    }
}

/// Loads the demo company (a no-op when it is already there) and says where to look.
pub async fn load(pool: &PgPool, config: &Config, clock: &Clock) -> anyhow::Result<()> {
    let outcome = contracts::ingest(pool, config, clock.now(), &demo_contract())
        .await
        .map_err(|e| anyhow::anyhow!("demo: {e:?}"))?;
    let mailbox = config.link("/dev/posta");
    if outcome.created {
        tracing::info!(
            "demo company created: the username email of {DEMO_USERNAME} is in {mailbox}"
        );
    } else {
        tracing::info!(
            "demo company already present (username {DEMO_USERNAME}); messages: {mailbox}"
        );
    }
    println!(
        "\nArea Clienti demo: apri {mailbox} e segui il link della e-mail per {DEMO_USERNAME}\n"
    );
    Ok(())
}
