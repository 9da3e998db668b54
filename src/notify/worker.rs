//! The outbox worker: delivers queued messages through the [`Transports`], with retries.
//!
//! Every instance runs one. A round claims a batch of due messages (rows locked with
//! `SKIP LOCKED`, so instances never share one), delivers them concurrently and records each
//! outcome. Between rounds the worker sleeps until a `pg_notify('outbox')` from
//! [`crate::db::outbox::enqueue`] or the poll interval, whichever comes first; the poll
//! catches retries that fall due and anything a lost notification missed.

use std::future::Future;
use std::time::Duration;

use rand::RngExt as _;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::task::JoinSet;

use super::{DeliveryError, NotifySettings, OutgoingEmail, OutgoingSms, Transports};
use crate::db::outbox::{self, Channel, OutboxMessage};

/// Longest wait between two looks at the queue.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Pause after a database error, so an outage does not become a busy loop.
const ERROR_PAUSE: Duration = Duration::from_secs(5);
/// Longest delay between two attempts at the same message.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// The `pg_notify` channel written by `enqueue`.
const CHANNEL: &str = "outbox";

/// How the worker claims and retries.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Delay before the first retry; doubled at each further attempt, up to one hour.
    pub retry_base: Duration,
    /// Attempts after which a message that keeps failing temporarily is given up.
    pub max_attempts: i32,
    /// Messages claimed (and delivered concurrently) per round.
    pub batch: i64,
    /// How long a claimed message is reserved; past it, another round may try it again.
    /// Must exceed the time a delivery takes: deliveries are cut off at half of it.
    pub lease: Duration,
}

impl From<&NotifySettings> for WorkerSettings {
    fn from(settings: &NotifySettings) -> Self {
        Self {
            retry_base: settings.retry_base,
            max_attempts: settings.max_attempts,
            batch: 32,
            lease: settings.lease,
        }
    }
}

/// Delivers messages until `shutdown` completes, then finishes the deliveries in flight
/// and returns. Database errors are logged and retried: they never end the worker.
pub async fn run(
    pool: PgPool,
    transports: Transports,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut wakeup = Wakeup {
        pool: pool.clone(),
        listener: None,
    };
    tracing::info!(
        batch = settings.batch,
        max_attempts = settings.max_attempts,
        "notification worker started"
    );
    loop {
        let next = match deliver_due(&pool, &transports, &settings).await {
            // A full batch means more may be due: go again at once.
            Ok(claimed) if i64::try_from(claimed).unwrap_or(i64::MAX) >= settings.batch => {
                Next::Now
            }
            Ok(_) => Next::Listen,
            Err(error) => {
                tracing::error!(%error, "notification worker: database error, retrying in {} s", ERROR_PAUSE.as_secs());
                Next::Pause
            }
        };
        // Shutdown is only looked at between rounds: deliveries in flight always finish.
        let stop = tokio::select! {
            biased;
            () = &mut shutdown => true,
            () = next.wait(&mut wakeup) => false,
        };
        if stop {
            break;
        }
    }
    tracing::info!("notification worker stopped");
}

/// What to do after a round.
enum Next {
    /// Claim again at once.
    Now,
    /// Wait for a notification or the poll interval.
    Listen,
    /// Wait out a database error.
    Pause,
}

impl Next {
    async fn wait(self, wakeup: &mut Wakeup) {
        match self {
            Next::Now => {}
            Next::Listen => wakeup.wait(POLL_INTERVAL).await,
            Next::Pause => tokio::time::sleep(ERROR_PAUSE).await,
        }
    }
}

/// Claims one batch and delivers it; returns how many messages were claimed.
async fn deliver_due(
    pool: &PgPool,
    transports: &Transports,
    settings: &WorkerSettings,
) -> sqlx::Result<usize> {
    let batch = outbox::claim_due(pool, settings.batch, settings.lease).await?;
    let claimed = batch.len();
    // The batch size bounds the concurrency: one task per claimed message.
    let mut deliveries = JoinSet::new();
    for message in batch {
        let (pool, transports, settings) = (pool.clone(), transports.clone(), settings.clone());
        deliveries
            .spawn(async move { deliver_and_record(&pool, &transports, &settings, message).await });
    }
    while let Some(joined) = deliveries.join_next().await {
        if let Err(error) = joined {
            // The message stays queued and is tried again once its lease runs out.
            tracing::error!(%error, "a delivery task panicked");
        }
    }
    Ok(claimed)
}

#[tracing::instrument(skip_all, fields(message_id = %message.id, template = %message.template, channel = ?message.channel, attempt = message.attempts))]
async fn deliver_and_record(
    pool: &PgPool,
    transports: &Transports,
    settings: &WorkerSettings,
    message: OutboxMessage,
) {
    // Cut off well before the lease ends, so that no other round claims a message whose
    // delivery is still running.
    let limit = settings.lease / 2;
    let outcome = tokio::time::timeout(limit, deliver(transports, &message))
        .await
        .unwrap_or_else(|_| {
            Err(DeliveryError::Transient(format!(
                "delivery did not finish within {} s",
                limit.as_secs()
            )))
        });
    if let Err(error) = record(pool, settings, &message, outcome).await {
        tracing::error!(%error, "could not record the delivery outcome; the message will be tried again after its lease");
    }
}

async fn deliver(transports: &Transports, message: &OutboxMessage) -> Result<(), DeliveryError> {
    let Some(text) = message.body_text.clone() else {
        // Bodies are erased only when a message is settled; a queued one without is a bug.
        return Err(DeliveryError::Permanent(
            "the message has no body (erased or never written)".into(),
        ));
    };
    match message.channel {
        Channel::Email => {
            let Some(subject) = message.subject.clone() else {
                return Err(DeliveryError::Permanent("the e-mail has no subject".into()));
            };
            let email = OutgoingEmail {
                message_id: message.id,
                to: message.recipient.clone(),
                subject,
                text,
                html: message.body_html.clone(),
            };
            transports.mailer.send(&email).await
        }
        Channel::Sms => {
            let sms = OutgoingSms {
                message_id: message.id,
                to: message.recipient.clone(),
                text,
            };
            transports.sms.send(&sms).await
        }
    }
}

async fn record(
    pool: &PgPool,
    settings: &WorkerSettings,
    message: &OutboxMessage,
    outcome: Result<(), DeliveryError>,
) -> sqlx::Result<()> {
    let (id, template) = (message.id, &message.template);
    let channel = match message.channel {
        outbox::Channel::Email => "email",
        outbox::Channel::Sms => "sms",
    };
    match outcome {
        Ok(()) => {
            outbox::mark_sent(pool, id).await?;
            crate::metrics::delivery(channel, "sent");
            tracing::info!("message delivered");
        }
        Err(DeliveryError::Transient(error)) if message.attempts < settings.max_attempts => {
            let delay = retry_delay(settings.retry_base, message.attempts);
            outbox::mark_retry(pool, id, delay, &error).await?;
            crate::metrics::delivery(channel, "retry");
            tracing::warn!(%error, retry_in_s = delay.as_secs(), "delivery failed, will retry");
        }
        Err(error) => {
            let error = match error {
                DeliveryError::Transient(e) => {
                    format!("gave up after {} attempts: {e}", message.attempts)
                }
                permanent => permanent.to_string(),
            };
            outbox::mark_failed(pool, id, &error).await?;
            crate::metrics::delivery(channel, "failed");
            tracing::warn!(message_id = %id, %template, %error, "message not delivered: failed for good");
        }
    }
    Ok(())
}

/// [`backoff`] with fresh random jitter.
fn retry_delay(base: Duration, attempts: i32) -> Duration {
    backoff(base, attempts, rand::rng().random_range(-1.0..=1.0))
}

/// Delay after failed attempt number `attempts` (1 for the first): `base * 2^(attempts-1)`,
/// capped at one hour, then spread by `jitter` (in -1..=1) over ±25% so that messages that
/// failed together (an SMTP outage) do not all come back at the same instant.
pub fn backoff(base: Duration, attempts: i32, jitter: f64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(31);
    let delay = base.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    delay.mul_f64(1.0 + 0.25 * jitter.clamp(-1.0, 1.0))
}

/// Sleeps until a notification on [`CHANNEL`] arrives. Holds one connection of the pool
/// while listening; when it breaks, the worker falls back to polling and reconnects later.
struct Wakeup {
    pool: PgPool,
    listener: Option<PgListener>,
}

impl Wakeup {
    /// Waits for a notification, at most `poll`.
    async fn wait(&mut self, poll: Duration) {
        // Elapsed is the ordinary "nothing happened, poll" case.
        let _ = tokio::time::timeout(poll, self.next_notification()).await;
    }

    async fn next_notification(&mut self) {
        if self.listener.is_none() {
            self.listener = self.connect().await;
        }
        let Some(listener) = self.listener.as_mut() else {
            return std::future::pending().await; // no listener: just poll
        };
        match listener.try_recv().await {
            // A notification, or a lost-and-reestablished connection (one may have been
            // missed): either way, look at the queue now.
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "LISTEN connection failed; polling until it is back");
                self.listener = None;
                std::future::pending::<()>().await;
            }
        }
    }

    async fn connect(&self) -> Option<PgListener> {
        let connected = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        // Logged quietly: when the database is down, the claim already says so loudly.
        connected
            .await
            .map_err(|error| tracing::debug!(%error, "could not LISTEN"))
            .ok()
    }
}

/// Runs every due job and delivers every due message, round after round, until a round
/// finds nothing; returns how many messages were claimed in all. For callers that want the
/// pending work done now (tests, one-off commands) instead of a worker in the background.
pub async fn drain(
    pool: &PgPool,
    transports: &Transports,
    settings: &WorkerSettings,
) -> sqlx::Result<usize> {
    let mut total = 0;
    loop {
        let claimed = deliver_due(pool, transports, settings).await?;
        if claimed == 0 {
            return Ok(total);
        }
        total += claimed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(30);

    #[test]
    fn backoff_doubles_from_the_base() {
        assert_eq!(backoff(BASE, 1, 0.0), BASE);
        assert_eq!(backoff(BASE, 2, 0.0), BASE * 2);
        assert_eq!(backoff(BASE, 4, 0.0), BASE * 8);
        // Nonsense input still gives the base, not a panic.
        assert_eq!(backoff(BASE, 0, 0.0), BASE);
        assert_eq!(backoff(BASE, -3, 0.0), BASE);
    }

    #[test]
    fn backoff_is_capped_at_one_hour() {
        assert_eq!(backoff(BASE, 8, 0.0), MAX_BACKOFF);
        assert_eq!(backoff(BASE, i32::MAX, 0.0), MAX_BACKOFF);
        assert_eq!(backoff(Duration::MAX, 1, 0.0), MAX_BACKOFF);
    }

    #[test]
    fn jitter_spreads_by_a_quarter_either_way() {
        assert_eq!(backoff(BASE, 1, -1.0), Duration::from_millis(22_500));
        assert_eq!(backoff(BASE, 1, 1.0), Duration::from_millis(37_500));
        assert_eq!(backoff(BASE, 1, 7.0), Duration::from_millis(37_500));
        for attempts in 1..=12 {
            let plain = backoff(BASE, attempts, 0.0);
            let drawn = retry_delay(BASE, attempts);
            assert!(
                drawn >= plain.mul_f64(0.75) && drawn <= plain.mul_f64(1.25),
                "{drawn:?}"
            );
        }
    }
}
