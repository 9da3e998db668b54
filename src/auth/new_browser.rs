//! "Nuovo accesso al tuo account" (CONTRACT.md §4b): a completed login from a browser the
//! user never logged in from sends an e-mail. A browser is known by the random id of its
//! long-lived cookie (`web::kit::browser`); the server keeps only a hash of the user and
//! that id. The account's first browser ever (its activation, or the first login of an
//! account made otherwise) is remembered without an e-mail: that person just got in.

use crate::notify::addressee::Addressee;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::session::Origin;
use crate::config::Config;
use crate::credentials::recovery::queue;
use crate::db::sessions::{self as db, BrowserSeen};
use crate::db::users::User;
use crate::domain::{MessageKind, user_agent};
use crate::notify::messages::{self, NewLogin};

/// The stored form of a browser id, for one user: the same browser is unrelated across
/// accounts, and the table cannot give back a cookie value.
pub fn hash(user: &User, browser_id: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(user.id.as_bytes());
    hasher.update(browser_id.as_bytes());
    hasher.finalize().into()
}

/// Remembers the login's browser; queues the e-mail when it is new to the user (in the
/// login's transaction).
pub async fn recognise(
    conn: &mut PgConnection,
    config: &Config,
    user: &User,
    origin: &Origin<'_>,
    at: OffsetDateTime,
) -> sqlx::Result<BrowserSeen> {
    let hashed = hash(user, origin.browser_id);
    let seen = db::remember_browser(conn, user.id, &hashed, at).await?;
    if seen == BrowserSeen::New {
        let (when, browser) = (
            crate::clock::in_rome_words(at),
            user_agent::describe(origin.user_agent),
        );
        let login = NewLogin {
            username: &user.username,
            when: &when,
            browser: &browser,
            client_addr: origin.client_addr,
            security_link: &config.link("/area-clienti/sicurezza"),
        };
        let to = Addressee::of(&mut *conn, user).await?;
        let email = messages::new_login_email(&to.recipient(), &login);
        queue(conn, user, MessageKind::NewLogin, &email).await?;
        tracing::info!(user_id = %user.id, "login from a new browser: notice queued");
    }
    Ok(seen)
}
