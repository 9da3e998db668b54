//! Second factors of an account (CONTRACT.md §4b): the authenticator app and recovery
//! codes, of a customer user or of a Servizio Clienti operator ([`Holder`]). Enrolment,
//! removal and checking a typed code live here; the login steps that ask for the code are
//! `auth::second_step` (customers) and `auth::staff_step` (operators).

mod holder;
pub mod passkey;
pub mod passkey_enrolment;
pub mod recovery_codes;
pub mod totp;

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::actor::Actor;
use crate::db::factors::{self as db, Owner};
use crate::db::passkeys::{self, StoredPasskey};
use crate::db::staff as staff_db;
use crate::db::{audit, factor_resets};
use crate::domain::AuditAction;

pub use holder::Holder;

/// Which factor proved the login (named in the audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorUsed {
    App,
    RecoveryCode,
    /// A code sent to the user's mobile: the weakest, offered only without an app.
    Sms,
    Passkey,
}

impl FactorUsed {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorUsed::App => "app",
            FactorUsed::RecoveryCode => "codice_recupero",
            FactorUsed::Sms => "sms",
            FactorUsed::Passkey => "passkey",
        }
    }
}

/// What an account has enrolled.
#[derive(Debug, Clone, Default)]
pub struct Enrolled {
    pub app_since: Option<OffsetDateTime>,
    pub passkeys: Vec<StoredPasskey>,
    pub recovery_codes_left: i64,
}

/// What follows a right password (`MFA_REQUIRED_FOR`, CONTRACT.md §4b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    LoggedIn,
    /// `/accedi/verifica`: with `strong` (an app or a passkey), the app's code, a passkey or
    /// a recovery code; without, an SMS code.
    SecondStep {
        strong: bool,
    },
    /// Logged in only to enrol a factor (`/area-clienti/sicurezza/attiva`).
    MustEnrol,
    /// A factor is to be enrolled, but the account's factors were reset and link + code
    /// are not done yet: not logged in, sent to the e-mailed link (`auth::login`).
    ReenrolByLink,
}

/// `strong`: an app or a passkey is enrolled (see [`has_strong_factor`]). `required`: the
/// profile is in `MFA_REQUIRED_FOR`. `sms_proved`: the password was set after a code sent
/// by SMS (activation, recovery), which is the SMS factor itself.
pub fn next_after_password(
    strong: bool,
    required: bool,
    has_mobile: bool,
    sms_proved: bool,
) -> Next {
    match (strong, required, has_mobile) {
        (true, _, _) => Next::SecondStep { strong: true },
        (false, true, true) if sms_proved => Next::LoggedIn,
        (false, true, true) => Next::SecondStep { strong: false },
        (false, true, false) => Next::MustEnrol,
        (false, false, _) => Next::LoggedIn,
    }
}

/// Whether the user's factors were reset and the e-mailed link + code are still to be done:
/// until then the password alone enrols nothing.
pub async fn reset_pending(conn: &mut PgConnection, user_id: uuid::Uuid) -> sqlx::Result<bool> {
    factor_resets::pending(conn, user_id).await
}

/// Whether `owner` has an app or a passkey (the factors stronger than SMS): what a login
/// needs to know (one indexed lookup each).
pub async fn has_strong_factor(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<bool> {
    db::has_strong_factor(conn, owner).await
}

/// What the Sicurezza page shows.
pub async fn enrolled(conn: &mut PgConnection, owner: Owner) -> sqlx::Result<Enrolled> {
    let app = db::app(conn, owner).await?;
    Ok(Enrolled {
        app_since: app.map(|a| a.created_at),
        passkeys: passkeys::of_owner(conn, owner).await?,
        recovery_codes_left: db::recovery_codes_left(conn, owner).await?,
    })
}

/// Checks a typed code against the app (a 6-digit code, accepted once) and then the
/// unused recovery codes; uses up what matched.
pub async fn check_code(
    conn: &mut PgConnection,
    owner: Owner,
    typed: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Option<FactorUsed>> {
    if let Some(app) = db::app(conn, owner).await? {
        let step = totp::accepted_step(&app.secret, typed, now.unix_timestamp(), app.last_step);
        if let Some(step) = step {
            let fresh = db::use_step(conn, app.id, step).await?;
            return Ok(fresh.then_some(FactorUsed::App));
        }
    }
    let Some(code) = recovery_codes::normalise(typed) else {
        return Ok(None);
    };
    let hash = recovery_codes::hash(owner.id(), &code);
    let used = db::use_recovery_code(conn, owner, &hash, now).await?;
    Ok(used.then_some(FactorUsed::RecoveryCode))
}

/// Why an app could not be enrolled.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("the code does not match the new secret")]
    WrongCode,
    #[error("an app is already enrolled")]
    AlreadyEnrolled,
    /// The factors were reset: a new one is enrolled only after the e-mailed link + code.
    #[error("factors reset: re-enrol through the e-mailed link")]
    ReenrolByLink,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Records the app once a code from it proves it was set up; the first factor of the
/// account also issues its recovery codes, returned to be shown once.
pub async fn enrol_app(
    pool: &PgPool,
    holder: Holder<'_>,
    actor: &Actor,
    secret: &[u8],
    typed: &str,
    now: OffsetDateTime,
) -> Result<Option<Vec<String>>, EnrolError> {
    let step = totp::accepted_step(secret, typed, now.unix_timestamp(), None)
        .ok_or(EnrolError::WrongCode)?;
    let owner = holder.owner();
    let mut tx = pool.begin().await?;
    if db::has_app(&mut tx, owner).await? {
        return Err(EnrolError::AlreadyEnrolled);
    }
    if let Holder::User(user) = holder
        && factor_resets::pending(&mut tx, user.id).await?
    {
        return Err(EnrolError::ReenrolByLink);
    }
    db::insert_app(&mut tx, owner, secret, step, now).await?;
    let codes = if db::recovery_codes_left(&mut tx, owner).await? == 0 {
        Some(issue_recovery_codes(&mut tx, holder, actor, now).await?)
    } else {
        None
    };
    audit_event(&mut tx, holder, actor, AuditAction::AppEnrolled).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Removes the app; with no app or passkey left the recovery codes go too.
pub async fn remove_app(pool: &PgPool, holder: Holder<'_>, actor: &Actor) -> sqlx::Result<bool> {
    let owner = holder.owner();
    let mut tx = pool.begin().await?;
    let removed = db::delete_app(&mut tx, owner).await?;
    if removed {
        if !db::has_strong_factor(&mut tx, owner).await? {
            db::delete_recovery_codes(&mut tx, owner).await?;
        }
        audit_event(&mut tx, holder, actor, AuditAction::AppRemoved).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// Ten new recovery codes in place of the old ones (all of which stop working); `None`
/// without an app or a passkey, since recovery codes stand in for them.
pub async fn regenerate_recovery_codes(
    pool: &PgPool,
    holder: Holder<'_>,
    actor: &Actor,
    now: OffsetDateTime,
) -> sqlx::Result<Option<Vec<String>>> {
    let mut tx = pool.begin().await?;
    if !db::has_strong_factor(&mut tx, holder.owner()).await? {
        return Ok(None);
    }
    let codes = issue_recovery_codes(&mut tx, holder, actor, now).await?;
    tx.commit().await?;
    Ok(Some(codes))
}

pub(crate) async fn issue_recovery_codes(
    conn: &mut PgConnection,
    holder: Holder<'_>,
    actor: &Actor,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<String>> {
    let owner = holder.owner();
    let codes = recovery_codes::generate();
    let hashes: Vec<[u8; 32]> = codes
        .iter()
        .filter_map(|c| recovery_codes::normalise(c))
        .map(|c| recovery_codes::hash(owner.id(), &c))
        .collect();
    db::replace_recovery_codes(conn, owner, &hashes, now).await?;
    audit_event(conn, holder, actor, AuditAction::RecoveryCodesIssued).await?;
    Ok(codes)
}

pub(crate) async fn audit_event(
    conn: &mut PgConnection,
    holder: Holder<'_>,
    actor: &Actor,
    action: AuditAction,
) -> sqlx::Result<()> {
    match holder {
        Holder::User(user) => {
            let event = actor.event(user.company_id, Some(user.id), action, json!({}));
            audit::append(conn, &event).await
        }
        Holder::Staff(staff) => {
            let client = actor.client_addr.as_deref();
            staff_db::append_event(conn, staff.id, action, client).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_is_always_asked_and_a_required_profile_is_never_password_only() {
        let (app, none) = (true, false);
        for (required, mobile, sms) in [
            (false, false, false),
            (true, true, true),
            (true, false, false),
        ] {
            let next = next_after_password(app, required, mobile, sms);
            assert_eq!(next, Next::SecondStep { strong: true });
        }
        assert_eq!(
            next_after_password(none, false, true, false),
            Next::LoggedIn
        );
        let sms_step = Next::SecondStep { strong: false };
        assert_eq!(next_after_password(none, true, true, false), sms_step);
        assert_eq!(next_after_password(none, true, true, true), Next::LoggedIn);
        assert_eq!(
            next_after_password(none, true, false, false),
            Next::MustEnrol
        );
        assert_eq!(
            next_after_password(none, true, false, true),
            Next::MustEnrol
        );
    }
}
