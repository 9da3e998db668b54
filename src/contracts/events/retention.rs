//! The erasure of a closed company's personal data once `RETENTION_DAYS` have passed since
//! its closure, by the worker of any instance (one company per transaction, locked with
//! `SKIP LOCKED`): names, e-mails, mobiles, numbers, client addresses in the audit, message
//! recipients, sessions, and the e-mails or numbers that Servizio Clienti 191's own trail
//! (`staff_events`) names for its users. Ids, counts and the fact that each thing happened
//! remain, and an audit event says when the erasure was done.

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::actor::Actor;
use crate::db::{audit, events};
use crate::domain::AuditAction;

/// Companies erased per call at most: the worker comes back at its next round.
const PER_ROUND: usize = 16;

/// Erases the companies closed for longer than `retention` at `now` (the portal's clock);
/// returns how many.
pub async fn erase_due(
    pool: &PgPool,
    now: OffsetDateTime,
    retention: time::Duration,
) -> sqlx::Result<usize> {
    let mut erased = 0;
    while erased < PER_ROUND {
        let mut tx = pool.begin().await?;
        let Some(company_id) = events::lock_one_to_erase(&mut tx, now - retention).await? else {
            break;
        };
        let users = events::erase_company(&mut tx, company_id, now).await?;
        let details = json!({ "utenti": users, "giorni_conservazione": retention.whole_days() });
        audit::append(
            &mut tx,
            &Actor::system().event(company_id, None, AuditAction::PersonalDataErased, details),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(%company_id, "personal data of a closed company erased");
        erased += 1;
    }
    Ok(erased)
}
