//! The SMTP relay down for a while, then back: nothing is lost, everything goes out after.

use std::time::Duration;

use crate::process::{
    AppEnv, AppProcess, TestDatabase, contract, emails_per_recipient, free_port, recipient,
    wait_until, wait_until_all_sent,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const MESSAGES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_queued_while_the_smtp_server_is_down_are_retried_and_all_delivered_once_it_is_back()
{
    let db = TestDatabase::on_shared_server();
    let sms = SmsGateway::start().await;
    // Nothing listens on this port until the sink starts on it.
    let smtp_port = free_port();
    let env = AppEnv::new(
        &db.url,
        &format!("smtp://127.0.0.1:{smtp_port}"),
        &sms.url(),
    );
    let app = AppProcess::start("app", &env).await;
    let pool = db.pool().await;

    app.post_contracts((0..MESSAGES).map(contract).collect())
        .await;
    // Every message tried at least twice (so retries keep coming), each failure recorded.
    let all_retrying = format!(
        "SELECT count(*) FILTER (WHERE state = 'queued' AND attempts >= 2
                                 AND last_error LIKE '%refused the connection%') = {MESSAGES}
         FROM outbox"
    );
    wait_until(
        &pool,
        &all_retrying,
        Duration::from_secs(30),
        "every message failed and queued for retry while SMTP is down",
    )
    .await;

    let smtp = SmtpSink::start_on(smtp_port).await;
    wait_until_all_sent(&pool, MESSAGES, Duration::from_secs(60)).await;

    let received = emails_per_recipient(&smtp).await;
    for r in (0..MESSAGES).map(recipient) {
        assert_eq!(
            received.get(&r),
            Some(&1),
            "{r} gets its e-mail once: {received:?}"
        );
    }
    assert_eq!(smtp.messages().await.len(), MESSAGES);
}
