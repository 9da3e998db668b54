//! The harness of the reliability tests: the `area-clienti` binary as a child process
//! ([`AppProcess`]), throwaway databases ([`TestDatabase`]), contracts in bulk, and waits
//! on the database that give up with a useful message.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use uuid::Uuid;

use crate::support::sms_gateway::SMS_TOKEN;
use crate::support::smtp_sink::SmtpSink;

/// Bearer token of the internal API in every instance started here.
pub const API_TOKEN: &str = "reliability-internal-token";
/// Links in e-mails point here (tests take the path and use the instance's real address).
pub const PUBLIC_BASE_URL: &str = "http://portale.test";
/// The PostgreSQL server the other test binaries use too; never restarted here.
pub const SHARED_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
/// Messages an instance claims per round (`WorkerSettings::batch` in src/notify/worker.rs):
/// the most a single instance can have in flight.
pub const WORKER_BATCH: usize = 32;

/// Longest wait for a fresh instance to create and migrate its database and listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// What a built binary must not need beside it: hidden by
/// [`AppProcess::start_with_sources_hidden`].
pub const SOURCE_DIRS_HIDDEN: [&str; 3] = ["static", "templates", "migrations"];
/// How often waits look again.
const POLL: Duration = Duration::from_millis(50);
/// Log lines shown when a test fails with an instance running.
const LOG_TAIL: usize = 80;

/// A free port on 127.0.0.1 right now (bound, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

// ---------------------------------------------------------------------------------------
// Databases

/// A database name of its own on a PostgreSQL server; the portal creates it at start, and
/// the guard drops it (with FORCE) when it goes out of scope, also when the test fails.
pub struct TestDatabase {
    pub url: String,
    server: String,
    name: String,
}

impl TestDatabase {
    /// A fresh database on the shared server at 127.0.0.1:5432.
    pub fn on_shared_server() -> TestDatabase {
        TestDatabase::on(SHARED_SERVER)
    }

    /// A fresh database on `server` (`postgres://user@host:port`, no database).
    pub fn on(server: &str) -> TestDatabase {
        let name = format!("ac_rel_{}", Uuid::new_v4().simple());
        TestDatabase {
            url: format!("{server}/{name}"),
            server: server.to_owned(),
            name,
        }
    }

    /// A small pool for the test's own queries; call it once an instance has started
    /// (the instance creates the database).
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.url))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = format!("{}/postgres", self.server);
        let drop_sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        // A runtime of its own: Drop may run inside or outside the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let connect = PgConnection::connect(&admin_url);
                if let Ok(Ok(mut conn)) =
                    tokio::time::timeout(Duration::from_secs(10), connect).await
                {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(20),
                        conn.execute(drop_sql.as_str()),
                    )
                    .await;
                }
            });
        })
        .join();
    }
}

/// Polls the boolean query `sql` until it is true; panics after `within` with `what`, the
/// last database error if any, and a summary of the outbox. Errors count as "not yet"
/// (the database may be restarting).
pub async fn wait_until(pool: &PgPool, sql: &str, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    let mut last_error = None;
    loop {
        match sqlx::query_scalar::<_, Option<bool>>(sql)
            .fetch_one(pool)
            .await
        {
            Ok(Some(true)) => return,
            Ok(_) => {}
            Err(error) => last_error = Some(error.to_string()),
        }
        if Instant::now() >= deadline {
            panic!(
                "{what}: still not true after {within:?}\n  query: {sql}\n  last error: {last_error:?}\n  outbox: {}",
                outbox_summary(pool).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until every message in the outbox is `sent` (and there are `expected` of them).
pub async fn wait_until_all_sent(pool: &PgPool, expected: usize, within: Duration) {
    let sql = format!(
        "SELECT count(*) = {expected} AND count(*) FILTER (WHERE state = 'sent') = {expected} FROM outbox"
    );
    wait_until(pool, &sql, within, &format!("all {expected} messages sent")).await;
}

/// A state of the outbox: how many messages, their most attempts, their errors.
type StateCount = (String, i64, i64, Option<String>);

/// `state: count` of the outbox, with the attempts and the distinct errors, for messages.
pub async fn outbox_summary(pool: &PgPool) -> String {
    let rows: sqlx::Result<Vec<StateCount>> = sqlx::query_as(
        "SELECT state::text, count(*), max(attempts)::int8, string_agg(DISTINCT last_error, ' | ')
         FROM outbox GROUP BY state ORDER BY state",
    )
    .fetch_all(pool)
    .await;
    match rows {
        Ok(rows) if rows.is_empty() => "empty".to_owned(),
        Ok(rows) => rows
            .iter()
            .map(|(state, n, max_attempts, errors)| {
                format!("{state}: {n} (max attempts {max_attempts}; errors: {errors:?})")
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(error) => format!("<unreadable: {error}>"),
    }
}

/// Runs `area-clienti SUBCOMMAND` with exactly `env` until it exits by itself, and
/// returns its status and standard error; panics (after killing it) if it is still running
/// after `within`.
pub async fn run_to_exit(subcommand: &str, env: &AppEnv, within: Duration) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_area-clienti"))
        .arg(subcommand)
        .env_clear()
        .envs(env.0.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start area-clienti");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "area-clienti {subcommand} still running after {within:?}:\n{}",
                reader.join().unwrap_or_default()
            );
        }
        tokio::time::sleep(POLL).await;
    };
    (status, reader.join().unwrap_or_default())
}

/// Recipients of the messages claimed by a worker and not settled yet (in flight, or left
/// by a worker that died): queued, attempted, and no failure recorded for the attempt.
pub async fn claimed_recipients(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT recipient FROM outbox
         WHERE state = 'queued' AND attempts >= 1 AND last_error IS NULL",
    )
    .fetch_all(pool)
    .await
    .expect("read the claimed messages")
}

/// How many e-mails the sink received per envelope recipient (lowercased).
pub async fn emails_per_recipient(smtp: &SmtpSink) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for email in smtp.messages().await {
        for to in &email.to {
            *counts.entry(to.to_lowercase()).or_insert(0) += 1;
        }
    }
    counts
}

// ---------------------------------------------------------------------------------------
// Contracts

/// The legal representative's address of contract `i`: each first contract queues one
/// username e-mail to it.
pub fn recipient(i: usize) -> String {
    format!("cliente{i}@example.it")
}

/// A first contract (a company of its own, no lines), as a sales channel posts it.
pub fn contract(i: usize) -> Value {
    json!({
        "contract_id": format!("REL-{i}"),
        "channel": "web",
        "company": { "name": format!("Cliente {i} S.r.l."), "vat_number": vat_number(i) },
        "legal_representative": {
            "first_name": "Maria", "last_name": "Rossi", "email": recipient(i)
        }
    })
}

/// A valid Partita IVA of its own for each `i` (check digit computed).
pub fn vat_number(i: usize) -> String {
    let first_ten = format!("{:010}", 1_000_000_000 + i);
    let sum: u32 = first_ten
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(index, digit)| match index % 2 {
            0 => digit,
            _ if digit * 2 > 9 => digit * 2 - 9,
            _ => digit * 2,
        })
        .sum();
    format!("{first_ten}{}", (10 - sum % 10) % 10)
}

// ---------------------------------------------------------------------------------------
// Instances

/// The environment of an instance: every setting the portal reads, nothing inherited.
#[derive(Clone, Debug)]
pub struct AppEnv(Vec<(String, String)>);

impl AppEnv {
    /// Defaults for tests: port chosen by the OS, fast retries, internal API on.
    pub fn new(database_url: &str, smtp_url: &str, sms_url: &str) -> AppEnv {
        let pairs = [
            ("DATABASE_URL", database_url),
            ("BIND_ADDR", "127.0.0.1:0"),
            ("PUBLIC_BASE_URL", PUBLIC_BASE_URL),
            ("SMTP_URL", smtp_url),
            ("MAIL_FROM", "Area Clienti <no-reply@portale.test>"),
            ("SMS_GATEWAY_URL", sms_url),
            ("SMS_GATEWAY_TOKEN", SMS_TOKEN),
            ("INTERNAL_API_TOKEN", API_TOKEN),
            ("OUTBOX_RETRY_BASE_MS", "200"),
            // The traffic of these tests comes from one address, far faster than a person.
            ("CLIENT_REQUESTS_PER_MINUTE", "0"),
            ("RUST_LOG", "info"),
        ];
        AppEnv(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The same environment without `key`.
    pub fn without(mut self, key: &str) -> AppEnv {
        self.0.retain(|(k, _)| k != key);
        self
    }

    /// The same environment with `key` set to `value`.
    pub fn with(mut self, key: &str, value: &str) -> AppEnv {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// One `area-clienti serve` process. Its standard error is collected (without colours);
/// dropping it kills the process (SIGKILL) and, if the test is failing, prints its last
/// log lines.
pub struct AppProcess {
    name: String,
    child: Child,
    /// `http://127.0.0.1:PORT`, from the start-up log line.
    pub address: String,
    logs: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl AppProcess {
    /// Starts `area-clienti serve` with exactly `env` and waits until it listens.
    pub async fn start(name: &str, env: &AppEnv) -> AppProcess {
        AppProcess::start_command(name, "serve", env).await
    }

    /// Starts `area-clienti SUBCOMMAND` (`serve` or `demo`) with exactly `env` and waits
    /// until it listens.
    pub async fn start_command(name: &str, subcommand: &str, env: &AppEnv) -> AppProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_area-clienti"));
        command.arg(subcommand);
        AppProcess::spawn(name, env, command).await
    }

    /// Starts `area-clienti serve` as on a server that has only the binary: from
    /// `working_dir`, in a private mount namespace where the source tree's
    /// [`SOURCE_DIRS_HIDDEN`] are empty, so nothing the build read is there at run time.
    pub async fn start_with_sources_hidden(
        name: &str,
        env: &AppEnv,
        working_dir: &std::path::Path,
    ) -> AppProcess {
        let script = r#"set -e
            manifest="$1"; shift
            for dir in "$@"; do /usr/bin/mount -t tmpfs -o size=1m,ro none "$manifest/$dir"; done
            exec "$BINARY" serve"#;
        let mut command = Command::new("/usr/bin/unshare");
        command
            .args([
                "--mount",
                "--propagation",
                "private",
                "/usr/bin/sh",
                "-c",
                script,
                "sh",
            ])
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(SOURCE_DIRS_HIDDEN)
            .current_dir(working_dir);
        let env = env
            .clone()
            .with("BINARY", env!("CARGO_BIN_EXE_area-clienti"));
        AppProcess::spawn(name, &env, command).await
    }

    async fn spawn(name: &str, env: &AppEnv, mut command: Command) -> AppProcess {
        command
            .env_clear()
            .envs(env.0.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start area-clienti");
        let logs = Arc::new(Mutex::new(Vec::new()));
        collect_lines(child.stderr.take().expect("stderr"), Arc::clone(&logs));
        let mut app = AppProcess {
            name: name.to_owned(),
            child,
            address: String::new(),
            logs,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
        };
        let line = app
            .wait_for_log("Area Clienti in ascolto", START_TIMEOUT)
            .await;
        let addr = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("addr="))
            .unwrap_or_else(|| panic!("[{name}] no addr= in {line:?}"));
        app.address = format!("http://{addr}");
        app
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still alive.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Asks for a graceful shutdown, as an orchestrator does.
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "[{}] kill -TERM failed", self.name);
    }

    /// Kills the process at once (SIGKILL) and reaps it.
    pub fn sigkill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap the killed process");
    }

    /// Waits for the process to exit; panics after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] still running {within:?} after being asked to stop",
                self.name
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first log line containing `needle`, waiting up to `within`; panics (with the log)
    /// if the process exits or the time runs out first.
    pub async fn wait_for_log(&mut self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(line) = self.log_lines(needle).into_iter().next() {
                return line;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "[{}] exited ({status}) before logging {needle:?}:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "[{}] did not log {needle:?} within {within:?}:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Every log line so far containing `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|line| line.contains(needle))
            .cloned()
            .collect()
    }

    fn log_tail(&self) -> String {
        let logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        let start = logs.len().saturating_sub(LOG_TAIL);
        logs[start..].join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Posts every contract (eight at a time) and asserts each was created (201).
    pub async fn post_contracts(&self, bodies: Vec<Value>) {
        let limit = Arc::new(Semaphore::new(8));
        let mut posts = JoinSet::new();
        for body in bodies {
            let (http, address, limit) = (self.http.clone(), self.address.clone(), limit.clone());
            posts.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore");
                let outcome = post_contract(&http, &address, &body).await;
                (body["contract_id"].clone(), outcome)
            });
        }
        while let Some(joined) = posts.join_next().await {
            let (id, outcome) = joined.expect("post task");
            match outcome {
                Ok(StatusCode::CREATED) => {}
                other => panic!("[{}] contract {id}: expected 201, got {other:?}", self.name),
            }
        }
    }
}

async fn post_contract(
    http: &reqwest::Client,
    address: &str,
    body: &Value,
) -> Result<StatusCode, reqwest::Error> {
    let response = http
        .post(format!("{address}/api/v1/contratti"))
        .bearer_auth(API_TOKEN)
        .json(body)
        .send()
        .await?;
    Ok(response.status())
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "----- last log lines of instance [{}] -----\n{}\n-----",
                self.name,
                self.log_tail()
            );
        }
    }
}

/// Reads the child's standard error line by line, without ANSI colours, until it closes.
fn collect_lines(stderr: ChildStderr, logs: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.by_ref().read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let text = strip_ansi(&String::from_utf8_lossy(&line));
                    logs.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(text.trim_end().to_owned());
                }
            }
        }
    });
}

/// `text` without ANSI escape sequences (`ESC [ … final-byte`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn harness_strips_colours_and_makes_valid_vat_numbers() {
    let coloured = "\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[3maddr\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:4000";
    assert_eq!(strip_ansi(coloured), "2026  INFO addr=127.0.0.1:4000");
    for i in [0, 1, 7, 299, 1_234, 99_999] {
        let vat = vat_number(i);
        assert!(
            area_clienti::domain::vat::VatNumber::parse(&vat).is_ok(),
            "{vat} rejected"
        );
    }
}
