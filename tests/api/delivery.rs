//! The outbox worker: retries of temporary failures, permanent failures recorded, and the
//! background worker delivering on its own. The tests run the worker round by round
//! (`run_pending_work`) and bring retries forward (`make_retries_due`), so each attempt is
//! one step of the test, never a wait.

use area_clienti::config::Settings;
use reqwest::StatusCode;

use crate::helpers::{
    TestApp, VAT_A, activation_path, contract_body, location, spawn_app, spawn_app_with,
    spawn_app_with_worker,
};
use crate::servizio_clienti::staff_browser;
use crate::support::sms_gateway::code_in;

const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";

/// The portal with a retry delay no test run reaches: a retry happens only when the test
/// makes it due, so a round of work is exactly one attempt.
async fn spawn_app_with_distant_retries() -> TestApp {
    spawn_app_with(|s: &mut Settings| s.outbox_retry_base_ms = 600_000).await
}

/// Reports the first contract of VAT_A for `EMAIL` (no mobile), as a sales channel does.
async fn report_contract(app: &TestApp) {
    let body = contract_body("CTR-1", VAT_A, EMAIL, None, &[]);
    assert_eq!(app.post_contract(&body).await.status(), StatusCode::CREATED);
}

/// Asserts the state, attempts and error of the only message on `channel`.
async fn assert_message(app: &TestApp, channel: &str, state: &str, attempts: i32, error: &str) {
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM outbox WHERE channel = '{channel}' AND state = '{state}'
         AND attempts = {attempts} AND coalesce(last_error, '') LIKE '%{error}%'"
    ))
    .await;
}

#[tokio::test]
async fn an_sms_refused_with_500_is_retried_until_the_gateway_accepts_it() {
    let app = spawn_app_with_distant_retries().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    app.sms.respond_with_status(500).await;
    app.browser.post_form(&format!("{link}/codice"), &[]).await;

    for attempt in 1..=2 {
        app.run_pending_work().await;
        assert_message(&app, "sms", "queued", attempt, "500").await;
        app.make_retries_due().await;
    }
    app.sms.respond_with_status(200).await;
    let sms = app.sms_to(MOBILE).await;

    assert_message(&app, "sms", "sent", 3, "").await;
    app.assert_holds("SELECT body_text IS NULL FROM outbox WHERE channel = 'sms'")
        .await;
    assert_eq!(app.sms.count_to(MOBILE).await, 1, "delivered once");
    let checked = app
        .browser
        .post_form(&link, &[("code", &code_in(&sms.text))])
        .await;
    assert_eq!(
        location(&checked),
        format!("{link}/password"),
        "the code delivered late still works"
    );
}

#[tokio::test]
async fn an_sms_refused_with_400_fails_for_good_and_support_can_read_why() {
    let app = spawn_app_with_distant_retries().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.sms.respond_with_status(400).await;
    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;

    app.run_pending_work().await;
    app.make_retries_due().await;
    app.run_pending_work().await;

    assert_message(&app, "sms", "failed", 1, "400").await;
    assert_eq!(app.sms.count_to(MOBILE).await, 1, "not tried again");
    let error: String = sqlx::query_scalar("SELECT last_error FROM outbox WHERE channel = 'sms'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !error.contains(MOBILE),
        "the number is not in the error: {error}"
    );
    let company: uuid::Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, sheet) = staff_browser(&app)
        .await
        .get_html(&format!("/assistenza/aziende/{company}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains(&error), "the sheet shows the error: {error}");
}

#[tokio::test]
async fn an_email_deferred_by_the_smtp_server_is_delivered_later() {
    let app = spawn_app_with_distant_retries().await;
    app.smtp.set_reject(Some("451 4.3.0 riprova più tardi"));
    report_contract(&app).await;

    app.run_pending_work().await;
    assert_message(&app, "email", "queued", 1, "451").await;
    assert_eq!(app.smtp.count_to(EMAIL).await, 0);
    app.smtp.set_reject(None);
    app.make_retries_due().await;
    let mail = app.mail_to(EMAIL).await;

    assert!(mail.text.contains("/attivazione/"));
    assert_message(&app, "email", "sent", 2, "").await;
}

#[tokio::test]
async fn an_email_deferred_at_every_attempt_is_given_up_after_the_last() {
    let app = spawn_app_with_distant_retries().await;
    let max_attempts = app.config.notify.max_attempts;
    app.smtp.set_reject(Some("451 4.3.0 riprova più tardi"));
    report_contract(&app).await;

    for attempt in 1..max_attempts {
        app.run_pending_work().await;
        assert_message(&app, "email", "queued", attempt, "451").await;
        app.make_retries_due().await;
    }
    app.run_pending_work().await;

    let gave_up = format!("gave up after {max_attempts} attempts");
    assert_message(&app, "email", "failed", max_attempts, &gave_up).await;
    assert_eq!(app.smtp.count_to(EMAIL).await, 0);
}

#[tokio::test]
async fn an_email_rejected_for_good_is_recorded_as_failed() {
    let app = spawn_app().await;
    app.smtp.set_reject(Some("550 5.1.1 casella inesistente"));
    report_contract(&app).await;

    app.run_pending_work().await;

    assert_message(&app, "email", "failed", 1, "550").await;
    app.assert_holds(
        "SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE body_text IS NOT NULL OR body_html IS NOT NULL)",
    )
    .await;
}

/// The one test of the worker the app runs in the background in production: nobody runs
/// the pending work, yet the email a request queued arrives. It waits for the SMTP sink to
/// report the message (a timeout only fails the test).
#[tokio::test]
async fn the_background_worker_delivers_what_a_request_queued_on_its_own() {
    let app = spawn_app_with_worker().await;

    report_contract(&app).await;

    let mail = app.smtp.wait_for_to(EMAIL).await;
    assert!(mail.text.contains("/attivazione/"));
}
