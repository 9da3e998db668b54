//! `POST /api/v1/aziende/{vat_number}/rappresentante-legale`: the handover that no anchor
//! offers without a phone call. At once, in one transaction: the previous legal
//! representative becomes Amministratore Full or is disabled (as the event says; disabled
//! they keep the least profile, Utilizzatore, should the new one re-enable them), their
//! sessions end; the new one is promoted (a user of the company with that e-mail) or created
//! and sent the username e-mail; both are told by e-mail. While the new one has not
//! activated, the company still has exactly one legal representative, the new one, and
//! support sees the handover pending.
//!
//! Handovers of one company are serialised on its row lock: two at once give the result of
//! one after the other.

use serde_json::json;

use super::payload::{LegalRepresentativeChange, LegalRepresentativePayload, PreviousBecomes};
use super::{
    Context, EventError, EventKind, EventOutcome, claim, fingerprint, lock_open_company,
    with_retries,
};
use crate::contracts::FieldError;
use crate::credentials::recovery::queue;
use crate::credentials::send_username_email;
use crate::db::users::{NewUser, User};
use crate::db::{self, audit, credentials, events, users};
use crate::domain::{AuditAction, MessageKind, Profile, RegistrationState};
use crate::notify::messages;

/// Validates and applies one handover; `vat_number` is the path's, as sent.
pub async fn change_legal_representative(
    ctx: &Context<'_>,
    vat_number: &str,
    payload: &LegalRepresentativePayload,
) -> Result<EventOutcome, EventError> {
    let event = payload.validate(vat_number).map_err(EventError::Invalid)?;
    let fingerprint = fingerprint(
        EventKind::LegalRepresentativeChanged,
        event.vat_number.as_str(),
        payload,
    );
    with_retries(|| apply(ctx, &event, &fingerprint)).await
}

async fn apply(
    ctx: &Context<'_>,
    event: &LegalRepresentativeChange,
    fingerprint: &[u8; 32],
) -> Result<EventOutcome, EventError> {
    let mut claimed = match claim(
        ctx,
        EventKind::LegalRepresentativeChanged,
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
    let previous = events::lock_legal_representative(tx, company.id).await?;
    let person = &event.person;
    let existing = events::lock_user_by_email(tx, company.id, person.email.as_str()).await?;
    let answer = |id| json!({ "company_id": company.id, "legal_representative_user_id": id, "lines_added": 0 });
    if let Some(p) = previous
        .as_ref()
        .filter(|p| existing.as_ref().is_some_and(|e| e.id == p.id))
    {
        // Already the legal representative: nothing to hand over.
        let body = answer(p.id);
        return claimed.finish(company.id, 200, body).await;
    }
    // First the previous one steps down: a company has one legal representative at a time.
    if let Some(p) = &previous {
        match event.previous {
            PreviousBecomes::AdminFull => {
                events::set_profile_and_state(tx, p.id, Profile::AdminFull, p.state).await?;
            }
            PreviousBecomes::Disabled => {
                events::set_profile_and_state(tx, p.id, Profile::User, RegistrationState::Disabled)
                    .await?;
                credentials::supersede_tokens(tx, p.id).await?;
            }
        }
    }
    let (new_rep, promoted) = match existing {
        Some(u) => (promote(tx, u, person).await?, true),
        None => (create(tx, company.id, person).await?, false),
    };
    let actor = claimed.actor();
    let tx = &mut claimed.tx;
    if new_rep.state == RegistrationState::Active {
        let email = messages::legal_representative_promoted_email(
            &new_rep.first_name,
            &company.name,
            &new_rep.username,
        );
        queue(
            tx,
            &new_rep,
            MessageKind::LegalRepresentativeChanged,
            &email,
        )
        .await?;
    } else {
        send_username_email(tx, ctx.config, ctx.now, &new_rep, &actor).await?;
    }
    if let Some(p) = &previous {
        let email = messages::legal_representative_left_email(
            &p.first_name,
            &company.name,
            &new_rep.full_name(),
            event.previous == PreviousBecomes::AdminFull,
        );
        queue(tx, p, MessageKind::LegalRepresentativeChanged, &email).await?;
    }
    events::record_handover(
        tx,
        &events::Handover {
            event_id: &event.event_id,
            company_id: company.id,
            previous_user_id: previous.as_ref().map(|p| p.id),
            new_user_id: new_rep.id,
            previous_becomes: event.previous.as_str(),
            at: ctx.now,
        },
    )
    .await?;
    let details = claimed.details(json!({
        "previous": event.previous.as_str(),
        "promosso": promoted,
        "precedente_user_id": previous.as_ref().map(|p| p.id.to_string()),
    }));
    audit::append(
        &mut claimed.tx,
        &actor.event(
            company.id,
            Some(new_rep.id),
            AuditAction::LegalRepresentativeChanged,
            details,
        ),
    )
    .await?;
    if let Some(p) = &previous {
        let details = claimed.details(json!({ "previous": event.previous.as_str() }));
        audit::append(
            &mut claimed.tx,
            &actor.event(
                company.id,
                Some(p.id),
                AuditAction::LegalRepresentativeReplaced,
                details,
            ),
        )
        .await?;
    }
    tracing::info!(event_id = %event.event_id, company_id = %company.id, promoted, "legal representative changed");
    claimed.finish(company.id, 201, answer(new_rep.id)).await
}

/// A user of the company becomes its legal representative, with the names of the event; a
/// disabled one is enabled again (active if they had chosen a password).
async fn promote(
    conn: &mut sqlx::PgConnection,
    user: User,
    person: &crate::contracts::payload::Person,
) -> Result<User, EventError> {
    let state = match user.state {
        RegistrationState::Disabled if users::has_password(conn, user.id).await? => {
            RegistrationState::Active
        }
        RegistrationState::Disabled => RegistrationState::ToRegister,
        other => other,
    };
    events::set_profile_and_state(conn, user.id, Profile::LegalRepresentative, state).await?;
    events::take_contract_names(
        conn,
        user.id,
        person.first_name.as_str(),
        person.last_name.as_str(),
        person.mobile.as_ref(),
    )
    .await?;
    Ok(users::find(conn, user.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {} vanished", user.id))?)
}

/// A new user, the legal representative, with the e-mail as username (as at the first
/// contract).
async fn create(
    conn: &mut sqlx::PgConnection,
    company_id: uuid::Uuid,
    person: &crate::contracts::payload::Person,
) -> Result<User, EventError> {
    let new_user = NewUser {
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
            return Err(EventError::Invalid(vec![FieldError {
                field: "legal_representative.email".to_owned(),
                message: "Questo indirizzo e-mail è già la username di un altro utente dell'Area Clienti: indicare un indirizzo diverso".to_owned(),
            }]));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(users::find(conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {id} vanished"))?)
}
