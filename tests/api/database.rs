//! One throwaway database per test, cloned from a template migrated once.
//!
//! The template is named after a hash of the migrations folder, so a changed migration
//! gets a fresh template and an unchanged one is reused across test runs. Test processes
//! running at the same time build it under one PostgreSQL advisory lock; a template left
//! half-built by a killed run is not marked `IS_TEMPLATE` and is rebuilt.

use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::OnceCell;
use uuid::Uuid;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Advisory lock key taken while a template is checked or built ("ac_tmpl").
const TEMPLATE_LOCK: i64 = 0x0061_635f_746d_706c;

/// Creates `ac_test_<uuid>` as a copy of the migrated template; returns its name.
pub async fn create_test_database() -> String {
    let template = template().await;
    let name = format!("ac_test_{}", Uuid::new_v4().simple());
    let mut admin = admin().await;
    admin
        .execute(format!(r#"CREATE DATABASE "{name}" TEMPLATE "{template}""#).as_str())
        .await
        .unwrap_or_else(|e| panic!("cloning {template} into {name}: {e}"));
    name
}

/// Drops a test database, disconnecting whoever is still on it.
pub async fn drop_database(name: &str) {
    if let Ok(mut conn) = PgConnection::connect(ADMIN_URL).await {
        let _ = conn
            .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
            .await;
    }
}

pub fn url_of(name: &str) -> String {
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

/// The template's name, built on first use in this test binary.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE.get_or_init(build_template).await
}

async fn build_template() -> String {
    let name = format!("ac_template_{}", migrations_hash());
    let mut admin = admin().await;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("template lock");
    let ready: Option<bool> =
        sqlx::query_scalar("SELECT datistemplate FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(&mut admin)
            .await
            .expect("template lookup");
    if ready != Some(true) {
        drop_database(&name).await;
        // The app's own start-up path creates and migrates it, as in production.
        let pool = area_clienti::db::connect_and_migrate(&url_of(&name))
            .await
            .expect("template migrates");
        pool.close().await;
        admin
            .execute(format!(r#"ALTER DATABASE "{name}" WITH IS_TEMPLATE true"#).as_str())
            .await
            .expect("mark template");
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("template unlock");
    name
}

/// The first 16 hex digits of a SHA-256 over the migration files' names and contents.
fn migrations_hash() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations folder")
        .map(|entry| entry.expect("migration entry").path())
        .collect();
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        hash.update(file.file_name().unwrap().as_encoded_bytes());
        hash.update(std::fs::read(&file).expect("migration file"));
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn admin() -> PgConnection {
    PgConnection::connect(ADMIN_URL)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432")
}
