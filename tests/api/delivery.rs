//! The outbox worker: retries of temporary failures, permanent failures recorded.

use std::time::Duration;

use crate::helpers::{activation_path, spawn_app_with_worker};

const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";

#[tokio::test]
async fn an_sms_refused_with_500_is_retried_until_the_gateway_accepts_it() {
    let app = spawn_app_with_worker().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.sms.respond_with_status(500).await;

    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;
    app.wait_until("SELECT EXISTS (SELECT 1 FROM outbox WHERE channel = 'sms' AND attempts >= 1 AND last_error LIKE '%500%')").await;
    app.sms.respond_with_status(200).await;

    app.wait_until("SELECT EXISTS (SELECT 1 FROM outbox WHERE channel = 'sms' AND state = 'sent')")
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE channel = 'sms' AND body_text IS NULL")
            .await,
        1,
        "body erased once sent"
    );
    assert!(app.sms.count_to(MOBILE).await >= 1);
}

#[tokio::test]
async fn an_sms_refused_with_400_fails_for_good_and_support_can_read_why() {
    let app = spawn_app_with_worker().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.sms.respond_with_status(400).await;

    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;

    app.wait_until(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE channel = 'sms' AND state = 'failed')",
    )
    .await;
    let (attempts, error): (i32, String) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox WHERE channel = 'sms'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(attempts, 1, "a permanent failure is not retried");
    assert!(error.contains("400"), "{error}");
    assert!(
        !error.contains(MOBILE),
        "the number is not in the error: {error}"
    );
}

#[tokio::test]
async fn an_email_deferred_by_the_smtp_server_is_delivered_later() {
    let app = spawn_app_with_worker().await;
    app.smtp.set_reject(Some("451 4.3.0 riprova più tardi"));
    let body = crate::helpers::contract_body("CTR-1", crate::helpers::VAT_A, EMAIL, None, &[]);
    app.post_contract(&body).await;

    app.wait_until(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE attempts >= 1 AND last_error IS NOT NULL)",
    )
    .await;
    assert_eq!(app.smtp.count_to(EMAIL).await, 0);
    app.smtp.set_reject(None);

    let mail = app
        .smtp
        .wait_for(|m| m.to[0] == EMAIL, Duration::from_secs(10))
        .await;
    assert!(mail.text.contains("/attivazione/"));
    app.wait_until("SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'sent')")
        .await;
}

#[tokio::test]
async fn an_email_rejected_for_good_is_recorded_as_failed() {
    let app = spawn_app_with_worker().await;
    app.smtp.set_reject(Some("550 5.1.1 casella inesistente"));
    let body = crate::helpers::contract_body("CTR-1", crate::helpers::VAT_A, EMAIL, None, &[]);
    app.post_contract(&body).await;

    app.wait_until("SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'failed')")
        .await;
    let error: String = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(error.contains("550"), "{error}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM outbox WHERE body_text IS NOT NULL OR body_html IS NOT NULL"
        )
        .await,
        0
    );
}
