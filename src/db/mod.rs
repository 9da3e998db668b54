//! Database access: the pool, migrations, and one module of queries per table.
//! Functions here take a connection or pool and plain values; they know nothing of HTTP.

pub mod access_reviews;
pub mod audit;
pub mod bulk;
pub mod companies;
pub mod contracts;
pub mod credentials;
pub mod delivery_receipts;
pub mod dev_mailbox;
pub mod events;
pub mod factor_resets;
pub mod factors;
pub mod failover;
pub mod invitations;
pub mod jobs;
pub mod lines;
pub mod outbox;
pub mod passkeys;
pub mod pending_contacts;
pub mod pending_imports;
pub mod rate_limits;
pub mod roster;
pub mod secrets;
pub mod session_store;
pub mod sessions;
pub mod staff;
pub mod support;
pub mod targets;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::Connection;
use sqlx::migrate::MigrateDatabase;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

/// How long a request waits for a free connection before it is answered 503 with
/// Retry-After: when all of them stay busy this long the database is overloaded, and a quick
/// "try again" serves the user better than a page that hangs.
pub const REQUEST_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);
/// Connections of the pool that serves requests.
const REQUEST_POOL_SIZE: u32 = 16;
/// The background work (outbox worker, session cleanup) has its own few connections: a flood
/// of requests cannot starve it, and it may wait longer for one, since no user is waiting and
/// giving up between a send and its record would send the message twice.
const BACKGROUND_POOL_SIZE: u32 = 4;
const BACKGROUND_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// A request connection idle at least this long is pinged before use (one round trip):
/// after a database restart it would fail its first query. A busy one is not: under load a
/// connection comes back every few milliseconds, and a ping at every acquire was a round
/// trip per transaction (about a dozen in a login).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Creates the database if it is missing, connects, and applies the migrations. With
/// several hosts in `database_url` (or `target_session_attrs=read-write`) the pool works on
/// the one that accepts writes and follows it after a failover ([`failover`]).
pub async fn connect_and_migrate(database_url: &str) -> anyhow::Result<PgPool> {
    let targets = targets::Targets::parse(database_url)?;
    let pool = if targets.writable_only() {
        failover::connect(targets, pool_options()).await?
    } else {
        let url = targets.url(0);
        create_if_missing(url).await?;
        let options = PgConnectOptions::from_str(url)
            .with_context(|| format!("DATABASE_URL non valido ({})", redact(url)))?;
        pool_options()
            .connect_with(session_settings(options))
            .await
            .with_context(|| format!("connessione a {} fallita", redact(url)))?
    };
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("migrazioni del database fallite")?;
    Ok(pool)
}

/// The settings of every connection of the portal. JIT off: its queries are short and read
/// through indexes, but the planner costs a walk that a LIMIT stops early (a state's rows
/// of the largest company, in number order) as the whole company, past JIT's threshold, and
/// compiling took 17 ms of a 3 ms query (EXPLAIN ANALYZE in BENCHMARKS.md).
pub(crate) fn session_settings(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("jit", "off")])
}

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(REQUEST_POOL_SIZE)
        .acquire_timeout(REQUEST_ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move { Ok(usable(connection, &meta).await) })
        })
}

/// Whether a connection taken from the pool may be handed out: recently used, or answering
/// a ping. One that is not is closed and another taken.
pub(crate) async fn usable(connection: &mut PgConnection, meta: &PoolConnectionMetadata) -> bool {
    meta.idle_for < PING_IF_IDLE_FOR || connection.ping().await.is_ok()
}

/// Creates the database of `database_url` (one host) if it does not exist.
async fn create_if_missing(database_url: &str) -> anyhow::Result<()> {
    if !sqlx::Postgres::database_exists(database_url)
        .await
        .with_context(|| format!("PostgreSQL non raggiungibile ({})", redact(database_url)))?
    {
        tracing::info!("creating database {}", redact(database_url));
        if let Err(e) = sqlx::Postgres::create_database(database_url).await {
            // Another instance starting at the same moment may have created it first.
            if !sqlx::Postgres::database_exists(database_url)
                .await
                .unwrap_or(false)
            {
                return Err(e).context("creazione del database fallita");
            }
        }
    }
    Ok(())
}

/// The pool of the background work, on the same database as `requests` (connects lazily).
/// A pool that follows the primary ([`failover`]) is shared instead: a second one made from
/// its options would stay on the old primary after a failover.
pub fn background_pool(requests: &PgPool) -> PgPool {
    if failover::in_use() {
        return requests.clone();
    }
    PgPoolOptions::new()
        .max_connections(BACKGROUND_POOL_SIZE)
        .acquire_timeout(BACKGROUND_ACQUIRE_TIMEOUT)
        .connect_lazy_with((*requests.connect_options()).clone())
}

/// Whether `error` (or its cause) is a request that found every connection busy.
pub fn is_pool_exhausted(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| matches!(cause.downcast_ref(), Some(sqlx::Error::PoolTimedOut)))
}

/// The database URL without its password, for logs and error messages.
pub fn redact(database_url: &str) -> String {
    match targets::Targets::parse(database_url) {
        Ok(targets) if targets.len() > 1 => targets.redacted().to_owned(),
        _ => match url::Url::parse(database_url) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                url.to_string()
            }
            Err(_) => "<DATABASE_URL non valido>".to_owned(),
        },
    }
}

/// Whether an error is the violation of the named unique constraint or index.
pub fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(constraint))
}
