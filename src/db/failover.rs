//! Keeps the pool on the server that accepts writes when `DATABASE_URL` names several
//! (CONTRACT.md §1), and moves it to the new primary by itself after a failover.
//!
//! - At start the hosts are tried in the order written; the first that accepts writes is
//!   the one the pool connects to.
//! - Every new connection is checked (`after_connect`): one to a read-only server (a
//!   standby, or a demoted primary come back) is closed, never used; the pool's own connect
//!   loop then tries again with whatever host is current by then.
//! - A watcher keeps one small connection to the current host and asks it every second
//!   whether it still accepts writes. When it is gone or read-only, the hosts are tried in
//!   order again and the pool is pointed at the first writable one
//!   (`Pool::set_connect_options`). Connections opened before that moment are dropped when
//!   next taken from the pool (`before_acquire`), so none keeps talking to the old server.
//! - A request that meets SQLSTATE 25006 (read_only_sql_transaction) wakes the watcher at
//!   once ([`note_error`]) instead of waiting for its next look.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use tokio::sync::Notify;

use super::targets::Targets;

/// How often the watcher asks the current server whether it still accepts writes.
const LOOK_INTERVAL: Duration = Duration::from_secs(1);
/// Longest a look at one server may take (connect, or the question on an open connection):
/// a server that does not answer in this time is treated as unreachable.
const LOOK_TIMEOUT: Duration = Duration::from_secs(2);
/// SQLSTATE read_only_sql_transaction: a write on a standby or a read-only server.
const READ_ONLY_SQL_TRANSACTION: &str = "25006";

/// Woken by [`note_error`]; every watcher of the process listens (there is one per pool,
/// and a spurious look costs one query).
static READ_ONLY_SEEN: Notify = Notify::const_new();
/// How many times a pool of this process moved to another server (or found its server
/// read-only): holders of a long-lived connection (the worker's LISTEN) reconnect when it
/// changes.
static MOVES: AtomicU64 = AtomicU64::new(0);

/// See [`MOVES`].
pub fn moves() -> u64 {
    MOVES.load(Ordering::Relaxed)
}

/// Whether `error` is a write refused because the server is read-only.
pub fn is_read_only_error(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some(READ_ONLY_SQL_TRANSACTION))
}

/// Called where errors are handled: a read-only refusal makes the watchers look now.
pub fn note_error(error: &sqlx::Error) {
    if is_read_only_error(error) {
        tracing::warn!(
            "database refused a write (read-only server): looking for the primary at once"
        );
        READ_ONLY_SEEN.notify_waiters();
    }
}

/// The pool's side of a multi-host `DATABASE_URL`: which host is current and since when
/// older connections must go.
struct Primary {
    targets: Targets,
    options: Vec<PgConnectOptions>,
    current: AtomicUsize,
    /// Connections opened before this instant belong to a server that is no longer the
    /// primary: they are closed instead of being handed out.
    stale_before: Mutex<Option<Instant>>,
    /// Woken by `after_connect` when it refuses a read-only server.
    look_now: Notify,
}

impl Primary {
    fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    fn is_stale(&self, age: Duration) -> bool {
        let stale_before = *self
            .stale_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match (stale_before, Instant::now().checked_sub(age)) {
            (Some(stale_before), Some(opened_at)) => opened_at < stale_before,
            _ => false,
        }
    }

    fn mark_older_connections_stale(&self) {
        *self
            .stale_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        MOVES.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a server said when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Writable,
    ReadOnly,
}

/// `transaction_read_only` is on in a standby (in recovery) and on a server set read-only
/// (`default_transaction_read_only`): exactly what libpq's `target_session_attrs=read-write`
/// asks.
async fn role_of(connection: &mut PgConnection) -> sqlx::Result<Role> {
    let read_only: String = sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
        .fetch_one(connection)
        .await?;
    Ok(match read_only.as_str() {
        "off" => Role::Writable,
        _ => Role::ReadOnly,
    })
}

/// Connects to one server (falling back to the `postgres` database when the portal's does
/// not exist yet, before its creation at the first start) and asks its role.
async fn look_at(options: &PgConnectOptions) -> anyhow::Result<(Role, PgConnection)> {
    let attempt = async {
        let mut connection = match options.connect().await {
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
                options.clone().database("postgres").connect().await?
            }
            other => other?,
        };
        let role = role_of(&mut connection).await?;
        Ok::<_, anyhow::Error>((role, connection))
    };
    tokio::time::timeout(LOOK_TIMEOUT, attempt)
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {LOOK_TIMEOUT:?}"))?
}

/// The first host, in the order written, that accepts writes, with a connection to it;
/// otherwise what each host said.
async fn first_writable(
    targets: &Targets,
    options: &[PgConnectOptions],
) -> Result<(usize, PgConnection), String> {
    let mut reasons = Vec::with_capacity(options.len());
    for (index, options) in options.iter().enumerate() {
        match look_at(options).await {
            Ok((Role::Writable, connection)) => return Ok((index, connection)),
            Ok((Role::ReadOnly, connection)) => {
                let _ = connection.close().await;
                reasons.push(format!("{}: read-only", targets.name(index)));
            }
            Err(error) => reasons.push(format!("{}: {error}", targets.name(index))),
        }
    }
    Err(reasons.join("; "))
}

/// Set once a pool follows the primary: see [`super::background_pool`].
static IN_USE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process has a pool that follows the primary.
pub fn in_use() -> bool {
    IN_USE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Connects a pool to the writable server among `targets` and keeps it there; the database
/// is created on it if missing. Fails when no listed server accepts writes now.
pub async fn connect(targets: Targets, pool_options: PgPoolOptions) -> anyhow::Result<PgPool> {
    let options = (0..targets.len())
        .map(|i| PgConnectOptions::from_str(targets.url(i)).map(super::session_settings))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("DATABASE_URL non valido ({})", targets.redacted()))?;
    let (index, look) = first_writable(&targets, &options)
        .await
        .map_err(|reasons| {
            anyhow::anyhow!(
                "nessun server di DATABASE_URL accetta scritture ({}): {reasons}",
                targets.redacted()
            )
        })?;
    if targets.len() > 1 {
        tracing::info!(primary = targets.name(index), "database primary found");
    }
    super::create_if_missing(targets.url(index)).await?;
    let primary = Arc::new(Primary {
        options,
        current: AtomicUsize::new(index),
        stale_before: Mutex::new(None),
        look_now: Notify::new(),
        targets,
    });
    let (on_connect, on_acquire) = (primary.clone(), primary.clone());
    let pool = pool_options
        .after_connect(move |connection, _meta| {
            let primary = on_connect.clone();
            Box::pin(async move {
                match role_of(connection).await? {
                    Role::Writable => Ok(()),
                    Role::ReadOnly => {
                        primary.look_now.notify_one();
                        Err(sqlx::Error::Protocol(format!(
                            "database server {} is read-only (a standby or a demoted primary): connection closed, looking for the primary",
                            primary.targets.name(primary.current())
                        )))
                    }
                }
            })
        })
        // Replaces the hook of `pool_options`: the same ping of idle connections, after
        // the check that the connection is not from before the last move.
        .before_acquire(move |connection, meta| {
            let fresh = !on_acquire.is_stale(meta.age);
            Box::pin(async move { Ok(fresh && super::usable(connection, &meta).await) })
        })
        .connect_with(primary.options[index].clone())
        .await
        .with_context(|| format!("connessione a {} fallita", primary.targets.redacted()))?;
    tokio::spawn(watch(pool.clone(), primary, look));
    IN_USE.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(pool)
}

/// Looks at the current server every [`LOOK_INTERVAL`] (or at once when woken) and moves
/// the pool when it no longer accepts writes. Ends when the pool is closed.
async fn watch(pool: PgPool, primary: Arc<Primary>, first_look: PgConnection) {
    let mut look = Some(first_look);
    let mut outage_since: Option<Instant> = None;
    loop {
        tokio::select! {
            () = pool.close_event() => return,
            () = tokio::time::sleep(LOOK_INTERVAL) => {}
            () = primary.look_now.notified() => {}
            () = READ_ONLY_SEEN.notified() => {}
        }
        let current = primary.current();
        let role = match look.as_mut() {
            Some(connection) => tokio::time::timeout(LOOK_TIMEOUT, role_of(connection))
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        if role == Some(Role::Writable) {
            continue;
        }
        if let Some(connection) = look.take() {
            // Gone or read-only: a fresh look at every host decides.
            let _ = tokio::time::timeout(LOOK_TIMEOUT, connection.close()).await;
        }
        match first_writable(&primary.targets, &primary.options).await {
            Ok((index, connection)) => {
                look = Some(connection);
                if index != current {
                    pool.set_connect_options(primary.options[index].clone());
                    primary.current.store(index, Ordering::Relaxed);
                    tracing::warn!(
                        from = primary.targets.name(current),
                        to = primary.targets.name(index),
                        "database primary moved: the pool now connects to the new primary"
                    );
                }
                if index != current || role == Some(Role::ReadOnly) {
                    primary.mark_older_connections_stale();
                }
                if let Some(since) = outage_since.take() {
                    tracing::warn!(
                        primary = primary.targets.name(index),
                        after_secs = since.elapsed().as_secs(),
                        "a writable database primary is reachable again"
                    );
                }
            }
            Err(reasons) => {
                if outage_since.is_none() {
                    outage_since = Some(Instant::now());
                    tracing::error!(
                        %reasons,
                        "no database server accepts writes: requests fail until a primary is back"
                    );
                    // The connections of the lost server must not come back into use if
                    // it returns read-only.
                    primary.mark_older_connections_stale();
                }
            }
        }
    }
}
