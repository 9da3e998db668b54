//! PostgreSQL restarted under traffic, on a private cluster: the portal says it is not
//! ready while the database is down, recovers by itself, and loses no message.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::task::block_in_place;
use tokio::time::Instant;

use crate::cluster::PrivateCluster;
use crate::process::{
    API_TOKEN, AppEnv, AppProcess, TestDatabase, contract, emails_per_recipient, recipient,
    wait_until,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

/// Contracts posted before the restart, then after it (indexes 100..): the traffic task
/// numbers its own from 1000.
const BEFORE: usize = 10;
const AFTER: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_restart_under_traffic_readyz_503_then_200_app_survives_and_no_message_is_lost()
{
    let cluster = block_in_place(PrivateCluster::start);
    let db = TestDatabase::on(&cluster.server_url());
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    // A short lease: a message whose outcome could not be recorded while the database was
    // down is tried again soon after.
    let env = AppEnv::new(&db.url, &smtp.url(), &sms.url()).with("OUTBOX_LEASE_SECS", "4");
    let mut app = AppProcess::start("app", &env).await;
    let pool = db.pool().await;

    app.post_contracts((0..BEFORE).map(contract).collect())
        .await;
    let traffic = Traffic::start(&app.address);
    traffic.wait_for_rounds(3, Duration::from_secs(30)).await;

    block_in_place(|| cluster.stop_server());
    let stopped_at = Instant::now();
    wait_for_readyz(&app, 503, Duration::from_secs(20)).await;
    // Down long enough for requests to fail, not merely wait for a connection (the pool
    // waits up to 5 s), with the traffic going on.
    traffic
        .wait_for_failure_since(stopped_at, Duration::from_secs(30))
        .await;
    assert!(
        app.is_running(),
        "the portal survives the database going away"
    );
    assert_eq!(
        app.get("/healthz").await,
        Some(200),
        "liveness does not depend on the database"
    );
    block_in_place(|| cluster.start_server());

    wait_for_readyz(&app, 200, Duration::from_secs(30)).await;
    let recovered_at = Instant::now();
    app.post_contracts((100..100 + AFTER).map(contract).collect())
        .await;
    traffic
        .wait_for_rounds_since(recovered_at, 5, Duration::from_secs(30))
        .await;
    let log = traffic.stop().await;

    let failed: Vec<_> = log.iter().filter(|r| !r.succeeded()).collect();
    eprintln!(
        "{} requests, {} failed during the outage: {failed:?}",
        log.len(),
        failed.len()
    );
    // Once ready again, the portal works: no request started after that failed.
    let failed_after: Vec<&Request> = log
        .iter()
        .filter(|r| r.started >= recovered_at && !r.succeeded())
        .collect();
    assert!(
        failed_after.is_empty(),
        "requests failed after the database came back: {failed_after:#?}"
    );
    assert!(
        log.iter()
            .any(|r| r.what == "GET /readyz" && r.outcome == Ok(503)),
        "the traffic itself saw /readyz answer 503 during the outage"
    );

    // Every message, from before, during and after the outage, goes out.
    let created: Vec<String> = (0..BEFORE)
        .chain(100..100 + AFTER)
        .chain(log.iter().filter_map(|r| r.created_contract))
        .map(recipient)
        .collect();
    wait_until(
        &pool,
        "SELECT count(*) FILTER (WHERE state <> 'sent') = 0 FROM outbox",
        Duration::from_secs(60),
        "every message sent after the restart",
    )
    .await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        queued >= created.len() as i64,
        "a message per created contract"
    );
    let received = emails_per_recipient(&smtp).await;
    let missing: Vec<&String> = created
        .iter()
        .filter(|r| !received.contains_key(r.as_str()))
        .collect();
    assert!(missing.is_empty(), "no e-mail lost; missing: {missing:?}");
    assert!(app.is_running(), "the portal is still up at the end");
}

async fn wait_for_readyz(app: &AppProcess, status: u16, within: Duration) {
    let deadline = Instant::now() + within;
    let mut last = None;
    while Instant::now() < deadline {
        last = app.get("/readyz").await;
        if last == Some(status) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz did not answer {status} within {within:?}; last answer: {last:?}");
}

impl AppProcess {
    /// The status of a GET, or `None` when the request failed.
    async fn get(&self, path: &str) -> Option<u16> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .ok()?;
        let response = client.get(self.url(path)).send().await.ok()?;
        Some(response.status().as_u16())
    }
}

/// One request of the background traffic.
#[derive(Debug)]
struct Request {
    started: Instant,
    what: &'static str,
    /// The status, or why there was none.
    outcome: Result<u16, String>,
    /// For a contract that was created (201): its index.
    created_contract: Option<usize>,
}

impl Request {
    fn succeeded(&self) -> bool {
        matches!(self.outcome, Ok(200 | 201))
    }
}

/// Light, steady traffic: rounds of GET /readyz, GET /accedi and a new contract.
struct Traffic {
    began: Instant,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Traffic {
    fn start(address: &str) -> Traffic {
        let began = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap();
        let (address, stop_flag, shared_log) = (address.to_owned(), stop.clone(), log.clone());
        let task = tokio::spawn(async move {
            let mut next_contract = 1000;
            while !stop_flag.load(Ordering::Relaxed) {
                for what in ["GET /readyz", "GET /accedi", "POST /api/v1/contratti"] {
                    let started = Instant::now();
                    let (request, index) = match what {
                        "GET /readyz" => (client.get(format!("{address}/readyz")), None),
                        "GET /accedi" => (client.get(format!("{address}/accedi")), None),
                        _ => {
                            next_contract += 1;
                            let request = client
                                .post(format!("{address}/api/v1/contratti"))
                                .bearer_auth(API_TOKEN)
                                .json(&contract(next_contract));
                            (request, Some(next_contract))
                        }
                    };
                    let outcome = request
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .map_err(|e| e.to_string());
                    let created_contract = index.filter(|_| outcome == Ok(201));
                    shared_log.lock().await.push(Request {
                        started,
                        what,
                        outcome,
                        created_contract,
                    });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Traffic {
            began,
            stop,
            log,
            task,
        }
    }

    /// Waits until `rounds` contracts were posted (whatever the answer).
    async fn wait_for_rounds(&self, rounds: usize, within: Duration) {
        self.wait_for_rounds_since(self.began, rounds, within).await;
    }

    /// Waits until `rounds` contracts were posted from `since` on.
    async fn wait_for_rounds_since(&self, since: Instant, rounds: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let done = self
                .log
                .lock()
                .await
                .iter()
                .filter(|r| r.started >= since && r.what.starts_with("POST"))
                .count();
            if done >= rounds {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "traffic made only {done} of {rounds} rounds within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a request other than /readyz, started from `since` on, has failed.
    async fn wait_for_failure_since(&self, since: Instant, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let failed = self
                .log
                .lock()
                .await
                .iter()
                .any(|r| r.started >= since && r.what != "GET /readyz" && !r.succeeded());
            if failed {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no request failed within {within:?} of the database going down"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the traffic after the round in progress and returns what it did.
    async fn stop(self) -> Vec<Request> {
        self.stop.store(true, Ordering::Relaxed);
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("traffic stops")
            .expect("traffic task");
        Arc::try_unwrap(self.log)
            .map(Mutex::into_inner)
            .unwrap_or_else(|_| panic!("traffic log still shared"))
    }
}
