//! An instance killed with SIGKILL in the middle of deliveries: its successor delivers
//! everything (at least once); the only duplicates are messages that were in flight.

use std::time::Duration;

use crate::process::{
    AppEnv, AppProcess, TestDatabase, WORKER_BATCH, claimed_recipients, contract,
    emails_per_recipient, recipient, wait_until, wait_until_all_sent,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const MESSAGES: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_mid_delivery_a_new_instance_delivers_all_with_duplicates_only_from_the_batch_in_flight()
 {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    // Slow deliveries keep a batch in flight long enough to be caught by the kill.
    smtp.set_delay(Duration::from_millis(500));
    // A short lease, so the successor takes over the dead instance's claims soon; deliveries
    // are cut off at half of it (3 s), far above the relay's 0.5 s.
    let env = AppEnv::new(&db.url, &smtp.url(), &sms.url()).with("OUTBOX_LEASE_SECS", "6");
    let mut first = AppProcess::start("killed", &env).await;
    let pool = db.pool().await;

    first
        .post_contracts((0..MESSAGES).map(contract).collect())
        .await;
    wait_until(
        &pool,
        "SELECT count(*) FILTER (WHERE state = 'sent') >= 1
            AND count(*) FILTER (WHERE state = 'queued' AND attempts >= 1 AND last_error IS NULL) >= 1
         FROM outbox",
        Duration::from_secs(30),
        "some messages delivered and others in flight",
    )
    .await;
    // The batch seen above may settle in the instant before the kill: hold the next
    // delivery for good, so the kill surely finds one in flight.
    smtp.set_delay(Duration::from_secs(3600));
    smtp.wait_until_holding(1).await;
    first.sigkill();
    // Only these may reach the sink twice: they were claimed and not settled at the kill.
    let in_flight = claimed_recipients(&pool).await;
    assert!(
        !in_flight.is_empty() && in_flight.len() <= WORKER_BATCH,
        "the kill caught one batch in flight: {in_flight:?}"
    );

    eprintln!("killed with {} messages in flight", in_flight.len());
    smtp.set_delay(Duration::ZERO);
    let _successor = AppProcess::start("successor", &env).await;
    wait_until_all_sent(&pool, MESSAGES, Duration::from_secs(60)).await;

    let received = emails_per_recipient(&smtp).await;
    let lost: Vec<String> = (0..MESSAGES)
        .map(recipient)
        .filter(|r| !received.contains_key(r))
        .collect();
    assert!(
        lost.is_empty(),
        "every message is delivered; lost: {lost:?}"
    );
    let duplicated: Vec<(&String, &usize)> = received.iter().filter(|(_, n)| **n > 1).collect();
    let duplicates: usize = duplicated.iter().map(|(_, n)| *n - 1).sum();
    assert!(
        duplicates <= WORKER_BATCH,
        "at most one batch delivered twice, got {duplicates} duplicates: {duplicated:?}"
    );
    eprintln!("{duplicates} duplicates after the kill");
    for (r, n) in &duplicated {
        assert!(
            in_flight.contains(r),
            "{r} got {n} e-mails but was not in flight at the kill: {in_flight:?}"
        );
    }
    assert!(
        duplicated.iter().all(|(_, n)| **n == 2),
        "a message is delivered at most twice: {duplicated:?}"
    );
}
