//! Adding and removing a customer's passkeys. The first strong factor of an account (app or
//! passkey) also issues its recovery codes, as the app's enrolment does.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::passkey::RelyingParty;
use super::{Holder, audit_event, issue_recovery_codes};
use crate::actor::Actor;
use crate::db::factors::{self as db, Owner};
use crate::db::users::User;
use crate::db::{factor_resets, passkeys};
use crate::domain::AuditAction;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyEnrolError {
    #[error("the browser's answer does not prove a new passkey: {0}")]
    Refused(#[from] webauthn_rs::prelude::WebauthnError),
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    /// The factors were reset: a new one is enrolled only after the e-mailed link + code.
    #[error("factors reset: re-enrol through the e-mailed link")]
    ReenrolByLink,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Verifies the browser's answer to the registration ceremony and records the passkey;
/// returns the recovery codes when they were issued now (shown once).
#[allow(clippy::too_many_arguments)]
pub async fn enrol_passkey(
    pool: &PgPool,
    relying_party: &RelyingParty,
    user: &User,
    actor: &Actor,
    ceremony: (&PasskeyRegistration, &RegisterPublicKeyCredential),
    name: &str,
    now: OffsetDateTime,
) -> Result<Option<Vec<String>>, PasskeyEnrolError> {
    let (state, credential) = ceremony;
    let passkey = relying_party.finish_registration(credential, state)?;
    let owner = Owner::User(user.id);
    let mut tx = pool.begin().await?;
    if factor_resets::pending(&mut tx, user.id).await? {
        return Err(PasskeyEnrolError::ReenrolByLink);
    }
    if !passkeys::insert(&mut tx, owner, &passkey, name, now).await? {
        return Err(PasskeyEnrolError::AlreadyRegistered);
    }
    let codes = if db::recovery_codes_left(&mut tx, owner).await? == 0 {
        Some(issue_recovery_codes(&mut tx, Holder::User(user), actor, now).await?)
    } else {
        None
    };
    audit_event(
        &mut tx,
        Holder::User(user),
        actor,
        AuditAction::PasskeyAdded,
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Removes one of the user's passkeys; with no app or passkey left the recovery codes go
/// too. False when it is not theirs.
pub async fn remove_passkey(
    pool: &PgPool,
    user: &User,
    actor: &Actor,
    passkey_id: Uuid,
) -> sqlx::Result<bool> {
    let owner = Owner::User(user.id);
    let mut tx = pool.begin().await?;
    let removed = passkeys::delete(&mut tx, owner, passkey_id).await?;
    if removed {
        if !db::has_strong_factor(&mut tx, owner).await? {
            db::delete_recovery_codes(&mut tx, owner).await?;
        }
        audit_event(
            &mut tx,
            Holder::User(user),
            actor,
            AuditAction::PasskeyRemoved,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(removed)
}
