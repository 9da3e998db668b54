//! The dev mailbox: a transport for e-mail and SMS that stores messages in the database
//! instead of sending them, so that a developer (or a test) reads them at `/dev/posta`.
//! Used for whichever of `SMTP_URL` / `SMS_GATEWAY_URL` is not set.

use sqlx::PgPool;

use super::{DeliveryError, Mailer, OutgoingEmail, OutgoingSms, SmsSender};
use crate::db::dev_mailbox;
use crate::db::outbox::Channel;

/// Stores messages in `dev_mailbox`.
#[derive(Clone)]
pub struct DevMailbox {
    pool: PgPool,
}

impl DevMailbox {
    /// A dev mailbox writing through `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// A database that cannot take the message now may well take it later.
fn store_error(error: sqlx::Error) -> DeliveryError {
    DeliveryError::Transient(format!(
        "could not store the message in the dev mailbox: {error}"
    ))
}

#[async_trait::async_trait]
impl Mailer for DevMailbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError> {
        dev_mailbox::store(
            &self.pool,
            Channel::Email,
            email.to.as_str(),
            Some(&email.subject),
            &email.text,
            email.html.as_deref(),
        )
        .await
        .map_err(store_error)?;
        tracing::info!("e-mail stored in the dev mailbox, see /dev/posta");
        Ok(())
    }

    fn describe(&self) -> String {
        "dev mailbox (/dev/posta)".to_owned()
    }
}

#[async_trait::async_trait]
impl SmsSender for DevMailbox {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError> {
        dev_mailbox::store(
            &self.pool,
            Channel::Sms,
            sms.to.as_str(),
            None,
            &sms.text,
            None,
        )
        .await
        .map_err(store_error)?;
        tracing::info!("SMS stored in the dev mailbox, see /dev/posta");
        Ok(())
    }

    fn describe(&self) -> String {
        "dev mailbox (/dev/posta)".to_owned()
    }
}
