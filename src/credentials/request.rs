//! The request half of Recupera Password and "chiedi nuovamente l'invio": one transaction
//! checks the per-client limit and queues a job; the worker runs the job later
//! ([`run_job`]). The answer is the same whatever happens here, so nothing tells whether an
//! account exists, and no work is detached from the request: once answered, the job is in
//! PostgreSQL and survives a restart.

use sqlx::{PgConnection, PgPool};

use super::recovery;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::jobs::{self, Job, JobKind};
use crate::db::rate_limits::{self, Limit};

/// Requests per client address, whatever they ask for (slows down enumeration scripts).
pub const CLIENT_LIMIT: Limit = Limit {
    per_minute: 10,
    per_hour: 60,
};
/// Jobs waiting at most, all clients together: beyond it a flood (from many addresses) is
/// answered as usual but not queued, so the table cannot grow without limit. Far above what
/// the worker leaves waiting in normal operation (it runs jobs within seconds).
pub const MAX_QUEUED_JOBS: i64 = 10_000;

/// Queues the request of `kind` for `identifier` (already checked clean at the edge), if
/// the client is within [`CLIENT_LIMIT`] and the queue within [`MAX_QUEUED_JOBS`]; both
/// refusals are logged and otherwise silent.
pub async fn submit(
    pool: &PgPool,
    kind: JobKind,
    identifier: &str,
    client: Option<&str>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    if !client_allowed(&mut tx, kind, client).await? {
        return Ok(());
    }
    if !jobs::enqueue(&mut tx, kind, identifier, client, MAX_QUEUED_JOBS).await? {
        tracing::error!(
            journey = kind.as_str(),
            cap = MAX_QUEUED_JOBS,
            "job queue full: request answered, not queued"
        );
    }
    tx.commit().await
}

async fn client_allowed(
    conn: &mut PgConnection,
    kind: JobKind,
    client: Option<&str>,
) -> sqlx::Result<bool> {
    let Some(client) = client else {
        return Ok(true);
    };
    let key = format!("{}:client:{client}", kind.as_str());
    let allowed = rate_limits::try_acquire(conn, &key, CLIENT_LIMIT).await?;
    if !allowed {
        tracing::warn!(
            journey = kind.as_str(),
            "request over the per-client limit: answered, not queued"
        );
    }
    Ok(allowed)
}

/// Does a claimed job, in the transaction that holds it (the caller then deletes the job and
/// commits, so its messages and its completion commit together).
pub async fn run_job(
    tx: &mut PgConnection,
    config: &Config,
    clock: &Clock,
    job: &Job,
) -> anyhow::Result<()> {
    let now = clock.now();
    let client = job.client.clone();
    match job.kind {
        JobKind::Recovery => {
            recovery::request_recovery(tx, config, now, &job.identifier, client).await
        }
        JobKind::Resend => recovery::request_resend(tx, config, now, &job.identifier, client).await,
    }
}
