//! The access review (CONTRACT.md §4c): the legal representative confirms who keeps access
//! and disables the others, in one submit (one transaction); every `ACCESS_REVIEW_DAYS` the
//! worker reminds them by e-mail ([`remind_due`]).

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::common::{audit_event, require, target};
use super::{ManageError, Manager};
use crate::config::Config;
use crate::credentials::recovery::queue;
use crate::db::{access_reviews, audit, companies, credentials, users};
use crate::domain::{AuditAction, MessageKind, RegistrationState};
use crate::notify::messages;

/// A user who has not logged in for this long is pointed out as dormant.
pub const DORMANT_AFTER: time::Duration = time::Duration::days(90);

/// What a submitted review did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    pub kept: usize,
    pub disabled: usize,
}

/// Records a review: `keep` are confirmed, `disable` are disabled (sessions end, links die),
/// all in one transaction; an id of another company, or one the manager may not disable, is
/// 404 and changes nothing.
pub async fn submit(
    pool: &PgPool,
    m: &Manager<'_>,
    keep: &[Uuid],
    disable: &[Uuid],
) -> Result<Reviewed, ManageError> {
    let mut tx = pool.begin().await?;
    for id in keep {
        target(&mut tx, m, *id).await?;
    }
    let mut disabled = 0;
    for id in disable {
        let (user, allowed) = target(&mut tx, m, *id).await?;
        if user.state == RegistrationState::Disabled {
            continue;
        }
        require(allowed.disable)?;
        users::disable(&mut tx, user.id).await?;
        credentials::supersede_tokens(&mut tx, user.id).await?;
        let details =
            json!({ "motivo": "revisione_accessi", "prima": { "state": user.state.as_str() } });
        audit_event(&mut tx, m, user.id, AuditAction::UserDisabled, details).await?;
        disabled += 1;
    }
    access_reviews::record_review(&mut tx, m.company_id(), m.user.id, &m.user.username, m.now)
        .await?;
    let details = json!({ "confermati": keep.len(), "disabilitati": disabled });
    audit::append(
        &mut tx,
        &m.actor
            .event(m.company_id(), None, AuditAction::AccessReviewed, details),
    )
    .await?;
    tx.commit().await?;
    Ok(Reviewed {
        kept: keep.len(),
        disabled,
    })
}

/// Companies reminded per transaction, and per call at most: a backlog (the first scan after
/// an upgrade finds every company due) goes out over several worker rounds, between which
/// the worker delivers what is queued.
const REMINDERS_PER_BATCH: i64 = 100;
pub const REMINDERS_PER_CALL: usize = 1_000;

/// Queues the review reminder to the legal representative of every open company whose last
/// review (or reminder, or creation) is older than `interval` at `now`, up to
/// [`REMINDERS_PER_CALL`]; returns how many.
pub async fn remind_due(
    pool: &PgPool,
    config: &Config,
    now: OffsetDateTime,
    interval: time::Duration,
) -> sqlx::Result<usize> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        let due =
            access_reviews::claim_due_reminders(&mut tx, now - interval, now, REMINDERS_PER_BATCH)
                .await?;
        for company_id in &due {
            let (Some(company), Some(lr)) = (
                companies::find(&mut tx, *company_id).await?,
                users::legal_representative(&mut tx, *company_id).await?,
            ) else {
                continue;
            };
            let link = config.link("/area-clienti/gestione-utenze/revisione");
            let email = messages::access_review_email(
                &lr.first_name,
                &company.name,
                &link,
                interval.whole_days(),
            );
            queue(&mut tx, &lr, MessageKind::AccessReview, &email).await?;
        }
        tx.commit().await?;
        total += due.len();
        if i64::try_from(due.len()).unwrap_or(i64::MAX) < REMINDERS_PER_BATCH
            || total >= REMINDERS_PER_CALL
        {
            return Ok(total);
        }
    }
}
