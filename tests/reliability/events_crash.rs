//! Events after the first contract (issue 14) and SIGKILL: an event answered 2xx before the
//! kill is fully applied after the restart (its effect, its audit, its e-mail, its
//! idempotency record), and one cut short by the kill is applied whole or not at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::process::{API_TOKEN, AppEnv, AppProcess, TestDatabase, contract, wait_until};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const EVENTS: usize = 60;

fn number(i: usize) -> String {
    format!("+39345{:07}", i)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_answered_before_sigkill_is_fully_applied_after_the_restart() {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    // A short lease: the successor takes over the killed instance's claimed messages soon.
    let env = AppEnv::new(&db.url, &smtp.url(), &sms.url()).with("OUTBOX_LEASE_SECS", "6");
    let mut first = AppProcess::start("killed", &env).await;
    let pool = db.pool().await;
    first
        .post_contracts(
            (0..EVENTS)
                .map(|i| {
                    let mut body = contract(i);
                    body["mobile_lines"] = json!([{ "number": number(i) }]);
                    body
                })
                .collect(),
        )
        .await;

    // Cessations four at a time; the instance is killed once a third of them were answered,
    // with others in flight.
    let http = reqwest::Client::new();
    let answered: Arc<std::sync::Mutex<Vec<usize>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let limit = Arc::new(Semaphore::new(4));
    let mut posts = JoinSet::new();
    for i in 0..EVENTS {
        let (http, url, limit) = (
            http.clone(),
            first.url(&format!(
                "/api/v1/linee/{}/cessazione",
                number(i).replace('+', "%2B")
            )),
            limit.clone(),
        );
        let (answered, count) = (answered.clone(), count.clone());
        posts.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            let sent = http
                .post(url)
                .bearer_auth(API_TOKEN)
                .json(&json!({ "event_id": format!("EVT-{i}"), "reason": "cessazione" }))
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            if sent.is_ok_and(|r| r.status().is_success()) {
                answered.lock().unwrap().push(i);
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    // A bounded poll: the answers arrive on other tasks.
    for _ in 0..1_000 {
        if count.load(Ordering::SeqCst) >= EVENTS / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.sigkill();
    while posts.join_next().await.is_some() {}
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= EVENTS / 3 && answered.len() < EVENTS,
        "the kill came mid-stream: {} of {EVENTS} answered",
        answered.len()
    );
    eprintln!(
        "killed after {} of {EVENTS} events answered",
        answered.len()
    );

    let _successor = AppProcess::start("successor", &env).await;
    for i in 0..EVENTS {
        let (recorded, ceased, still_listed, audited, notice): (bool, bool, bool, bool, bool) =
            sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM contract_events WHERE event_id = $1 AND response IS NOT NULL),
                        EXISTS (SELECT 1 FROM ceased_lines WHERE number = $2 AND event_id = $1),
                        EXISTS (SELECT 1 FROM mobile_lines WHERE number = $2),
                        EXISTS (SELECT 1 FROM audit_events WHERE action = 'linea_cessata'
                                  AND details->>'event_id' = $1),
                        EXISTS (SELECT 1 FROM outbox o JOIN ceased_lines c ON c.company_id = o.company_id
                                WHERE c.number = $2 AND o.template = 'linea_cessata')",
            )
            .bind(format!("EVT-{i}"))
            .bind(number(i))
            .fetch_one(&pool)
            .await
            .unwrap();
        let all = [recorded, ceased, !still_listed, audited, notice];
        if answered.contains(&i) {
            assert!(
                all.iter().all(|x| *x),
                "event {i} answered but not fully applied: {all:?}"
            );
        } else {
            assert!(
                all.iter().all(|x| *x) || all.iter().all(|x| !*x),
                "event {i} applied in part: {all:?}"
            );
        }
    }
    // The successor delivers every notice the answered events queued.
    wait_until(
        &pool,
        "SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued')",
        Duration::from_secs(60),
        "every message delivered by the successor",
    )
    .await;
    let notices = smtp
        .messages()
        .await
        .into_iter()
        .filter(|m| m.subject.contains("non più attiva"))
        .count();
    assert!(
        notices >= answered.len(),
        "{notices} notices for {} answered events",
        answered.len()
    );
}
