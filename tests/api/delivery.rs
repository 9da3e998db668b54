//! The outbox worker: retries of temporary failures, permanent failures recorded, and the
//! background worker delivering on its own. The tests run the worker round by round
//! (`run_pending_work`) and bring retries forward (`make_retries_due`), so each attempt is
//! one step of the test, never a wait.

use area_clienti::config::Settings;
use reqwest::StatusCode;

use crate::helpers::{
    GU, TestApp, VAT_A, activation_path, contract_body, location, row_of_user, spawn_app,
    spawn_app_with, spawn_app_with_worker,
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

/// Fifteen minutes of a relay deferring everything (on the portal's clock, one attempt a
/// minute: more attempts than any former give-up), then the relay is back: the activation
/// e-mail goes out, its link still good.
#[tokio::test]
async fn an_activation_email_outlives_a_fifteen_minute_smtp_outage() {
    let app = spawn_app_with_distant_retries().await;
    app.smtp.set_reject(Some("451 4.3.0 riprova più tardi"));
    report_contract(&app).await;

    for attempt in 1..=15 {
        app.run_pending_work().await;
        assert_message(&app, "email", "queued", attempt, "451").await;
        app.advance_clock(time::Duration::minutes(1));
        app.make_retries_due().await;
    }
    app.smtp.set_reject(None);
    let mail = app.mail_to(EMAIL).await;

    assert_message(&app, "email", "sent", 16, "").await;
    let (status, _) = app.browser.get_html(&activation_path(&mail)).await;
    assert_eq!(status, StatusCode::OK, "the link delivered late works");
}

/// The relay defers until after the activation link has died: the message is `expired` (not
/// `failed`), its body erased, nothing dead is ever sent; support sends a fresh one from the
/// company sheet, once, audited in both trails, and its link works.
#[tokio::test]
async fn an_email_whose_link_expired_during_the_outage_is_expired_and_support_sends_a_fresh_one() {
    let app = spawn_app_with_distant_retries().await;
    app.smtp.set_reject(Some("451 4.3.0 riprova più tardi"));
    report_contract(&app).await;
    app.run_pending_work().await;
    app.advance_clock(time::Duration::days(7) + time::Duration::minutes(1));
    app.make_retries_due().await;
    app.run_pending_work().await;

    assert_message(
        &app,
        "email",
        "expired",
        2,
        "expired before it could be delivered",
    )
    .await;
    app.assert_holds("SELECT body_text IS NULL AND body_html IS NULL FROM outbox")
        .await;
    app.smtp.set_reject(None);
    app.make_retries_due().await;
    app.run_pending_work().await;
    assert_eq!(
        app.smtp.count_to(EMAIL).await,
        0,
        "the dead link is never sent"
    );

    let staff = staff_browser(&app).await;
    let company: uuid::Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let sheet_path = format!("/assistenza/aziende/{company}");
    let (_, sheet) = staff.get_html(&sheet_path).await;
    assert!(
        sheet.contains("Non consegnata in tempo: scaduta"),
        "{sheet}"
    );
    let message: uuid::Uuid = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let action = format!("/assistenza/messaggi/{message}/reinvia");
    assert!(sheet.contains(&action), "a button on the expired message");

    let requeued = staff.post_staff_form(&action, &[]).await;
    assert_eq!(location(&requeued), sheet_path);
    let (_, sheet) = staff.get_html(&sheet_path).await;
    assert!(sheet.contains("con un link nuovo"), "{sheet}");
    assert!(!sheet.contains(&action), "once only");
    let mail = app.mail_to(EMAIL).await;
    let (status, _) = app.browser.get_html(&activation_path(&mail)).await;
    assert_eq!(status, StatusCode::OK, "the fresh link works");
    app.assert_holds(
        "SELECT count(*) = 1 FROM audit_events WHERE action = 'assistenza_messaggio_reinviato'
         AND actor_label LIKE '%' || (SELECT username FROM staff_users LIMIT 1) || '%'",
    )
    .await;
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM staff_events WHERE action = 'assistenza_messaggio_reinviato'
         AND details->>'messaggio' = '{message}'"
    ))
    .await;

    let again = staff.post_staff_form(&action, &[]).await;
    assert_eq!(location(&again), sheet_path);
    assert_eq!(
        app.smtp.count_to(EMAIL).await,
        1,
        "a second click sends nothing"
    );
}

/// A code by SMS while the gateway is down past the code's ten minutes: `expired`, and the
/// sheet says how to get a new one instead of offering a button.
#[tokio::test]
async fn a_code_not_delivered_within_its_lifetime_expires_and_is_not_requeued() {
    let app = spawn_app_with_distant_retries().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.sms.respond_with_status(503).await;
    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;
    app.run_pending_work().await;
    app.advance_clock(time::Duration::minutes(11));
    app.make_retries_due().await;
    app.run_pending_work().await;

    assert_message(&app, "sms", "expired", 2, "503").await;
    let company: uuid::Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (_, sheet) = staff_browser(&app)
        .await
        .get_html(&format!("/assistenza/aziende/{company}"))
        .await;
    assert!(sheet.contains("Un codice non si reinvia"), "{sheet}");
}

/// A login refused by the relay (535) is for the operator to fix, not the message's fault:
/// the message waits and goes out once the credentials are right.
#[tokio::test]
async fn an_smtp_authentication_error_is_retried_not_failed() {
    let app = spawn_app_with_distant_retries().await;
    app.smtp
        .set_reject(Some("535 5.7.8 autenticazione fallita"));
    report_contract(&app).await;

    app.run_pending_work().await;
    assert_message(&app, "email", "queued", 1, "refused the login").await;
    app.smtp.set_reject(None);
    app.make_retries_due().await;
    app.mail_to(EMAIL).await;
    assert_message(&app, "email", "sent", 2, "").await;
}

#[tokio::test]
async fn an_sms_refused_with_429_is_retried() {
    let app = spawn_app_with_distant_retries().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.sms.respond_with_status(429).await;
    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;

    app.run_pending_work().await;
    assert_message(&app, "sms", "queued", 1, "429").await;
    app.sms.respond_with_status(200).await;
    app.make_retries_due().await;
    app.sms_to(MOBILE).await;
    assert_message(&app, "sms", "sent", 2, "").await;
}

#[tokio::test]
async fn an_email_rejected_for_good_is_recorded_as_failed() {
    let app = spawn_app().await;
    app.smtp.set_reject(Some("550 5.1.1 casella inesistente"));
    report_contract(&app).await;

    app.run_pending_work().await;
    app.make_retries_due().await;
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

/// An SMTP relay that takes the message and then stalls holds only its own delivery: a code
/// by SMS asked meanwhile arrives within the stub's wait (10 s), far less than the stalled
/// delivery's time limit. And the other way round: a slow SMS gateway does not hold back
/// e-mail.
#[tokio::test]
async fn a_stalled_smtp_relay_or_slow_gateway_does_not_hold_back_the_other_channel() {
    let app = spawn_app_with_worker().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.smtp.set_delay(std::time::Duration::from_secs(3600));
    let other = contract_body(
        "CTR-2",
        crate::helpers::VAT_B,
        "luca.bianchi@example.it",
        None,
        &[],
    );
    assert_eq!(
        app.post_contract(&other).await.status(),
        StatusCode::CREATED
    );
    app.smtp.wait_until_holding(1).await;

    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;
    let sms = app.sms.wait_for_to(MOBILE).await;
    assert!(sms.text.contains("codice"));

    app.smtp.set_delay(std::time::Duration::ZERO);
    app.sms
        .respond_slowly(std::time::Duration::from_secs(3600))
        .await;
    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;
    let third = contract_body("CTR-3", "07654321012", "anna.verdi@example.it", None, &[]);
    assert_eq!(
        app.post_contract(&third).await.status(),
        StatusCode::CREATED
    );
    app.smtp.wait_for_to("anna.verdi@example.it").await;
}

/// The legal representative's side: an employee's username e-mail that expired in an outage
/// reads as such in Gestione Utenze, and the usual "Reinvia" sends a fresh link that works.
#[tokio::test]
async fn an_expired_username_email_reads_as_expired_in_gestione_utenze_and_reinvia_sends_a_fresh_one()
 {
    let app = spawn_app_with_distant_retries().await;
    let company = app.seed_company(&crate::seeds::COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    app.outbox_settled().await;
    app.smtp
        .set_reject(Some("421 4.3.2 servizio non disponibile"));
    let employee = "luca.bianchi@example.it";
    app.add_employee(&lr, None, employee, employee, "utilizzatore", "register")
        .await;
    let id = app.user_id(employee).await;
    app.run_pending_work().await;
    app.advance_clock(time::Duration::days(7) + time::Duration::minutes(1));
    app.make_retries_due().await;
    app.run_pending_work().await;
    app.smtp.set_reject(None);

    let (_, html) = lr.get_html(GU).await;
    let row = row_of_user(&html, id);
    assert_eq!(row.consegna, "expired", "{}", row.text);
    assert!(row.text.contains("scaduta"), "{}", row.text);
    // A week later the legal representative logs in again (a fresh login: no step-up).
    let lr = app.logged_in_as(&company.legal_rep).await;
    let resent = lr
        .post_form(&format!("{GU}/utenti/{id}/reinvia"), &[])
        .await;
    assert_eq!(location(&resent), GU);
    let mail = app.mail_to(employee).await;
    let (status, _) = app.browser.get_html(&activation_path(&mail)).await;
    assert_eq!(status, StatusCode::OK, "the fresh link works");
}
