//! `DEV_MAILBOX` (issue 13, CONTRACT.md §1): the dev mailbox exists only when asked for.
//! `serve` with a transport unset refuses to start, naming the variable, before it even
//! reaches the database; `DEV_MAILBOX=true` (which `demo` sets) turns the mailbox on and
//! says so loudly.

use std::time::Duration;

use reqwest::StatusCode;

use crate::process::{AppEnv, AppProcess, TestDatabase, run_to_exit};
use crate::support::sms_gateway::SmsGateway;

/// A refusal comes before any connection: far within this.
const EXIT_WITHIN: Duration = Duration::from_secs(30);
/// Nothing listens on port 1: a `serve` that tried the database would fail differently.
const NO_DATABASE: &str = "postgres://postgres@127.0.0.1:1/area_clienti";

#[tokio::test]
async fn serve_with_a_transport_unset_refuses_to_start_naming_it_unless_dev_mailbox_is_true() {
    let configured = AppEnv::new(
        NO_DATABASE,
        "smtp://127.0.0.1:2525",
        "http://127.0.0.1:9/sms",
    );

    let (status, stderr) = run_to_exit(
        "serve",
        &configured.clone().without("SMTP_URL"),
        EXIT_WITHIN,
    )
    .await;
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("SMTP_URL non impostato"), "{stderr}");
    assert!(
        stderr.contains("DEV_MAILBOX=true"),
        "the way out is named: {stderr}"
    );

    let sms_unset = configured
        .clone()
        .without("SMS_GATEWAY_URL")
        .with("DEV_MAILBOX", "false");
    let (status, stderr) = run_to_exit("serve", &sms_unset, EXIT_WITHIN).await;
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("SMS_GATEWAY_URL non impostato"), "{stderr}");

    let neither = configured.without("SMTP_URL").without("SMS_GATEWAY_URL");
    let (status, stderr) = run_to_exit("serve", &neither, EXIT_WITHIN).await;
    assert!(!status.success(), "{status}: {stderr}");
    assert!(
        stderr.contains("SMTP_URL e SMS_GATEWAY_URL non impostati"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("127.0.0.1:1"),
        "refused before connecting to the database: {stderr}"
    );
}

#[tokio::test]
async fn dev_mailbox_true_serves_the_mailbox_and_says_so_and_demo_turns_it_on_by_itself() {
    let sms = SmsGateway::start().await;

    let db = TestDatabase::on_shared_server();
    let env = AppEnv::new(&db.url, "", &sms.url())
        .without("SMTP_URL")
        .with("DEV_MAILBOX", "true");
    let mut serve = AppProcess::start("serve", &env).await;
    serve
        .wait_for_log(
            "DEV MODE (DEV_MAILBOX=true): SMTP_URL is not set",
            Duration::from_secs(1),
        )
        .await;
    assert!(
        serve.log_lines("SMS_GATEWAY_URL is not set").is_empty(),
        "SMS go to the gateway"
    );
    let mailbox = reqwest::get(serve.url("/dev/posta")).await.unwrap();
    assert_eq!(mailbox.status(), StatusCode::OK);
    serve.sigkill();

    let db = TestDatabase::on_shared_server();
    let demo_env = AppEnv::new(&db.url, "", "")
        .without("SMTP_URL")
        .without("SMS_GATEWAY_URL");
    let mut demo = AppProcess::start_command("demo", "demo", &demo_env).await;
    demo.wait_for_log(
        "DEV MODE (DEV_MAILBOX=true): SMS_GATEWAY_URL is not set",
        Duration::from_secs(1),
    )
    .await;
    let mails: serde_json::Value = reqwest::get(demo.url("/dev/posta.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(mails.is_array(), "{mails}");
    demo.sigkill();
}
