//! Overload answers, never hangs (issue 13): a database with every connection busy gives a
//! quick 503 with Retry-After (page or JSON), and a client that never finishes its request
//! headers is disconnected.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::helpers::{Browser, VAT_B, contract_body, spawn_app, spawn_app_with};

/// Generous: the portal gives up on a connection after 1 s (the old pool waited 5 s and
/// then answered 500).
const QUICK: Duration = Duration::from_secs(3);

/// Asserts a quick 503 carrying Retry-After; returns the body.
async fn quick_503(started: Instant, response: reqwest::Response) -> String {
    assert!(
        started.elapsed() < QUICK,
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn with_every_database_connection_busy_pages_and_the_api_answer_503_with_retry_after_at_once()
{
    let app = spawn_app().await;
    let person = app.logged_in_legal_representative().await;
    let visitor = Browser::new(&app.address);
    let csrf = visitor.csrf().await;
    let connections = app.pool.options().get_max_connections();
    let mut held = Vec::new();
    for _ in 0..connections {
        held.push(app.pool.acquire().await.expect("take a connection"));
    }

    // The login page itself needs no database (its form is signed from a cookie); the
    // login does.
    assert_eq!(visitor.get("/accedi").await.status(), StatusCode::OK);
    let started = Instant::now();
    let login = [
        ("username", "chiunque"),
        ("password", "una password qualsiasi"),
        ("csrf_token", csrf.as_str()),
    ];
    let page = quick_503(started, visitor.post_raw("/accedi", &login).await).await;
    assert!(page.contains("Riprova tra qualche secondo"), "{page}");
    assert!(!page.contains("PoolTimedOut") && !page.contains("pool timed out"));

    let started = Instant::now();
    let page = quick_503(started, person.get("/area-clienti/gestione-utenze").await).await;
    assert!(page.contains("Riprova tra qualche secondo"), "{page}");

    let started = Instant::now();
    let body = contract_body("CTR-BUSY", VAT_B, "busy@example.it", None, &[]);
    let answer = quick_503(started, app.post_contract(&body).await).await;
    let json: Value = serde_json::from_str(&answer).expect("the API answers JSON");
    assert!(
        json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("riprova")
    );

    // Once connections come free the same requests are served, and the refused contract
    // can be sent again.
    drop(held);
    let refused = visitor.post_raw("/accedi", &login).await;
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "tried, and refused"
    );
    assert_eq!(
        person.get("/area-clienti/gestione-utenze").await.status(),
        StatusCode::OK
    );
    assert_eq!(app.post_contract(&body).await.status(), StatusCode::CREATED);
    app.leaves_messages_queued();
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_headers_is_disconnected() {
    let app = spawn_app_with(|s| s.http_header_read_timeout_ms = 300).await;
    // The portal's own timeout: straight to it, never through a proxy of the suite
    // (`AREA_CLIENTI_TEST_PROXY`), which has its own.
    let address = app.direct_address.trim_start_matches("http://").to_owned();
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /accedi HTTP/1.1\r\nHost: portale")
        .await
        .unwrap();

    // Meanwhile everyone else is served.
    assert_eq!(app.browser.get("/healthz").await.status(), StatusCode::OK);

    // The server ends the connection (perhaps with a 408 first) instead of waiting forever.
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("the server closes a connection whose headers never end");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        closed.is_err() || answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn one_address_over_its_requests_a_minute_waits_while_others_the_api_and_probes_go_on() {
    let app = spawn_app_with(|s| s.client_requests_per_minute = 3).await;
    let flooding = Browser::from_address(&app.address, "127.0.0.4");
    for page in ["/accedi", "/recupera-password", "/accedi"] {
        assert_eq!(flooding.get(page).await.status(), StatusCode::OK, "{page}");
    }
    let started = Instant::now();
    let refused = flooding.get("/accedi").await;
    assert!(started.elapsed() < QUICK, "refused at once");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Attendi qualche secondo")
    );

    let other = Browser::from_address(&app.address, "127.0.0.5");
    assert_eq!(
        other.get("/accedi").await.status(),
        StatusCode::OK,
        "another address"
    );
    assert_eq!(
        flooding.get("/healthz").await.status(),
        StatusCode::OK,
        "probes"
    );
    let body = contract_body("CTR-CAP", VAT_B, "cap@example.it", None, &[]);
    assert_eq!(
        app.post_contract(&body).await.status(),
        StatusCode::CREATED,
        "the API"
    );
    app.leaves_messages_queued();
}
