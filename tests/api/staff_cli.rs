//! `area-clienti staff disable` and `staff reset-factors` (CONTRACT.md §2), run as the real
//! binary against the test's database: an operator disabled on the command line is out of
//! the console at the next click, and a name that does not exist is an error that says so.

use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app};
use crate::servizio_clienti::{STAFF, staff_browser};

fn staff_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_area-clienti"))
        .arg("staff")
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run area-clienti")
}

#[tokio::test]
async fn a_disabled_operator_is_logged_out_at_the_next_request_and_cannot_log_in() {
    let app = spawn_app().await;
    let console = staff_browser(&app).await;
    assert_eq!(console.get("/assistenza").await.status(), StatusCode::OK);

    let out = staff_cli(&app, &["disable", STAFF]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabilitato"));

    let next = console.get("/assistenza").await;
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&next), "/assistenza/accedi");
    app.assert_holds(
        "SELECT EXISTS (SELECT 1 FROM staff_events WHERE action = 'assistenza_operatore_disabilitato')",
    )
    .await;
    let again = staff_cli(&app, &["disable", STAFF]);
    assert!(!again.status.success(), "disabling twice is an error");
}

#[tokio::test]
async fn factors_are_reset_by_name_and_an_unknown_name_is_an_error() {
    let app = spawn_app().await;
    staff_browser(&app).await;
    sqlx::query(
        "INSERT INTO authenticator_apps (id, staff_id, secret, created_at)
         SELECT gen_random_uuid(), id, '\\x00'::bytea, now() FROM staff_users",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let out = staff_cli(&app, &["reset-factors", STAFF]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM authenticator_apps)")
        .await;

    let unknown = staff_cli(&app, &["reset-factors", "nessuno"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("nessun operatore con username nessuno"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}
