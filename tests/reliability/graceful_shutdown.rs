//! SIGTERM: the instance stops taking requests, lets the request and the delivery in
//! flight finish, and exits with status 0.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::process::{
    API_TOKEN, AppEnv, AppProcess, TestDatabase, contract, emails_per_recipient, recipient,
    wait_until,
};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

/// How long the SMTP sink takes to accept each e-mail: the delivery in flight at SIGTERM
/// is still running while the test does its part.
const SLOW_SMTP: Duration = Duration::from_secs(3);
const IO_TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_and_the_delivery_in_flight_finish_then_exits_with_status_0() {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    smtp.set_delay(SLOW_SMTP);
    let mut app = AppProcess::start("app", &AppEnv::new(&db.url, &smtp.url(), &sms.url())).await;
    let pool = db.pool().await;

    // A delivery in flight: claimed by the worker, the relay still busy with it.
    app.post_contracts(vec![contract(0)]).await;
    wait_until(
        &pool,
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued' AND attempts >= 1)",
        Duration::from_secs(20),
        "the first message claimed for delivery",
    )
    .await;

    // A request in flight: the handler is running and waiting for the rest of the body
    // (the server asks for it with "100 Continue" only once the handler reads it).
    let body = contract(1).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let address = app.address.trim_start_matches("http://").to_owned();
    let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(&address))
        .await
        .expect("connect in time")
        .expect("connect");
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let headers = format!(
        "POST /api/v1/contratti HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {API_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    write.write_all(headers.as_bytes()).await.unwrap();
    let mut interim = String::new();
    tokio::time::timeout(IO_TIMEOUT, read.read_line(&mut interim))
        .await
        .expect("the server asks for the body in time")
        .unwrap();
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim:?}");
    tokio::time::timeout(IO_TIMEOUT, read.read_line(&mut String::new()))
        .await
        .expect("end of the interim response")
        .unwrap();
    write.write_all(head.as_bytes()).await.unwrap();

    app.sigterm();
    app.wait_for_log("shutdown requested", Duration::from_secs(10))
        .await;
    let first_state: String =
        sqlx::query_scalar("SELECT state::text FROM outbox WHERE recipient = $1")
            .bind(recipient(0))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        first_state, "queued",
        "the delivery was still in flight when SIGTERM arrived"
    );

    // The request in flight completes normally.
    write.write_all(tail.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(IO_TIMEOUT, read.read_to_string(&mut response))
        .await
        .expect("the request in flight gets its answer in time")
        .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the request in flight at SIGTERM is served: {response}"
    );

    let status = app.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "graceful exit, got {status}");

    // The delivery in flight finished and was recorded, not left claimed.
    let first: (String, i32) =
        sqlx::query_as("SELECT state::text, attempts FROM outbox WHERE recipient = $1")
            .bind(recipient(0))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(first, ("sent".to_owned(), 1));
    assert_eq!(
        emails_per_recipient(&smtp).await.get(&recipient(0)),
        Some(&1)
    );
    let left_claimed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'queued' AND attempts >= 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        left_claimed, 0,
        "no message left claimed by the stopped instance"
    );
    // The message of the request served during shutdown is kept for the next instance
    // (or already sent): not lost.
    let second: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE recipient = $1 AND state IN ('queued', 'sent')",
    )
    .bind(recipient(1))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        second, 1,
        "the message of the request served during shutdown is kept"
    );
}
