//! `area-clienti import FILE`: contracts from a JSON Lines file, one
//! `POST /api/v1/contratti` body per line, idempotent by `contract_id`.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{IngestError, ingest, payload};
use crate::config::Config;

/// Longest line accepted (a contract with tens of thousands of lines fits).
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What an import did, for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    pub already_present: u64,
    pub lines_added: u64,
    /// `riga N: campo: messaggio`, one per problem.
    pub errors: Vec<String>,
}

/// Imports every valid line and reports the invalid ones by line number and field.
pub async fn import_file(
    pool: &PgPool,
    config: &Config,
    path: &Path,
    show_progress: bool,
) -> anyhow::Result<ImportReport> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("impossibile aprire {}", path.display()))?;
    let total_bytes = file.metadata().await?.len();
    let progress = if show_progress {
        ProgressBar::new(total_bytes)
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let mut reader = BufReader::new(file);
    let mut report = ImportReport::default();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).await?;
        if n == 0 {
            break;
        }
        line_no += 1;
        progress.inc(n as u64);
        if n > MAX_LINE_BYTES {
            report
                .errors
                .push(format!("riga {line_no}: riga troppo lunga"));
            continue;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        import_line(pool, config, &buf, line_no, &mut report).await?;
        progress.set_message(format!(
            "{} contratti, {} linee",
            report.created, report.lines_added
        ));
    }
    progress.finish_and_clear();
    Ok(report)
}

async fn import_line(
    pool: &PgPool,
    config: &Config,
    bytes: &[u8],
    line_no: u64,
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let payload = match payload::parse_json(bytes) {
        Ok(p) => p,
        Err(e) => {
            report
                .errors
                .push(format!("riga {line_no}: {}: {}", e.field, e.message));
            return Ok(());
        }
    };
    match ingest(pool, config, &payload).await {
        Ok(outcome) if outcome.created => {
            report.created += 1;
            report.lines_added += outcome.lines_added as u64;
        }
        Ok(_) => report.already_present += 1,
        Err(IngestError::Invalid(errors)) => {
            for e in errors {
                report
                    .errors
                    .push(format!("riga {line_no}: {}: {}", e.field, e.message));
            }
        }
        Err(IngestError::Conflict) => report.errors.push(format!(
            "riga {line_no}: contract_id: già usato per un contratto con dati diversi"
        )),
        Err(IngestError::Internal(e)) => return Err(e.context(format!("riga {line_no}"))),
    }
    Ok(())
}
