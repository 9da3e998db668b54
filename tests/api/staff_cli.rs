//! `area-clienti staff disable` and `staff reset-factors` (CONTRACT.md §2), run as the real
//! binary against the test's database: an operator disabled, or whose factors are reset,
//! on the command line is out of the console at the next click (a reset then enrols a new
//! app at the next login), and a name that does not exist is an error that says so.

use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::{
    Browser, STAFF_ENROL, STAFF_VERIFY, TestApp, location, spawn_app, totp_secret_on,
};
use crate::servizio_clienti::{STAFF, STAFF_PASSWORD, staff_browser};

const LOGIN: &str = "/assistenza/accedi";

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
    // Another browser is half-way: password typed, the app's code not yet.
    let pending = Browser::new(&app.address);
    let csrf = pending.staff_csrf().await;
    let form = [
        ("username", STAFF),
        ("password", STAFF_PASSWORD),
        ("csrf_token", &csrf),
    ];
    assert_eq!(
        location(&pending.post_raw(LOGIN, &form).await),
        STAFF_VERIFY
    );

    let out = staff_cli(&app, &["disable", STAFF]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabilitato"));

    let next = console.get("/assistenza").await;
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&next), LOGIN);
    let code = app.staff_app_code(STAFF).await;
    let late = pending
        .post_staff_form(STAFF_VERIFY, &[("code", &code)])
        .await;
    assert_eq!(location(&late), LOGIN, "the pending login ended too");
    assert_eq!(location(&pending.get("/assistenza").await), LOGIN);
    let again = app
        .log_staff_in(&Browser::new(&app.address), STAFF, STAFF_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "no more logins");
    app.assert_holds(
        "SELECT EXISTS (SELECT 1 FROM staff_events WHERE action = 'assistenza_operatore_disabilitato')",
    )
    .await;
    let again = staff_cli(&app, &["disable", STAFF]);
    assert!(!again.status.success(), "disabling twice is an error");
}

#[tokio::test]
async fn reset_factors_ends_the_open_session_and_the_next_login_enrols_a_new_app() {
    let app = spawn_app().await;
    let console = staff_browser(&app).await;
    let old_secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM authenticator_apps")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let out = staff_cli(&app, &["reset-factors", STAFF]);

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.assert_holds(
        "SELECT NOT EXISTS (SELECT 1 FROM authenticator_apps)
         AND NOT EXISTS (SELECT 1 FROM recovery_codes)",
    )
    .await;
    assert_eq!(location(&console.get("/assistenza").await), LOGIN);
    let csrf = console.staff_csrf().await;
    let form = [
        ("username", STAFF),
        ("password", STAFF_PASSWORD),
        ("csrf_token", &csrf),
    ];
    assert_eq!(location(&console.post_raw(LOGIN, &form).await), STAFF_ENROL);
    assert_eq!(location(&console.get("/assistenza").await), STAFF_ENROL);
    let (_, page) = console.get_html(STAFF_ENROL).await;
    assert_ne!(totp_secret_on(&page), old_secret, "a new secret");

    let unknown = staff_cli(&app, &["reset-factors", "nessuno"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("nessun operatore con username nessuno"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}
