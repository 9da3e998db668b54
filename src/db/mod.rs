//! Database access: the pool, migrations, and one module of queries per table.
//! Functions here take a connection or pool and plain values; they know nothing of HTTP.

pub mod audit;
pub mod bulk;
pub mod companies;
pub mod contracts;
pub mod credentials;
pub mod dev_mailbox;
pub mod factor_resets;
pub mod factors;
pub mod failover;
pub mod jobs;
pub mod lines;
pub mod outbox;
pub mod passkeys;
pub mod pending_contacts;
pub mod rate_limits;
pub mod roster;
pub mod sessions;
pub mod staff;
pub mod support;
pub mod targets;
pub mod users;

use std::time::Duration;

use anyhow::Context;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgPool, PgPoolOptions};

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
        pool_options()
            .connect(url)
            .await
            .with_context(|| format!("connessione a {} fallita", redact(url)))?
    };
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("migrazioni del database fallite")?;
    Ok(pool)
}

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
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
