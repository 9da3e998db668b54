//! A failed or expired message sent again from the company sheet. Its body is gone (bodies
//! are erased when a message settles) and its link may be dead, so "again" always means a
//! fresh message through the use case that made it: a new link, older ones dead, never the
//! old text. Only messages that carry credentials can be renewed this way; for the others
//! the sheet says what to do instead.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::ResendError;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::config::Config;
use crate::credentials::recovery;
use crate::db::staff::{self as staff_db, EventSubject, StaffUser};
use crate::db::{audit, outbox, users};
use crate::domain::{AuditAction, MessageKind};

/// Why support cannot send a message of this kind again, or `None` when it can: the username
/// e-mail and the credential e-mails (recovery, reminder) are renewed by the resend of
/// credentials; the others belong to a step only the user (or a reset) can repeat.
pub fn not_requeueable_because(kind: MessageKind) -> Option<&'static str> {
    match kind {
        MessageKind::Username | MessageKind::Recovery | MessageKind::Reminder => None,
        MessageKind::Code => Some(
            "Un codice non si reinvia: l'utente ne chiede uno nuovo dalla pagina in cui lo usa.",
        ),
        MessageKind::EmailConfirmation => Some(
            "L'utente ripete la modifica dell'indirizzo dal suo profilo: riceve un nuovo link.",
        ),
        MessageKind::FactorsReset => {
            Some("Per un nuovo link di attivazione dei fattori usa «Azzera i fattori».")
        }
        MessageKind::PasswordChanged
        | MessageKind::ContactsChanged
        | MessageKind::SupportNotice
        | MessageKind::NewLogin
        | MessageKind::LineCeased
        | MessageKind::LegalRepresentativeChanged
        | MessageKind::AccessReview => {
            Some("Un avviso non si reinvia: non contiene link né codici.")
        }
    }
}

/// Sends a fresh copy of the failed or expired message `message_id` (see the module), once;
/// audited in the company's trail and in the operator's. Returns the message's company.
pub async fn requeue_message(
    pool: &PgPool,
    config: &Config,
    clock: &Clock,
    staff: &StaffUser,
    client: Option<String>,
    message_id: Uuid,
) -> Result<Uuid, ResendError> {
    let mut tx = pool.begin().await?;
    let Some(message) = outbox::lock_undelivered(&mut tx, message_id).await? else {
        return Err(ResendError::Refused(
            "Nessun invio: il messaggio è in invio, è stato consegnato oppure è già stato reinviato.",
        ));
    };
    if let Some(why) = not_requeueable_because(message.template) {
        return Err(ResendError::Refused(why));
    }
    let user_id = message.user_id.ok_or(ResendError::NotFound)?;
    let user = users::find_for_update(&mut tx, user_id)
        .await?
        .ok_or(ResendError::NotFound)?;
    let now = clock.now();
    let actor = Actor::staff(staff.id, &staff.username, client.clone());
    if !recovery::remind(&mut tx, config, now, &user, &actor).await? {
        return Err(ResendError::Refused(
            "Nessun invio: l'utente non è ancora stato registrato dal Rappresentante Legale oppure è disabilitato.",
        ));
    }
    outbox::mark_requeued(&mut tx, message.id, now).await?;
    let details = json!({
        "messaggio": message.id,
        "tipo": message.template.as_str(),
        "stato": message.state.as_str(),
        "email": user.email,
    });
    let event = actor.event(
        user.company_id,
        Some(user.id),
        AuditAction::SupportRequeuedMessage,
        details.clone(),
    );
    audit::append(&mut tx, &event).await?;
    staff_db::append_detailed_event(
        &mut tx,
        staff.id,
        AuditAction::SupportRequeuedMessage,
        client.as_deref(),
        &details,
        Some(EventSubject {
            company_id: user.company_id,
            user_id: user.id,
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(message_id = %message.id, template = %message.template, "support re-queued an undelivered message");
    Ok(message.company_id)
}
