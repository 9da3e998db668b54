//! `area-clienti import FILE`: contracts from a JSON Lines file, one
//! `POST /api/v1/contratti` body per line, idempotent by `contract_id`; a line with a
//! `"type"` field may also be an event after the first contract ([`super::events::import`]),
//! applied once every line before it is recorded.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::task::JoinSet;

use super::events::import::{self as event_lines, Typed};
use super::{IngestError, bulk, ingest, payload};
use crate::clock::Clock;
use crate::config::Config;
use time::OffsetDateTime;

/// Longest line accepted (a contract with tens of thousands of lines fits).
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What an import did, for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    pub already_present: u64,
    pub lines_added: u64,
    /// Events applied, and events whose `event_id` was already recorded.
    pub events_applied: u64,
    pub events_already_present: u64,
    /// `(line number, "campo: messaggio")`, one per problem, in file order.
    pub errors: Vec<(u64, String)>,
}

/// Imports every valid line and reports the invalid ones by line number and field.
pub async fn import_file(
    pool: &PgPool,
    config: &Config,
    clock: &Clock,
    path: &Path,
    show_progress: bool,
) -> anyhow::Result<ImportReport> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("impossibile aprire {}", path.display()))?;
    let progress = progress_bar(show_progress, file.metadata().await?.len());
    let mut reader = BufReader::new(file);
    let mut report = ImportReport::default();
    let mut running = JoinSet::new();
    let mut batch = Batch::default();
    let mut line_no = 0u64;
    loop {
        let mut buf = Vec::new();
        let n = reader.read_until(b'\n', &mut buf).await?;
        if n == 0 {
            break;
        }
        line_no += 1;
        progress.inc(n as u64);
        if n > MAX_LINE_BYTES {
            report
                .errors
                .push((line_no, "riga troppo lunga".to_owned()));
            continue;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let buf = if event_lines::may_be_typed(&buf) {
            match event_lines::classify(&buf) {
                Typed::Contract(contract) => contract,
                Typed::Invalid(error) => {
                    report.errors.push((line_no, error));
                    continue;
                }
                Typed::Event(event) => {
                    // In file order: every line before it is recorded first.
                    if !batch.lines.is_empty() {
                        let (pool, config) = (pool.clone(), config.clone());
                        let full = std::mem::take(&mut batch);
                        let now = clock.now();
                        running.spawn(async move { import_batch(&pool, &config, now, full).await });
                    }
                    while let Some(done) = running.join_next().await {
                        record(&mut report, Some(done))?;
                    }
                    let outcome = event_lines::apply(pool, config, clock.now(), &event)
                        .await
                        .with_context(|| format!("riga {line_no}"))?;
                    match outcome {
                        event_lines::Outcome::Applied => report.events_applied += 1,
                        event_lines::Outcome::AlreadyPresent => {
                            report.events_already_present += 1;
                        }
                        event_lines::Outcome::Refused(errors) => report
                            .errors
                            .extend(errors.into_iter().map(|e| (line_no, e))),
                    }
                    continue;
                }
            }
        } else {
            buf
        };
        batch.push(line_no, buf);
        if batch.is_full() {
            if running.len() >= BATCHES_IN_FLIGHT {
                record(&mut report, running.join_next().await)?;
                progress.set_message(format!(
                    "{} contratti, {} linee",
                    report.created, report.lines_added
                ));
            }
            let (pool, config) = (pool.clone(), config.clone());
            let full = std::mem::take(&mut batch);
            let now = clock.now();
            running.spawn(async move { import_batch(&pool, &config, now, full).await });
        }
    }
    if !batch.lines.is_empty() {
        let (pool, config) = (pool.clone(), config.clone());
        let now = clock.now();
        running.spawn(async move { import_batch(&pool, &config, now, batch).await });
    }
    while let Some(done) = running.join_next().await {
        record(&mut report, Some(done))?;
    }
    progress.finish_and_clear();
    report.errors.sort_by_key(|(line, _)| *line);
    Ok(report)
}

/// A progress bar over the file's bytes (hidden when not asked for).
fn progress_bar(shown: bool, total_bytes: u64) -> ProgressBar {
    let progress = if shown {
        ProgressBar::new(total_bytes)
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    progress
}

/// Lines of the file taken together: parsed, validated and recorded by one task, the new
/// companies among them in one transaction ([`bulk`]).
#[derive(Default)]
struct Batch {
    lines: Vec<(u64, Vec<u8>)>,
    bytes: usize,
}

/// About a thousand typical contracts (ten thousand lines): large enough that per-statement
/// costs vanish, small enough that a batch that must fall back to one contract at a time
/// costs little.
const BATCH_BYTES: usize = 2 * 1024 * 1024;
const BATCH_CONTRACTS: usize = 1000;
/// Batches recorded at once: one writing while the next is parsed and validated keeps
/// both cores busy; more only contend for the same index pages.
const BATCHES_IN_FLIGHT: usize = 3;
/// Two concurrent contracts touching the same rows may deadlock; PostgreSQL aborts one,
/// which is simply tried again.
const MAX_TRIES: u32 = 3;

impl Batch {
    fn push(&mut self, line_no: u64, bytes: Vec<u8>) {
        self.bytes += bytes.len();
        self.lines.push((line_no, bytes));
    }

    fn is_full(&self) -> bool {
        self.bytes >= BATCH_BYTES || self.lines.len() >= BATCH_CONTRACTS
    }
}

/// What one line of the file came to.
enum LineOutcome {
    Created { lines_added: u64 },
    AlreadyPresent,
    Refused(Vec<String>),
}

type BatchResult = anyhow::Result<Vec<(u64, LineOutcome)>>;

fn record(
    report: &mut ImportReport,
    joined: Option<Result<BatchResult, tokio::task::JoinError>>,
) -> anyhow::Result<()> {
    let Some(joined) = joined else { return Ok(()) };
    for (line_no, outcome) in joined?? {
        match outcome {
            LineOutcome::Created { lines_added } => {
                report.created += 1;
                report.lines_added += lines_added;
            }
            LineOutcome::AlreadyPresent => report.already_present += 1,
            LineOutcome::Refused(errors) => report
                .errors
                .extend(errors.into_iter().map(|e| (line_no, e))),
        }
    }
    Ok(())
}

async fn import_batch(
    pool: &PgPool,
    config: &Config,
    now: OffsetDateTime,
    batch: Batch,
) -> BatchResult {
    let mut outcomes = Vec::with_capacity(batch.lines.len());
    let mut parsed = Vec::with_capacity(batch.lines.len());
    for (line_no, bytes) in batch.lines {
        let payload = match payload::parse_json(&bytes) {
            Ok(p) => p,
            Err(e) => {
                let error = format!("{}: {}", e.field, e.message);
                outcomes.push((line_no, LineOutcome::Refused(vec![error])));
                continue;
            }
        };
        match payload.validate() {
            Ok(contract) => parsed.push(bulk::Parsed {
                line_no,
                payload,
                contract,
            }),
            Err(errors) => outcomes.push((line_no, refused(errors))),
        }
    }
    let done = bulk::record_new_companies(pool, config, now, parsed).await?;
    outcomes.extend(
        done.recorded
            .into_iter()
            .map(|(line_no, lines_added)| (line_no, LineOutcome::Created { lines_added })),
    );
    for deferred in done.deferred {
        let outcome = import_one(pool, config, now, &deferred.payload)
            .await
            .map_err(|e| e.context(format!("riga {}", deferred.line_no)))?;
        outcomes.push((deferred.line_no, outcome));
    }
    Ok(outcomes)
}

fn refused(errors: Vec<payload::FieldError>) -> LineOutcome {
    LineOutcome::Refused(
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect(),
    )
}

/// One contract through [`ingest`], exactly as the API records it.
async fn import_one(
    pool: &PgPool,
    config: &Config,
    now: OffsetDateTime,
    payload: &payload::ContractPayload,
) -> anyhow::Result<LineOutcome> {
    let mut tries = 0;
    loop {
        tries += 1;
        return match ingest(pool, config, now, payload).await {
            Ok(outcome) if outcome.created => Ok(LineOutcome::Created {
                lines_added: outcome.lines_added as u64,
            }),
            Ok(_) => Ok(LineOutcome::AlreadyPresent),
            Err(IngestError::Invalid(errors)) => Ok(refused(errors)),
            Err(IngestError::Conflict) => Ok(LineOutcome::Refused(vec![
                "contract_id: già usato per un contratto con dati diversi".to_owned(),
            ])),
            Err(IngestError::Internal(e)) if tries < MAX_TRIES && is_retryable(&e) => continue,
            Err(IngestError::Internal(e)) => Err(e),
        };
    }
}

/// Deadlocks and serialization failures: the transaction was rolled back and may be retried.
fn is_retryable(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}
