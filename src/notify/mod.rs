//! Notifications: how messages leave the portal.
//!
//! Owns the transport traits ([`Mailer`], [`SmsSender`]) and their implementations (SMTP in
//! [`smtp`], its errors explained in `smtp_errors`, an HTTP SMS gateway in [`http_sms`],
//! the database-backed [`dev_mailbox`]), the outbox [`worker`] that delivers queued
//! messages with retries, and the wording of the messages themselves ([`messages`]).
//!
//! Use cases never call a transport: they render a message with [`messages`] and write it
//! with [`crate::db::outbox::enqueue`] in the transaction of the change that causes it. Only
//! the worker talks to transports, so a message survives a crash, an SMTP outage or a
//! restart, and is delivered once across instances in normal operation.

pub mod addressee;
mod delivery;
pub mod dev_mailbox;
pub mod http_sms;
mod jobs;
pub mod messages;
pub mod receipts;
pub mod smtp;
mod smtp_errors;
mod wakeup;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use self::dev_mailbox::DevMailbox;
use self::http_sms::HttpSmsSender;
use self::smtp::SmtpMailer;
use crate::domain::{EmailAddress, PhoneNumber};

/// An e-mail ready to hand to a [`Mailer`].
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// The outbox id: the same on every attempt, so retries can be recognised downstream.
    pub message_id: Uuid,
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// An SMS ready to hand to an [`SmsSender`].
#[derive(Debug, Clone)]
pub struct OutgoingSms {
    /// The outbox id, sent to the gateway as its idempotency key.
    pub message_id: Uuid,
    pub to: PhoneNumber,
    pub text: String,
}

/// Why a delivery failed, worded for the operator who reads it in the logs or in support.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying later (server down, timeout, 4xx SMTP reply, 429/5xx from the gateway).
    #[error("temporary: {0}")]
    Transient(String),
    /// Retrying will not help (address rejected, 4xx from the gateway, bad message).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Sends e-mail.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one e-mail, or says why not.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError>;
    /// Where mail goes, for the start-up log (never includes credentials).
    fn describe(&self) -> String;
}

/// Sends SMS.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Delivers one SMS, or says why not.
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError>;
    /// Where SMS go, for the start-up log (never includes credentials).
    fn describe(&self) -> String;
}

/// The configuration this module reads (from `SMTP_URL`, `MAIL_FROM`, `SMS_GATEWAY_URL`,
/// `SMS_GATEWAY_TOKEN`, and the retry policy).
#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub sms_gateway_url: Option<url::Url>,
    pub sms_gateway_token: Option<SecretString>,
    /// How long the SMS gateway may take to answer before the attempt counts as failed.
    pub sms_timeout: Duration,
    /// Delay before the first retry; it doubles at every further attempt.
    pub retry_base: Duration,
    /// Runs after which a job that keeps failing is dropped (messages retry until they
    /// expire instead).
    pub max_attempts: i32,
    /// How long a claimed message stays reserved to its worker; a worker that dies leaves
    /// its messages to be retried after this.
    pub lease: Duration,
    /// `DEV_MAILBOX`: a transport left unset goes to the dev mailbox instead of refusing
    /// to start.
    pub dev_mailbox: bool,
}

impl NotifySettings {
    /// Refuses a transport left unset unless `DEV_MAILBOX=true`: its messages, links and
    /// codes included, would otherwise wait in a table that `/dev/posta` shows to anyone
    /// who reaches the portal (a reverse proxy on the same host makes that the internet).
    pub fn check_transports(&self) -> anyhow::Result<()> {
        if self.dev_mailbox {
            return Ok(());
        }
        let missing: Vec<&str> = [
            ("SMTP_URL", self.smtp_url.is_none()),
            ("SMS_GATEWAY_URL", self.sms_gateway_url.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, unset)| unset.then_some(name))
        .collect();
        match missing.as_slice() {
            [] => Ok(()),
            [one] => anyhow::bail!(
                "{one} non impostato: imposta {one}, oppure DEV_MAILBOX=true solo su una macchina di sviluppo (i messaggi restano allora nella casella di sviluppo /dev/posta, link e codici compresi)"
            ),
            many => anyhow::bail!(
                "{} non impostati: impostali, oppure DEV_MAILBOX=true solo su una macchina di sviluppo (i messaggi restano allora nella casella di sviluppo /dev/posta, link e codici compresi)",
                many.join(" e ")
            ),
        }
    }
}

/// The transports in use, shared by the worker's deliveries.
#[derive(Clone)]
pub struct Transports {
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsSender>,
    dev_mode: bool,
}

impl Transports {
    /// Assembles transports by hand (tests, or a custom transport); `dev_mode` tells the
    /// web layer whether to expose `/dev/posta`.
    pub fn new(mailer: Arc<dyn Mailer>, sms: Arc<dyn SmsSender>, dev_mode: bool) -> Self {
        Self {
            mailer,
            sms,
            dev_mode,
        }
    }

    /// SMTP when `SMTP_URL` is set and the HTTP gateway when `SMS_GATEWAY_URL` is set; the
    /// dev mailbox for whatever is not, only with `DEV_MAILBOX=true`. Fails, naming the
    /// variable, on a bad URL or sender or a transport unset without `DEV_MAILBOX`.
    /// Call it inside the Tokio runtime (the SMTP connection pool starts a background task).
    pub fn from_settings(settings: &NotifySettings, pool: PgPool) -> anyhow::Result<Transports> {
        settings.check_transports()?;
        let from: lettre::message::Mailbox = settings.mail_from.parse().with_context(|| {
            format!(
                "MAIL_FROM {:?} is not a valid sender (expected e.g. \"Area Clienti <no-reply@example.it>\")",
                settings.mail_from
            )
        })?;
        let dev = Arc::new(DevMailbox::new(pool));
        let mailer: Arc<dyn Mailer> = match &settings.smtp_url {
            Some(url) => Arc::new(SmtpMailer::new(url, from)?),
            None => dev.clone(),
        };
        let sms: Arc<dyn SmsSender> = match &settings.sms_gateway_url {
            Some(url) => Arc::new(HttpSmsSender::with_timeout(
                url,
                settings.sms_gateway_token.clone(),
                settings.sms_timeout,
            )?),
            None => dev,
        };
        let email_dev = settings.smtp_url.is_none();
        let sms_dev = settings.sms_gateway_url.is_none();
        if settings.dev_mailbox && !email_dev && !sms_dev {
            tracing::info!(
                "DEV_MAILBOX=true has no effect: SMTP_URL and SMS_GATEWAY_URL are both set"
            );
        }
        log_transports(mailer.as_ref(), sms.as_ref(), email_dev, sms_dev);
        Ok(Self::new(mailer, sms, email_dev || sms_dev))
    }

    /// True when e-mail or SMS go to the dev mailbox (and `/dev/posta` should exist).
    pub fn dev_mode(&self) -> bool {
        self.dev_mode
    }
}

fn log_transports(mailer: &dyn Mailer, sms: &dyn SmsSender, email_dev: bool, sms_dev: bool) {
    tracing::info!(email = %mailer.describe(), sms = %sms.describe(), "notification transports");
    // Loud on purpose: in production a forgotten variable would silently swallow messages.
    if email_dev {
        tracing::warn!(
            "DEV MODE (DEV_MAILBOX=true): SMTP_URL is not set, e-mails are NOT sent: they are stored in the database and shown at /dev/posta"
        );
    }
    if sms_dev {
        tracing::warn!(
            "DEV MODE (DEV_MAILBOX=true): SMS_GATEWAY_URL is not set, SMS are NOT sent: they are stored in the database and shown at /dev/posta"
        );
    }
}

/// `text` with every occurrence of `secret` replaced: servers like to quote the recipient
/// back in their errors, and those errors end up in logs.
pub(crate) fn redact(text: &str, secret: &str, replacement: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    text.replace(secret, replacement)
}

/// An error and its causes on one line, since many libraries keep the useful part
/// ("Connection refused") in the source chain rather than in `Display`.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_every_occurrence_and_ignores_an_empty_secret() {
        assert_eq!(
            redact("<a@b.it> a@b.it", "a@b.it", "•••@b.it"),
            "<•••@b.it> •••@b.it"
        );
        assert_eq!(redact("text", "", "x"), "text");
    }
}
