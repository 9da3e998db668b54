//! The worker: runs the jobs requests left ([`super::jobs`]) and delivers queued messages
//! through the [`Transports`], with retries ([`super::delivery`]).
//!
//! Every instance runs one. A round first runs the due jobs (which queue messages), then
//! claims due messages (rows locked with `SKIP LOCKED`, so instances never share one), codes
//! first, and starts their deliveries without waiting for them: each channel has its own
//! slots ([`WorkerSettings::batch`] each), each delivery its own time limit, so an SMTP server
//! that accepts and then stalls, or a slow SMS gateway, holds only its own slots and never
//! the others' messages (a code that arrives ten minutes late is useless). Between rounds the
//! worker sleeps until a `pg_notify('outbox')`, a delivery ending (a slot freed) or the poll
//! interval, whichever comes first; the poll catches retries that fall due and anything a
//! lost notification missed.

use std::collections::HashMap;
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
use crate::db::outbox::{self, Channel};

/// Longest wait between two looks at the queue.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Pause after a database error, so an outage does not become a busy loop.
const ERROR_PAUSE: Duration = Duration::from_secs(5);

/// How the worker claims and retries.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Delay before the first retry; doubled at each further attempt, up to 15 minutes.
    pub retry_base: Duration,
    /// Attempts after which a job that keeps failing is dropped. Messages are not counted:
    /// they are retried until they expire.
    pub max_attempts: i32,
    /// Deliveries in flight at once per channel (e-mail, SMS); also the jobs run per round.
    pub batch: i64,
    /// How long a claimed message is reserved; past it, another round may try it again.
    pub lease: Duration,
    /// How long one delivery may take before it counts as a temporary failure: well within
    /// the lease, so that no other round claims a message whose delivery is still running.
    pub send_timeout: Duration,
}

/// Longest a single delivery may take, whatever the lease: a stalled relay is given up on
/// (and retried) quickly.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

impl From<&NotifySettings> for WorkerSettings {
    fn from(settings: &NotifySettings) -> Self {
        Self {
            retry_base: settings.retry_base,
            max_attempts: settings.max_attempts,
            batch: 16,
            lease: settings.lease,
            send_timeout: (settings.lease / 2).min(SEND_TIMEOUT),
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
    /// When (portal clock, Unix seconds) the access-review reminders were last looked for.
    pub last_scan: Arc<std::sync::atomic::AtomicI64>,
}

/// How often the worker looks for access reviews due: a scan of the open companies, cheap
/// but not worth doing every round.
const REVIEW_SCAN_INTERVAL: time::Duration = time::Duration::minutes(1);

/// Works until `shutdown` completes, then finishes the deliveries in flight and returns.
/// Database errors are logged and retried: they never end the worker.
pub async fn run(worker: Worker, shutdown: impl Future<Output = ()> + Send) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut wakeup = Wakeup {
        pool: worker.pool.clone(),
        listener: None,
        listening_since_move: crate::db::failover::moves(),
    };
    let mut in_flight = InFlight::default();
    tracing::info!(
        slots_per_channel = worker.settings.batch,
        send_timeout_s = worker.settings.send_timeout.as_secs(),
        "notification worker started"
    );
    loop {
        let next = match background_round(&worker, &mut in_flight).await {
            // A full batch of jobs means more may be due: go again at once.
            Ok(jobs) if i64::try_from(jobs).unwrap_or(i64::MAX) >= worker.settings.batch => {
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
            // A delivery ended: its slot is free, and its channel may have more due.
            () = in_flight.one_done() => false,
            () = next.wait(&mut wakeup) => false,
        };
        if stop {
            break;
        }
    }
    in_flight.finish().await;
    tracing::info!("notification worker stopped");
}

/// Runs every due job and delivers every due message, round after round, until a round
/// finds nothing; each round waits for its deliveries. For tests (run the worker on demand)
/// and one-off maintenance; a database error ends it.
pub async fn drain(worker: &Worker) -> sqlx::Result<()> {
    loop {
        housekeeping(worker).await?;
        let jobs = super::jobs::run_due(worker).await?;
        let mut in_flight = InFlight::default();
        let messages = start_due(worker, &mut in_flight).await?;
        in_flight.finish().await;
        if jobs.max(messages) == 0 {
            return Ok(());
        }
    }
}

/// The jobs due (they queue messages), then deliveries for every free slot. Returns the
/// number of jobs run.
async fn background_round(worker: &Worker, in_flight: &mut InFlight) -> sqlx::Result<usize> {
    housekeeping(worker).await?;
    let jobs = super::jobs::run_due(worker).await?;
    start_due(worker, in_flight).await?;
    Ok(jobs)
}

/// The work that falls due with time rather than with a request: the erasure of closed
/// companies past `RETENTION_DAYS` (one indexed look a round when there is nothing to do),
/// and, once a minute of the portal's clock, the access-review reminders due.
async fn housekeeping(worker: &Worker) -> sqlx::Result<()> {
    let now = worker.clock.now();
    crate::contracts::events::retention::erase_due(&worker.pool, now, worker.config.retention)
        .await?;
    let last = worker.last_scan.load(std::sync::atomic::Ordering::Relaxed);
    if now.unix_timestamp() - last >= REVIEW_SCAN_INTERVAL.whole_seconds() {
        let reminded = crate::user_management::review::remind_due(
            &worker.pool,
            &worker.config,
            now,
            worker.config.access_review_interval,
        )
        .await?;
        // A full call may have left more due: look again at the next round.
        if reminded < crate::user_management::review::REMINDERS_PER_CALL {
            worker
                .last_scan
                .store(now.unix_timestamp(), std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(())
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

/// The deliveries running, by channel: each channel's count bounds its claims.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<()>,
    channels: HashMap<tokio::task::Id, Channel>,
}

impl InFlight {
    fn count(&self, channel: Channel) -> i64 {
        let running = self.channels.values().filter(|c| **c == channel).count();
        i64::try_from(running).unwrap_or(i64::MAX)
    }

    fn spawn(&mut self, channel: Channel, delivery: impl Future<Output = ()> + Send + 'static) {
        let id = self.tasks.spawn(delivery).id();
        self.channels.insert(id, channel);
    }

    /// Waits until one delivery ends; never, when none runs.
    async fn one_done(&mut self) {
        let Some(joined) = self.tasks.join_next_with_id().await else {
            return std::future::pending().await;
        };
        let id = match joined {
            Ok((id, ())) => id,
            Err(error) => {
                // The message stays queued and is tried again once its lease runs out.
                tracing::error!(%error, "a delivery task panicked");
                error.id()
            }
        };
        self.channels.remove(&id);
    }

    /// Waits for every delivery in flight.
    async fn finish(&mut self) {
        while !self.tasks.is_empty() {
            self.one_done().await;
        }
    }
}

/// Claims due messages for the free slots of each channel and starts their deliveries;
/// returns how many it claimed.
async fn start_due(worker: &Worker, in_flight: &mut InFlight) -> sqlx::Result<usize> {
    let mut claimed = 0;
    for channel in [Channel::Sms, Channel::Email] {
        let free = worker.settings.batch - in_flight.count(channel);
        if free <= 0 {
            continue;
        }
        let batch = outbox::claim_due(
            &worker.pool,
            channel,
            free,
            worker.settings.lease,
            worker.clock.now(),
        )
        .await?;
        claimed += batch.len();
        for message in batch {
            let worker = worker.clone();
            in_flight.spawn(channel, async move {
                let Worker {
                    pool,
                    transports,
                    settings,
                    clock,
                    ..
                } = &worker;
                deliver_and_record(pool, transports, settings, clock, message).await;
            });
        }
    }
    Ok(claimed)
}
