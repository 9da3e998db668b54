//! Events after the first contract (issue 14) and SIGKILL: an event answered 2xx before the
//! kill is fully applied after the restart (its effect, its audit, its e-mail, its
//! idempotency record), and one cut short by the kill is applied whole or not at all. The
//! stream mixes the three kinds: line cessations, handovers and closures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::process::{
    API_TOKEN, AppEnv, AppProcess, TestDatabase, contract, vat_number, wait_until,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const EVENTS: usize = 60;

fn number(i: usize) -> String {
    format!("+39345{:07}", i)
}

fn new_representative(i: usize) -> String {
    format!("nuovo{i}@example.it")
}

/// Event `i`, on company `i`: a cessation of its line, a handover, or its closure.
fn event(i: usize) -> (String, Value) {
    let event_id = format!("EVT-{i}");
    match i % 3 {
        0 => (
            format!("/api/v1/linee/{}/cessazione", number(i).replace('+', "%2B")),
            json!({ "event_id": event_id, "reason": "cessazione" }),
        ),
        1 => (
            format!("/api/v1/aziende/{}/rappresentante-legale", vat_number(i)),
            json!({ "event_id": event_id, "previous": "amministratore_full",
                    "legal_representative": { "first_name": "Anna", "last_name": "Neri",
                                              "email": new_representative(i) } }),
        ),
        _ => (
            format!("/api/v1/aziende/{}/cessazione", vat_number(i)),
            json!({ "event_id": event_id }),
        ),
    }
}

/// Each part of event `i`'s effect as the database has it: its answer kept for repeats, its
/// change, its audit event, and its message (or, for a closure, every user retired).
async fn applied(pool: &PgPool, i: usize) -> [bool; 4] {
    let sql = match i % 3 {
        0 => {
            "SELECT EXISTS (SELECT 1 FROM contract_events WHERE event_id = $1 AND response IS NOT NULL),
                    EXISTS (SELECT 1 FROM ceased_lines WHERE number = $2 AND event_id = $1)
                      AND NOT EXISTS (SELECT 1 FROM mobile_lines WHERE number = $2),
                    EXISTS (SELECT 1 FROM audit_events WHERE action = 'linea_cessata'
                              AND details->>'event_id' = $1),
                    EXISTS (SELECT 1 FROM outbox o JOIN ceased_lines c ON c.company_id = o.company_id
                            WHERE c.number = $2 AND o.template = 'linea_cessata')"
        }
        1 => {
            "SELECT EXISTS (SELECT 1 FROM contract_events WHERE event_id = $1 AND response IS NOT NULL),
                    EXISTS (SELECT 1 FROM legal_representative_changes h JOIN users n ON n.id = h.new_user_id
                            WHERE h.event_id = $1 AND n.username = $3
                              AND n.profile = 'rappresentante_legale'
                              AND (SELECT count(*) FROM users u WHERE u.company_id = n.company_id
                                     AND u.profile = 'rappresentante_legale') = 1),
                    EXISTS (SELECT 1 FROM audit_events WHERE action = 'rappresentante_legale_cambiato'
                              AND details->>'event_id' = $1),
                    EXISTS (SELECT 1 FROM outbox WHERE recipient = $3 AND template = 'username')"
        }
        _ => {
            "SELECT EXISTS (SELECT 1 FROM contract_events WHERE event_id = $1 AND response IS NOT NULL),
                    EXISTS (SELECT 1 FROM companies WHERE vat_number = $4 AND closed_event_id = $1)
                      AND NOT EXISTS (SELECT 1 FROM mobile_lines WHERE number = $2),
                    EXISTS (SELECT 1 FROM audit_events WHERE action = 'azienda_cessata'
                              AND details->>'event_id' = $1),
                    NOT EXISTS (SELECT 1 FROM users u JOIN companies c ON c.id = u.company_id
                                WHERE c.vat_number = $4
                                  AND (u.retired_at IS NULL OR u.state <> 'disabilitato'))"
        }
    };
    let (kept, changed, audited, last): (bool, bool, bool, bool) = sqlx::query_as(sql)
        .bind(format!("EVT-{i}"))
        .bind(number(i))
        .bind(new_representative(i))
        .bind(vat_number(i))
        .fetch_one(pool)
        .await
        .unwrap();
    [kept, changed, audited, last]
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

    // Events four at a time; the instance is killed once a third of them were answered, with
    // others in flight.
    let http = reqwest::Client::new();
    let answered: Arc<std::sync::Mutex<Vec<usize>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let limit = Arc::new(Semaphore::new(4));
    let mut posts = JoinSet::new();
    for i in 0..EVENTS {
        let (path, body) = event(i);
        let (http, url, limit) = (http.clone(), first.url(&path), limit.clone());
        let (answered, count) = (answered.clone(), count.clone());
        posts.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            let sent = http
                .post(url)
                .bearer_auth(API_TOKEN)
                .json(&body)
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
        let parts = applied(&pool, i).await;
        if answered.contains(&i) {
            assert!(
                parts.iter().all(|x| *x),
                "event {i} answered but not fully applied: {parts:?}"
            );
        } else {
            assert!(
                parts.iter().all(|x| *x) || parts.iter().all(|x| !*x),
                "event {i} applied in part: {parts:?}"
            );
        }
    }
    // The successor settles every message, and the new legal representatives of the answered
    // handovers get their username e-mail.
    wait_until(
        &pool,
        "SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued')",
        Duration::from_secs(60),
        "every message settled by the successor",
    )
    .await;
    let received = smtp.messages().await;
    for i in answered.iter().filter(|i| *i % 3 == 1) {
        let to = new_representative(*i);
        assert!(
            received.iter().any(|m| m.to.contains(&to)),
            "the username e-mail of the new legal representative {to}"
        );
    }
}
