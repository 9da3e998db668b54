//! The deletion of expired sessions survives a database error: a round that fails is logged
//! and the next rounds go on deleting.

use std::time::Duration;

use crate::process::{AppEnv, AppProcess, TestDatabase, wait_until};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const WITHIN: Duration = Duration::from_secs(20);

async fn insert_expired_session(pool: &sqlx::PgPool, id: &str) {
    sqlx::query(
        "INSERT INTO tower_sessions.session (id, data, expiry_date)
         VALUES ($1, '\\x'::bytea, now() - interval '1 hour')",
    )
    .bind(id)
    .execute(pool)
    .await
    .expect("insert an expired session");
}

fn gone(id: &str) -> String {
    format!("SELECT NOT EXISTS (SELECT 1 FROM tower_sessions.session WHERE id = '{id}')")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_still_deleted_after_a_cleanup_round_failed() {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    let env =
        AppEnv::new(&db.url, &smtp.url(), &sms.url()).with("SESSION_CLEANUP_INTERVAL_SECS", "1");
    let mut app = AppProcess::start("app", &env).await;
    let pool = db.pool().await;

    insert_expired_session(&pool, "expired-before").await;
    wait_until(
        &pool,
        &gone("expired-before"),
        WITHIN,
        "the first expired session deleted",
    )
    .await;

    // A round fails: its table is not there.
    sqlx::query("ALTER TABLE tower_sessions.session RENAME TO session_away")
        .execute(&pool)
        .await
        .unwrap();
    app.wait_for_log("expired session cleanup failed", WITHIN)
        .await;
    sqlx::query("ALTER TABLE tower_sessions.session_away RENAME TO session")
        .execute(&pool)
        .await
        .unwrap();

    insert_expired_session(&pool, "expired-after").await;
    wait_until(
        &pool,
        &gone("expired-after"),
        WITHIN,
        "an expired session deleted after the failed round",
    )
    .await;
    assert!(app.is_running());
}
