//! Two instances on one database share one outbox: every message leaves exactly once.

use std::time::Duration;

use crate::process::{
    AppEnv, AppProcess, TestDatabase, contract, emails_per_recipient, recipient,
    wait_until_all_sent,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const MESSAGES: usize = 300;
// Each instance signs its mail with its own envelope sender, so the sink tells who
// delivered what without reading logs.
const SENDER_A: &str = "no-reply-a@portale.test";
const SENDER_B: &str = "no-reply-b@portale.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_deliver_each_message_exactly_once_and_both_deliver() {
    let db = TestDatabase::on_shared_server();
    let smtp = SmtpSink::start().await;
    let sms = SmsGateway::start().await;
    // A little latency per e-mail, as a real relay has: while one instance is busy with a
    // batch, the other one claims the next.
    smtp.set_delay(Duration::from_millis(20));
    let env = AppEnv::new(&db.url, &smtp.url(), &sms.url());
    // One after the other: the first creates and migrates the database.
    let a = AppProcess::start(
        "A",
        &env.clone()
            .with("MAIL_FROM", &format!("Area Clienti <{SENDER_A}>")),
    )
    .await;
    let _b = AppProcess::start(
        "B",
        &env.with("MAIL_FROM", &format!("Area Clienti <{SENDER_B}>")),
    )
    .await;
    let pool = db.pool().await;

    // Every first contract queues one username e-mail; all go through instance A's API.
    a.post_contracts((0..MESSAGES).map(contract).collect())
        .await;
    wait_until_all_sent(&pool, MESSAGES, Duration::from_secs(90)).await;

    let claims: i64 = sqlx::query_scalar("SELECT sum(attempts) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        claims, MESSAGES as i64,
        "each message is claimed by one instance, once"
    );
    let received = emails_per_recipient(&smtp).await;
    let wrong: Vec<(String, usize)> = (0..MESSAGES)
        .map(recipient)
        .map(|r| {
            let n = received.get(&r).copied().unwrap_or(0);
            (r, n)
        })
        .filter(|(_, n)| *n != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "every recipient gets exactly one e-mail; these did not: {wrong:?}"
    );
    let messages = smtp.messages().await;
    assert_eq!(messages.len(), MESSAGES, "no e-mail beyond one per message");
    let by_a = messages.iter().filter(|m| m.from == SENDER_A).count();
    let by_b = messages.iter().filter(|m| m.from == SENDER_B).count();
    eprintln!("instance A delivered {by_a}, instance B {by_b}");
    assert_eq!(by_a + by_b, MESSAGES);
    assert!(
        by_a > 0 && by_b > 0,
        "both instances deliver: A sent {by_a}, B sent {by_b}"
    );
}
