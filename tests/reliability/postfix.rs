//! A real mail server in the path: the portal hands its e-mail to a private Postfix, which
//! relays it to the SMTP sink. Postfix stopped for a while (the portal queues and retries),
//! then the sink behind Postfix down for a while (Postfix queues it until flushed): every
//! activation e-mail arrives once, headers intact.

use std::time::Duration;

use crate::postfix_relay::PostfixRelay;
use crate::process::{
    AppEnv, AppProcess, TestDatabase, contract, emails_per_recipient, free_port, recipient,
    wait_until, wait_until_all_sent,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::{ReceivedEmail, SmtpSink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_emails_go_through_postfix_across_a_stopped_postfix_and_a_down_upstream() {
    let db = TestDatabase::on_shared_server();
    let sms = SmsGateway::start().await;
    let sink_port = free_port();
    let sink = SmtpSink::start_on(sink_port).await;
    let mut postfix = PostfixRelay::start(sink_port).await;
    let env = AppEnv::new(&db.url, &postfix.url(), &sms.url());
    let app = AppProcess::start("app", &env).await;
    let pool = db.pool().await;

    // Through Postfix, headers intact.
    app.post_contracts(vec![contract(0)]).await;
    let first = relayed(&sink, &postfix, 0, Duration::from_secs(30)).await;
    assert!(first.subject.contains("Area Clienti"), "{}", first.subject);
    assert!(first.text.contains("/attivazione/"), "{}", first.text);
    let message_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        first
            .raw
            .contains(&format!("Message-ID: <{message_id}@portale.test>")),
        "the portal's Message-ID survives the relay: {}",
        first.raw
    );

    // Postfix down: the portal keeps the message queued and retries; back, it goes out.
    postfix.stop_server().await;
    app.post_contracts(vec![contract(1)]).await;
    wait_until(
        &pool,
        "SELECT count(*) = 1 FROM outbox WHERE state = 'queued' AND attempts >= 2
                AND last_error LIKE '%refused the connection%'",
        Duration::from_secs(30),
        "the portal retries while Postfix is stopped",
    )
    .await;
    postfix.start_server().await;
    wait_until_all_sent(&pool, 2, Duration::from_secs(60)).await;
    relayed(&sink, &postfix, 1, Duration::from_secs(30)).await;

    // The sink behind Postfix down: the portal is done (Postfix accepted), Postfix queues.
    sink.shutdown();
    app.post_contracts(vec![contract(2)]).await;
    wait_until_all_sent(&pool, 3, Duration::from_secs(30)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while postfix.queued() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "Postfix never queued the message; its log:\n{}",
            postfix.log()
        );
        // Bounded poll (the deadline above): this state has no event to wait on.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sink = SmtpSink::start_on(sink_port).await;
    // What an operator does once the upstream is back: Postfix's own retry timers (seconds
    // here, but a minute for a transport it judged broken) are not what this test is about.
    postfix.flush();
    let third = relayed(&sink, &postfix, 2, Duration::from_secs(60)).await;
    assert!(third.text.contains("/attivazione/"));

    let received = emails_per_recipient(&sink).await;
    assert_eq!(received.get(&recipient(2)), Some(&1), "{received:?}");
}

/// The e-mail to contract `n`'s representative, once it came through Postfix; a failure
/// shows Postfix's queue and log, which say why it did not.
async fn relayed(
    sink: &SmtpSink,
    postfix: &PostfixRelay,
    n: usize,
    timeout: Duration,
) -> ReceivedEmail {
    let to = recipient(n);
    match sink.try_wait_for(|m| m.to.contains(&to), timeout).await {
        Some(email) => email,
        None => panic!(
            "no e-mail to {to} came through Postfix within {timeout:?}; the sink has:\n{}\n\
             {} files in Postfix's queue; its log:\n{}",
            sink.describe().await,
            postfix.queued(),
            postfix.log()
        ),
    }
}
