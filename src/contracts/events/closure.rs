//! `POST /api/v1/aziende/{vat_number}/cessazione`: the company has no contract left. Every
//! user is disabled (and retired: their usernames are free again), sessions end, links and
//! codes die, queued messages are not sent, and nothing more is; every line goes to its
//! history. Support still sees the company. After `RETENTION_DAYS` the worker erases its
//! personal data ([`super::retention`]). A later first contract with the same Partita IVA
//! opens a new, clean company.

use serde_json::json;

use super::payload::{CompanyClosure, CompanyClosurePayload};
use super::{
    Context, EventError, EventKind, EventOutcome, claim, fingerprint, lock_open_company,
    with_retries,
};
use crate::db::{audit, events};
use crate::domain::AuditAction;

/// Validates and applies one closure; `vat_number` is the path's, as sent.
pub async fn close_company(
    ctx: &Context<'_>,
    vat_number: &str,
    payload: &CompanyClosurePayload,
) -> Result<EventOutcome, EventError> {
    let event = payload.validate(vat_number).map_err(EventError::Invalid)?;
    let fingerprint = fingerprint(EventKind::CompanyClosed, event.vat_number.as_str(), payload);
    with_retries(|| apply(ctx, &event, &fingerprint)).await
}

async fn apply(
    ctx: &Context<'_>,
    event: &CompanyClosure,
    fingerprint: &[u8; 32],
) -> Result<EventOutcome, EventError> {
    let mut claimed = match claim(
        ctx,
        EventKind::CompanyClosed,
        &event.event_id,
        &event.channel,
        fingerprint,
    )
    .await?
    {
        Ok(claimed) => claimed,
        Err(replay) => return Ok(replay),
    };
    let tx = &mut claimed.tx;
    let company = lock_open_company(tx, event.vat_number.as_str()).await?;
    let closed = events::close_company(tx, company.id, &event.event_id, ctx.now).await?;
    let actor = claimed.actor();
    let details = claimed.details(json!({
        "utenti_disabilitati": closed.users_disabled,
        "linee_cessate": closed.lines_ceased,
        "messaggi_annullati": closed.messages_cancelled,
    }));
    audit::append(
        &mut claimed.tx,
        &actor.event(company.id, None, AuditAction::CompanyClosed, details),
    )
    .await?;
    let body = json!({
        "company_id": company.id,
        "users_disabled": closed.users_disabled,
        "lines_ceased": closed.lines_ceased,
    });
    tracing::info!(event_id = %event.event_id, company_id = %company.id, "company closed");
    claimed.finish(company.id, 200, body).await
}
