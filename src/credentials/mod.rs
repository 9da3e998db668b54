//! Credentials: the emailed links, the verification codes and the password step — the
//! core of activation (and, later, recovery). Each use case opens one transaction,
//! changes rows, writes audit events and outbox messages together.

pub mod code;
pub mod contact_change;
pub mod contact_proof;
pub mod factor_reset;
pub mod link;
pub mod recovery;
pub mod request;
pub mod secret;
pub mod self_service;
pub mod username_email;

pub use code::{CodeError, SendCodeError};
pub use link::{DeadLink, LinkError, LinkView, Step};
pub use username_email::send_username_email;

use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};

use crate::config::Config;
use crate::db::credentials::{self as db, NewToken, Purpose};
use crate::db::users::User;

/// How long an activation link lives.
pub const ACTIVATION_LINK_LIFETIME: Duration = Duration::days(7);
/// How long a recovery link lives.
pub const RECOVERY_LINK_LIFETIME: Duration = Duration::hours(1);
/// How long the link sent after a reset of the factors lives: a day, since the person
/// waits for it (they asked the legal representative or 191) but may not read it at once.
pub const REENROLMENT_LINK_LIFETIME: Duration = Duration::hours(24);
/// How long the link that confirms a new own e-mail address lives.
pub const EMAIL_CHANGE_LINK_LIFETIME: Duration = Duration::hours(24);
/// How long a verification code lives.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// Wrong tries allowed on one code; then a new code must be requested.
pub const CODE_MAX_ATTEMPTS: i32 = 5;
/// At most one code per user in this window...
pub const CODE_COOLDOWN: Duration = Duration::minutes(1);
/// ...and at most this many per hour.
pub const CODES_PER_HOUR: i64 = 5;
/// At most this many codes a day for all the users of one company (SMS cost and abuse cap;
/// a company onboarding hundreds of people a day is far below it).
pub const COMPANY_CODES_PER_DAY: i64 = 1_000;
/// After the right code, the password must be chosen within this time.
pub const PASSWORD_STEP_LIFETIME: Duration = Duration::minutes(30);

/// A fresh emailed link for `user` at `{path}/{token}`, living `lifetime`; every older link
/// of the user dies. Only its hash is stored: the link itself lives only in the message.
pub(crate) async fn fresh_link(
    conn: &mut PgConnection,
    config: &Config,
    now: OffsetDateTime,
    user: &User,
    purpose: Purpose,
    lifetime: Duration,
    path: &str,
) -> sqlx::Result<String> {
    db::supersede_tokens(conn, user.id).await?;
    let token = secret::new_link_token();
    let new_token = NewToken {
        company_id: user.company_id,
        user_id: user.id,
        purpose,
        token_sha256: &secret::hash_link_token(&token),
        expires_at: now + lifetime,
    };
    db::insert_token(conn, &new_token).await?;
    Ok(config.link(&format!("{path}/{token}")))
}
