//! The worker: runs the jobs requests left ([`super::jobs`]) and delivers queued messages
//! through the [`Transports`], with retries ([`super::delivery`]).
//!
//! Every instance runs one. A round first runs the due jobs (which queue messages), then
//! claims a batch of due messages (rows locked with `SKIP LOCKED`, so instances never share
//! one), delivers them concurrently and records each outcome. Between rounds the worker
//! sleeps until a `pg_notify('outbox')` or the poll interval, whichever comes first; the poll
//! catches retries that fall due and anything a lost notification missed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinSet;

use super::delivery::deliver_and_record;
use super::wakeup::Wakeup;
use super::{NotifySettings, Transports};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::outbox;

/// Longest wait between two looks at the queue.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Pause after a database error, so an outage does not become a busy loop.
const ERROR_PAUSE: Duration = Duration::from_secs(5);

/// How the worker claims and retries.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Delay before the first retry; doubled at each further attempt, up to one hour.
    pub retry_base: Duration,
    /// Attempts after which a message (or job) that keeps failing is given up.
    pub max_attempts: i32,
    /// Messages claimed (and delivered concurrently) per round; also the jobs run per round.
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

/// What the worker needs: the database, the transports, its settings, and for jobs the
/// configuration (links) and the clock (link lifetimes).
#[derive(Clone)]
pub struct Worker {
    pub pool: PgPool,
    pub transports: Transports,
    pub settings: WorkerSettings,
    pub config: Arc<Config>,
    pub clock: Clock,
}

/// Works until `shutdown` completes, then finishes the deliveries in flight and returns.
/// Database errors are logged and retried: they never end the worker.
pub async fn run(worker: Worker, shutdown: impl Future<Output = ()> + Send) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut wakeup = Wakeup {
        pool: worker.pool.clone(),
        listener: None,
        listening_since_move: crate::db::failover::moves(),
    };
    tracing::info!(
        batch = worker.settings.batch,
        max_attempts = worker.settings.max_attempts,
        "notification worker started"
    );
    loop {
        let next = match round(&worker).await {
            // A full batch means more may be due: go again at once.
            Ok(claimed) if i64::try_from(claimed).unwrap_or(i64::MAX) >= worker.settings.batch => {
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

/// Runs every due job and delivers every due message, round after round, until a round
/// finds nothing. For tests (run the worker on demand) and one-off maintenance; a database
/// error ends it.
pub async fn drain(worker: &Worker) -> sqlx::Result<()> {
    while round(worker).await? > 0 {}
    Ok(())
}

/// One round: the due jobs first (they queue messages), then one batch of due messages.
/// Returns the larger of the two counts claimed.
async fn round(worker: &Worker) -> sqlx::Result<usize> {
    let jobs = super::jobs::run_due(worker).await?;
    let messages = deliver_due(worker).await?;
    Ok(jobs.max(messages))
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
async fn deliver_due(worker: &Worker) -> sqlx::Result<usize> {
    let Worker {
        pool,
        transports,
        settings,
        ..
    } = worker;
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
