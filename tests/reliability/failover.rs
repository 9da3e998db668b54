//! Database failover (issue 13): a primary and a streaming standby made here, the portal
//! given both in a multi-host `DATABASE_URL`. Under steady traffic the primary stops and
//! the standby is promoted: the portal serves again by itself, `/readyz` says 503 while no
//! server accepts writes, nothing answered 2xx lost its rows, and every message queued
//! goes out. A server that becomes read-only (the old primary back as a standby, or a
//! primary set read-only under the portal's open connections) is not used.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};
use tokio::sync::Mutex;
use tokio::task::block_in_place;
use tokio::time::Instant;

use crate::cluster::PrivateCluster;
use crate::process::{
    API_TOKEN, AppEnv, AppProcess, contract, emails_per_recipient, recipient, wait_until,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

const DATABASE: &str = "area_clienti";
/// The test's own connections, told apart from the portal's in pg_stat_activity.
const TEST_APPLICATION: &str = "failover-test";
/// The portal must serve again within this time of the standby's promotion.
const RECOVERY: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_stopped_and_standby_promoted_under_traffic_the_portal_follows_and_loses_nothing() {
    let primary = block_in_place(PrivateCluster::start);
    let standby = block_in_place(|| PrivateCluster::standby_of(&primary));
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    let url = two_host_url(&primary, &standby);
    // A short lease: a message whose outcome could not be recorded during the switch is
    // tried again soon after.
    let env = AppEnv::new(&url, &smtp.url(), &sms.url()).with("OUTBOX_LEASE_SECS", "4");
    let mut app = AppProcess::start("app", &env).await;

    let traffic = Traffic::start(&app.address, 0);
    traffic.wait_for_created(5, Duration::from_secs(30)).await;

    block_in_place(|| primary.stop_server());
    let stopped_at = Instant::now();
    // The standby is up but read-only: not a server the portal can work on. (Requests of
    // the traffic meanwhile may simply wait for a connection and succeed after the switch.)
    wait_for_readyz(&app, 503, Duration::from_secs(10)).await;
    assert!(
        app.is_running(),
        "the portal survives its primary going away"
    );

    block_in_place(|| standby.promote());
    let promoted_at = Instant::now();
    wait_for_readyz(&app, 200, RECOVERY).await;
    traffic
        .wait_for_created_since(promoted_at, 5, RECOVERY)
        .await;
    eprintln!(
        "primary stopped; serving again {:?} after the promotion ({:?} after the stop)",
        promoted_at.elapsed(),
        stopped_at.elapsed()
    );

    // The old primary comes back as a standby of the new one, first in the list: the
    // running portal stays on the new primary, and a fresh instance skips the old one.
    block_in_place(|| primary.start_as_standby_of(&standby));
    let second = AppProcess::start("second", &env).await;
    let after_return = Instant::now();
    traffic
        .wait_for_created_since(after_return, 5, RECOVERY)
        .await;
    second
        .post_contracts((5000..5005).map(contract).collect())
        .await;
    let log = traffic.stop().await;

    let new_primary = pool_on(&standby).await;
    let answered: Vec<&Request> = log.iter().filter(|r| r.answered_ok()).collect();
    let created: Vec<usize> = log
        .iter()
        .filter(|r| r.outcome == Ok(201))
        .filter_map(|r| r.contract)
        .chain(5000..5005)
        .collect();
    eprintln!(
        "{} requests, {} answered 2xx, {} contracts created",
        log.len(),
        answered.len(),
        created.len()
    );
    let stored: Vec<String> = sqlx::query_scalar("SELECT contract_id FROM contracts")
        .fetch_all(&new_primary)
        .await
        .expect("read the contracts on the new primary");
    let lost: Vec<String> = created
        .iter()
        .map(|i| contract(*i)["contract_id"].as_str().unwrap().to_owned())
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "contracts answered 201 but missing on the new primary: {lost:?}"
    );

    // Every message, queued before, during or after the switch, goes out.
    wait_until(
        &new_primary,
        "SELECT count(*) FILTER (WHERE state <> 'sent') = 0 FROM outbox",
        Duration::from_secs(60),
        "every message sent after the failover",
    )
    .await;
    let received = emails_per_recipient(&smtp).await;
    let missing: Vec<String> = created
        .iter()
        .map(|i| recipient(*i))
        .filter(|r| !received.contains_key(r.as_str()))
        .collect();
    assert!(missing.is_empty(), "no e-mail lost; missing: {missing:?}");

    // Nothing of either instance talks to the demoted server.
    let old_primary = pool_on(&primary).await;
    assert_eq!(
        portal_connections(&old_primary).await,
        0,
        "no portal connection on the server that is no longer the primary"
    );
    assert!(app.is_running(), "the portal is still up at the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_to_a_primary_that_turns_read_only_are_dropped_and_the_new_primary_used() {
    let primary = block_in_place(PrivateCluster::start);
    let standby = block_in_place(|| PrivateCluster::standby_of(&primary));
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    // A short lease, as in the test above: a message claimed just before the fence, whose
    // outcome the read-only server refused to record, is tried again soon after.
    let env = AppEnv::new(&two_host_url(&primary, &standby), &smtp.url(), &sms.url())
        .with("OUTBOX_LEASE_SECS", "4");
    let app = AppProcess::start("app", &env).await;
    let traffic = Traffic::start(&app.address, 10_000);
    traffic.wait_for_created(5, Duration::from_secs(30)).await;
    let old_primary = pool_on(&primary).await;
    assert!(
        portal_connections(&old_primary).await > 0,
        "the portal works on the first host"
    );

    // Fenced: the server stays up, and every open session of the portal on it now gets
    // read_only_sql_transaction on its next write.
    old_primary
        .execute("ALTER SYSTEM SET default_transaction_read_only = on")
        .await
        .unwrap();
    old_primary
        .execute("SELECT pg_reload_conf()")
        .await
        .unwrap();
    wait_for_readyz(&app, 503, Duration::from_secs(10)).await;

    block_in_place(|| standby.promote());
    let promoted_at = Instant::now();
    wait_for_readyz(&app, 200, RECOVERY).await;
    traffic
        .wait_for_created_since(promoted_at, 5, RECOVERY)
        .await;
    let within = Instant::now() + RECOVERY;
    loop {
        let left = portal_connections(&old_primary).await;
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < within,
            "{left} portal connections still open on the read-only server"
        );
        // Bounded poll (the deadline above): this state has no event to wait on.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = traffic.stop().await;
    let failed_late: Vec<&Request> = log
        .iter()
        .filter(|r| r.started >= promoted_at + RECOVERY && !r.answered_ok())
        .collect();
    assert!(
        failed_late.is_empty(),
        "requests still failing {RECOVERY:?} after the promotion: {failed_late:#?}"
    );
    let new_primary = pool_on(&standby).await;
    wait_until(
        &new_primary,
        "SELECT count(*) FILTER (WHERE state <> 'sent') = 0 FROM outbox",
        Duration::from_secs(60),
        "every message sent on the new primary",
    )
    .await;
}

fn two_host_url(first: &PrivateCluster, second: &PrivateCluster) -> String {
    format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{DATABASE}?target_session_attrs=read-write",
        first.port(),
        second.port()
    )
}

/// A small pool of the test's own on one server of the pair.
async fn pool_on(cluster: &PrivateCluster) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(
            format!("{}/{DATABASE}", cluster.server_url())
                .parse::<PgConnectOptions>()
                .expect("cluster URL")
                .application_name(TEST_APPLICATION),
        )
        .await
        .expect("connect to the cluster")
}

/// Client connections to the portal's database other than the test's own.
async fn portal_connections(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = $1 AND backend_type = 'client backend' AND application_name <> $2",
    )
    .bind(DATABASE)
    .bind(TEST_APPLICATION)
    .fetch_one(pool)
    .await
    .expect("read pg_stat_activity")
}

async fn wait_for_readyz(app: &AppProcess, status: u16, within: Duration) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + within;
    let mut last = None;
    while Instant::now() < deadline {
        last = client
            .get(app.url("/readyz"))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        if last == Some(status) {
            return;
        }
        // Bounded poll (the deadline above): this state has no event to wait on.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/readyz did not answer {status} within {within:?}; last answer: {last:?}");
}

/// One request of the background traffic.
#[derive(Debug)]
struct Request {
    started: Instant,
    what: &'static str,
    /// The status, or why there was none.
    outcome: Result<u16, String>,
    /// The contract posted, if this was a POST.
    contract: Option<usize>,
}

impl Request {
    fn answered_ok(&self) -> bool {
        matches!(self.outcome, Ok(200..=299 | 303))
    }
}

/// Steady traffic: rounds of a new contract (an activation e-mail each), GET /accedi and
/// GET /readyz, every 50 ms.
struct Traffic {
    began: Instant,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Traffic {
    fn start(address: &str, first_contract: usize) -> Traffic {
        let began = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let (address, stop_flag, shared_log) = (address.to_owned(), stop.clone(), log.clone());
        let task = tokio::spawn(async move {
            let mut next_contract = first_contract;
            while !stop_flag.load(Ordering::Relaxed) {
                for what in ["POST /api/v1/contratti", "GET /accedi", "GET /readyz"] {
                    let started = Instant::now();
                    let (request, posted) = match what {
                        "GET /accedi" => (client.get(format!("{address}/accedi")), None),
                        "GET /readyz" => (client.get(format!("{address}/readyz")), None),
                        _ => {
                            next_contract += 1;
                            let body: Value = contract(next_contract);
                            let request = client
                                .post(format!("{address}/api/v1/contratti"))
                                .bearer_auth(API_TOKEN)
                                .json(&body);
                            (request, Some(next_contract))
                        }
                    };
                    let outcome = request
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .map_err(|e| e.to_string());
                    shared_log.lock().await.push(Request {
                        started,
                        what,
                        outcome,
                        contract: posted,
                    });
                }
                // Steady, not flooding: two cores run the portal, two clusters and the test.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Traffic {
            began,
            stop,
            log,
            task,
        }
    }

    async fn wait_for_created(&self, count: usize, within: Duration) {
        self.wait_for_created_since(self.began, count, within).await;
    }

    /// Waits until `count` contracts posted from `since` on were created (201).
    async fn wait_for_created_since(&self, since: Instant, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let done = self
                .log
                .lock()
                .await
                .iter()
                .filter(|r| r.started >= since && r.contract.is_some() && r.outcome == Ok(201))
                .count();
            if done >= count {
                return;
            }
            if Instant::now() >= deadline {
                let recent: Vec<String> = self
                    .log
                    .lock()
                    .await
                    .iter()
                    .rev()
                    .take(9)
                    .map(|r| format!("{} {:?}", r.what, r.outcome))
                    .collect();
                panic!(
                    "only {done} of {count} contracts created within {within:?}; latest requests: {recent:?}"
                );
            }
            // Bounded poll (the deadline above): this state has no event to wait on.
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
