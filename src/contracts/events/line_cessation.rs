//! `POST /api/v1/linee/{number}/cessazione`: a line ceased or was ported out. It leaves
//! the company's Gestione Utenze, counts, search and support sheet (its history stays in
//! `ceased_lines` and in the audit); the user tied to it is untied, and an Utilizzatore
//! left without a line is disabled, their sessions ended. The legal representative gets one
//! e-mail naming the line and what changed.
//!
//! The line's row lock orders it against Gestione Utenze: a registration of that line's
//! user either commits first (and its user is untied here) or finds the line gone (404).

use serde_json::json;

use super::payload::{LineCessation, LineCessationPayload};
use super::{Context, EventError, EventKind, EventOutcome, claim, fingerprint, with_retries};
use crate::credentials::recovery::queue;
use crate::db::{audit, companies, credentials, events, lines, users};
use crate::domain::{AuditAction, MessageKind, Profile, RegistrationState};
use crate::notify::messages;

/// Validates and applies one cessation; `number` is the path's, as sent.
pub async fn cease_line(
    ctx: &Context<'_>,
    number: &str,
    payload: &LineCessationPayload,
) -> Result<EventOutcome, EventError> {
    let event = payload.validate(number).map_err(EventError::Invalid)?;
    let fingerprint = fingerprint(EventKind::LineCeased, event.number.as_str(), payload);
    with_retries(|| apply(ctx, &event, &fingerprint)).await
}

async fn apply(
    ctx: &Context<'_>,
    event: &LineCessation,
    fingerprint: &[u8; 32],
) -> Result<EventOutcome, EventError> {
    let mut claimed = match claim(
        ctx,
        EventKind::LineCeased,
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
    let line = lines::find_by_number(tx, event.number.as_str())
        .await?
        .ok_or_else(|| EventError::NotFound {
            field: "number",
            message: "Numero non presente tra le linee attive".to_owned(),
        })?;
    let company = companies::find(tx, line.company_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("company of line {} vanished", line.id))?;
    let user = match line.user_id {
        Some(id) => users::find_for_update(tx, id).await?,
        None => None,
    };
    events::cease_line(tx, line.id, event.reason.as_str(), &event.event_id, ctx.now).await?;
    // A user holds at most one line: an Utilizzatore is there only for it.
    let disable = user
        .as_ref()
        .is_some_and(|u| u.profile == Profile::User && u.state != RegistrationState::Disabled);
    if let (true, Some(u)) = (disable, &user) {
        users::disable(tx, u.id).await?;
        credentials::supersede_tokens(tx, u.id).await?;
    }
    let actor = claimed.actor();
    let details = claimed.details(json!({
        "numero": event.number.as_str(),
        "motivo": event.reason.as_str(),
        "utente_disabilitato": disable,
    }));
    let tx = &mut claimed.tx;
    audit::append(
        tx,
        &actor.event(
            company.id,
            user.as_ref().map(|u| u.id),
            AuditAction::LineCeased,
            details,
        ),
    )
    .await?;
    if let (true, Some(u)) = (disable, &user) {
        let details =
            claimed.details(json!({ "motivo": "linea_cessata", "numero": event.number.as_str() }));
        audit::append(
            &mut claimed.tx,
            &actor.event(company.id, Some(u.id), AuditAction::UserDisabled, details),
        )
        .await?;
    }
    let tx = &mut claimed.tx;
    if let Some(lr) = users::legal_representative(tx, company.id).await? {
        let name = user.as_ref().map(|u| u.full_name()).unwrap_or_default();
        let untied = user.as_ref().map(|u| messages::UntiedUser {
            name: if name.is_empty() { &u.username } else { &name },
            username: &u.username,
            disabled: disable,
        });
        let email = messages::line_ceased_email(
            &lr.first_name,
            &company.name,
            &event.number.grouped(),
            event.reason.in_words(),
            untied.as_ref(),
        );
        queue(tx, &lr, MessageKind::LineCeased, &email).await?;
    }
    let body = json!({
        "company_id": company.id,
        "number": event.number.as_str(),
        "reason": event.reason.as_str(),
        "untied_user_id": user.as_ref().map(|u| u.id),
        "user_disabled": disable,
    });
    tracing::info!(event_id = %event.event_id, company_id = %company.id, "line ceased");
    claimed.finish(company.id, 200, body).await
}
