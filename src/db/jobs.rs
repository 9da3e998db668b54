//! Queries on `jobs`: work a request leaves to the worker (see the migration for the why).
//!
//! [`enqueue`] runs in the request's transaction, after its rate-limit check; the worker
//! claims one job at a time with [`claim_one`] inside the transaction that does the work and
//! [`finish`]es it there, so the job and its effects commit together. A run that fails is
//! rolled back and recorded with [`retry_later`] or [`give_up`] on a fresh connection.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// What a job does (`job_kind`).
#[derive(sqlx::Type, Debug, Clone, Copy, PartialEq, Eq)]
#[sqlx(type_name = "job_kind")]
pub enum JobKind {
    /// Recupera Password for a username or an e-mail address.
    #[sqlx(rename = "recupero")]
    Recovery,
    /// "Non hai ricevuto la mail?" for an e-mail address.
    #[sqlx(rename = "reinvio")]
    Resend,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Recovery => "recupero",
            JobKind::Resend => "reinvio",
        }
    }
}

/// A claimed job. The identifier is what a visitor typed: never logged.
#[derive(sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub kind: JobKind,
    pub identifier: String,
    pub client: Option<String>,
    /// Failed runs before this one.
    pub attempts: i32,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Writes a job unless `cap` jobs are already waiting, and wakes the workers (at commit).
/// Returns whether it was written. The count is not serialised: concurrent requests may
/// overshoot the cap by at most their number, which keeps the table bounded all the same.
pub async fn enqueue(
    conn: &mut PgConnection,
    kind: JobKind,
    identifier: &str,
    client: Option<&str>,
    cap: i64,
) -> sqlx::Result<bool> {
    // One round trip; the workers listen on the outbox's channel, which jobs share.
    let written: i64 = sqlx::query_scalar(
        "WITH inserted AS (
             INSERT INTO jobs (id, kind, identifier, client)
             SELECT $1, $2, $3, $4
             WHERE (SELECT count(*) FROM jobs) < $5
             RETURNING id
         )
         SELECT count(*) FROM (SELECT pg_notify('outbox', '') FROM inserted) AS notified",
    )
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(identifier)
    .bind(client)
    .bind(cap)
    .fetch_one(conn)
    .await?;
    Ok(written > 0)
}

/// Locks the oldest due job for the caller's transaction, skipping jobs other workers hold.
pub async fn claim_one(conn: &mut PgConnection) -> sqlx::Result<Option<Job>> {
    sqlx::query_as(
        "SELECT id, kind, identifier, client, attempts FROM jobs
         WHERE run_after <= now()
         ORDER BY run_after
         LIMIT 1
         FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(conn)
    .await
}

/// Removes a done job, in the transaction that did its work.
pub async fn finish(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed run: the job is tried again after `delay`.
pub async fn retry_later(
    pool: &PgPool,
    id: Uuid,
    delay: Duration,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET attempts = attempts + 1, last_error = $3,
                         run_after = now() + make_interval(secs => $2)
         WHERE id = $1",
    )
    .bind(id)
    .bind(delay.as_secs_f64())
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Drops a job that kept failing.
pub async fn give_up(pool: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
