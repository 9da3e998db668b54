//! The SMS gateway busy (429) or not answering in time: the SMS is retried and delivered
//! once the gateway works again. (500 and 400 are covered in tests/api/delivery.rs.)

use std::time::Duration;

use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

use crate::process::{
    AppEnv, AppProcess, PUBLIC_BASE_URL, TestDatabase, contract, recipient, wait_until,
};
use crate::support::sms_gateway::{SmsGateway, code_in};
use crate::support::smtp_sink::SmtpSink;

const MOBILE: &str = "+393331234567";

/// The SMS row of the outbox, in SQL.
const SMS: &str = "FROM outbox WHERE channel = 'sms'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_answered_429_too_many_requests_is_retried_and_delivered_when_the_gateway_accepts() {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    let app = AppProcess::start("app", &AppEnv::new(&db.url, &smtp.url(), &sms.url())).await;
    let pool = db.pool().await;
    sms.respond_with_status(429).await;

    request_verification_code(&app, &smtp).await;
    wait_until(
        &pool,
        &format!(
            "SELECT EXISTS (SELECT 1 {SMS} AND state = 'queued' AND attempts >= 2
                                     AND last_error LIKE '%answered 429%')"
        ),
        Duration::from_secs(30),
        "the SMS refused with 429 is queued for another attempt, more than once",
    )
    .await;
    sms.respond_with_status(200).await;

    wait_until(
        &pool,
        &format!("SELECT EXISTS (SELECT 1 {SMS} AND state = 'sent')"),
        Duration::from_secs(30),
        "the SMS is delivered once the gateway accepts",
    )
    .await;
    let delivered = sms.wait_for_to(MOBILE).await;
    assert_eq!(code_in(&delivered.text).len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_gateway_that_does_not_answer_in_time_is_given_up_on_retried_and_delivered_after() {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    let env = AppEnv::new(&db.url, &smtp.url(), &sms.url()).with("SMS_GATEWAY_TIMEOUT_MS", "500");
    let app = AppProcess::start("app", &env).await;
    let pool = db.pool().await;
    // Far longer than the 0.5 s the portal waits.
    sms.respond_slowly(Duration::from_secs(5)).await;

    request_verification_code(&app, &smtp).await;
    wait_until(
        &pool,
        &format!(
            "SELECT EXISTS (SELECT 1 {SMS} AND state = 'queued' AND attempts >= 1
                                     AND last_error LIKE '%did not answer within 0.5 s%')"
        ),
        Duration::from_secs(30),
        "the timed-out SMS is queued for another attempt",
    )
    .await;
    sms.respond_with_status(200).await;

    wait_until(
        &pool,
        &format!("SELECT EXISTS (SELECT 1 {SMS} AND state = 'sent')"),
        Duration::from_secs(30),
        "the SMS is delivered once the gateway answers in time",
    )
    .await;
    let delivered = sms.wait_for_to(MOBILE).await;
    assert_eq!(code_in(&delivered.text).len(), 6);
}

/// Onboards a legal representative with a mobile, then asks for the verification code from
/// the activation page, as they would: the code goes out by SMS.
async fn request_verification_code(app: &AppProcess, smtp: &SmtpSink) {
    let mut body = contract(0);
    body["legal_representative"]["mobile"] = json!(MOBILE);
    app.post_contracts(vec![body]).await;
    let mail = smtp.wait_for_to(&recipient(0)).await;
    let start = mail
        .text
        .find(PUBLIC_BASE_URL)
        .expect("activation link in the e-mail")
        + PUBLIC_BASE_URL.len();
    let link = mail.text[start..]
        .split_whitespace()
        .next()
        .expect("link path");

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let page = browser
        .get(app.url(link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_token(&page);
    let sent = browser
        .post(app.url(&format!("{link}/codice")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status(),
        StatusCode::SEE_OTHER,
        "code requested from the activation page"
    );
}

fn csrf_token(html: &str) -> String {
    let selector = Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    Html::parse_document(html)
        .select(&selector)
        .next()
        .and_then(|input| input.value().attr("value"))
        .expect("CSRF field on the activation page")
        .to_owned()
}
