//! The worker's other half: runs the jobs requests left in PostgreSQL (`crate::db::jobs`).
//!
//! Each job runs in its own transaction, which holds the job's row lock (`SKIP LOCKED`:
//! other instances pass it by), does the work (its outbox messages included) and deletes
//! the job, so work and completion commit together; a crash rolls both back and the job is
//! claimed again. A run that fails is retried with backoff, and given up (logged) after
//! `max_attempts`.

use tracing::Instrument as _;
use uuid::Uuid;

use super::delivery::retry_delay;
use super::worker::Worker;
use crate::credentials::request;
use crate::db::jobs;

/// Runs up to `settings.batch` due jobs, one after the other; returns how many it claimed.
pub(super) async fn run_due(worker: &Worker) -> sqlx::Result<usize> {
    let mut claimed = 0;
    while i64::try_from(claimed).unwrap_or(i64::MAX) < worker.settings.batch {
        let Some((id, attempts, outcome)) = run_one(worker).await? else {
            break;
        };
        claimed += 1;
        if let Err(error) = outcome {
            record_failure(worker, id, attempts, &error).await?;
        }
    }
    Ok(claimed)
}

/// Claims and runs one job: `None` when none is due; otherwise the job, its failed runs
/// before this one, and how this run went (a failed run is rolled back).
async fn run_one(worker: &Worker) -> sqlx::Result<Option<(Uuid, i32, anyhow::Result<()>)>> {
    let mut tx = worker.pool.begin().await?;
    let Some(job) = jobs::claim_one(&mut tx).await? else {
        return Ok(None);
    };
    let span = tracing::info_span!("job", job_id = %job.id, kind = job.kind.as_str(), attempt = job.attempts + 1);
    let outcome = async {
        request::run_job(&mut tx, &worker.config, &worker.clock, &job).await?;
        jobs::finish(&mut tx, job.id).await?;
        tx.commit().await?;
        anyhow::Ok(())
    }
    .instrument(span)
    .await;
    Ok(Some((job.id, job.attempts, outcome)))
}

async fn record_failure(
    worker: &Worker,
    id: Uuid,
    attempts: i32,
    error: &anyhow::Error,
) -> sqlx::Result<()> {
    let attempts = attempts + 1;
    // The error may quote the identifier (a constraint message): only its kind is logged.
    let error_text = format!("{error:#}");
    if attempts < worker.settings.max_attempts {
        let delay = retry_delay(worker.settings.retry_base, attempts);
        tracing::warn!(job_id = %id, attempts, retry_in_s = delay.as_secs(), "job failed, will retry");
        jobs::retry_later(&worker.pool, id, delay, &error_text).await
    } else {
        tracing::error!(job_id = %id, attempts, "job failed for good: dropped");
        jobs::give_up(&worker.pool, id).await
    }
}
