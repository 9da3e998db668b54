//! A stub of the HTTP SMS gateway the portal posts to, built on wiremock.
//!
//! This module owns the gateway's contract as the tests see it: `POST /sms`
//! with `Authorization: Bearer {SMS_TOKEN}`, a JSON content type and a body
//! `{"to": "+39…", "text": "…", "id": "…"}`; any 2xx means accepted. It also
//! reads back what was sent, wakes the tests waiting for a submission, and pulls one-time
//! codes out of message texts.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The bearer token the portal must be configured with in tests.
pub const SMS_TOKEN: &str = "test-sms-token";

const SMS_PATH: &str = "/sms";
/// How long `wait_for_to` waits before failing the test.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// One SMS submission the gateway received with valid credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// Destination number as sent, e.g. `+393331234567`.
    pub to: String,
    /// Message text.
    pub text: String,
    /// The portal's message id.
    pub id: String,
}

/// A running stub gateway; it stops when dropped.
pub struct SmsGateway {
    server: MockServer,
    /// Woken by every answered request, once wiremock has recorded it.
    arrived: Arc<Notify>,
}

/// Answers with `template` and wakes the waiters. wiremock records a request before it
/// asks the responder, so a woken waiter finds it in the received requests.
struct Notifying {
    template: ResponseTemplate,
    arrived: Arc<Notify>,
}

impl Respond for Notifying {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.arrived.notify_waiters();
        self.template.clone()
    }
}

impl SmsGateway {
    /// Starts the stub, answering 200 `{"status":"accepted"}` to well-formed
    /// submissions; anything else gets wiremock's default 404.
    pub async fn start() -> SmsGateway {
        let gateway = SmsGateway {
            server: MockServer::start().await,
            arrived: Arc::default(),
        };
        Mock::given(method("POST"))
            .and(path(SMS_PATH))
            .and(is_authorized_json)
            .respond_with(
                gateway.notifying(
                    ResponseTemplate::new(200).set_body_json(json!({"status": "accepted"})),
                ),
            )
            .mount(&gateway.server)
            .await;
        gateway
    }

    fn notifying(&self, template: ResponseTemplate) -> Notifying {
        Notifying {
            template,
            arrived: Arc::clone(&self.arrived),
        }
    }

    /// The full URL the portal must POST messages to.
    pub fn url(&self) -> String {
        format!("{}{SMS_PATH}", self.server.uri())
    }

    /// Every well-formed submission so far (right path, token and content
    /// type), oldest first, whatever the stub answered. Panics on a
    /// submission whose body is not the expected JSON object, since that is a
    /// portal bug the test should report.
    pub async fn sent(&self) -> Vec<SentSms> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter(|request| request.method.as_str() == "POST")
            .filter(|request| request.url.path() == SMS_PATH && is_authorized_json(request))
            .map(parse_submission)
            .collect()
    }

    /// The most recent SMS to `to`, waiting up to 10 s for one to arrive;
    /// panics listing what was received otherwise.
    pub async fn wait_for_to(&self, to: &str) -> SentSms {
        self.wait_for_more_to(to, 0).await
    }

    /// Like [`SmsGateway::wait_for_to`], for an SMS to `to` after the first `already` ones
    /// (a new code, when an older one was sent to the same number).
    pub async fn wait_for_more_to(&self, to: &str, already: usize) -> SentSms {
        let deadline = Instant::now() + DEFAULT_WAIT;
        loop {
            // Register interest before looking, so a submission recorded between the look
            // and the wait still wakes us.
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let sent = self.sent().await;
            let to_them: Vec<&SentSms> = sent.iter().filter(|sms| sms.to == to).collect();
            if to_them.len() > already {
                return to_them[to_them.len() - 1].clone();
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("SMS gateway: nothing sent to {to} within {DEFAULT_WAIT:?}; got {sent:#?}");
            }
        }
    }

    /// How many SMS have been sent to `to` so far.
    pub async fn count_to(&self, to: &str) -> usize {
        self.sent().await.iter().filter(|sms| sms.to == to).count()
    }

    /// Makes every request get `status` from now on, to simulate a failing
    /// gateway. This also forgets the requests received so far (wiremock's
    /// reset clears both mocks and history).
    pub async fn respond_with_status(&self, status: u16) {
        self.server.reset().await;
        Mock::given(any())
            .respond_with(self.notifying(ResponseTemplate::new(status)))
            .mount(&self.server)
            .await;
    }

    /// Makes every request get 200 only after `delay` from now on, to simulate a gateway
    /// that hangs (a client with a shorter timeout gives up first). Like
    /// [`SmsGateway::respond_with_status`], this forgets the requests received so far.
    pub async fn respond_slowly(&self, delay: Duration) {
        self.server.reset().await;
        // The delay is the fault under test (a gateway that hangs), not a wait of ours.
        Mock::given(any())
            .respond_with(self.notifying(ResponseTemplate::new(200).set_delay(delay)))
            .mount(&self.server)
            .await;
    }
}

/// The first run of exactly six digits in `text` (a one-time code);
/// longer digit runs such as phone numbers are skipped. Panics if none.
pub fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no 6-digit code in SMS text {text:?}"))
        .to_owned()
}

/// Whether the request carries the test token and a JSON body type
/// (parameters such as `; charset=utf-8` are allowed).
fn is_authorized_json(request: &Request) -> bool {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    let media_type = header("content-type").split(';').next().unwrap_or_default();
    header("authorization") == format!("Bearer {SMS_TOKEN}")
        && media_type.trim().eq_ignore_ascii_case("application/json")
}

fn parse_submission(request: &Request) -> SentSms {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let body = String::from_utf8_lossy(&request.body);
                panic!("SMS gateway: submission without string {name:?}: {body}")
            })
    };
    SentSms {
        to: field("to"),
        text: field("text"),
        id: field("id"),
    }
}

#[cfg(test)]
mod tests {
    //! Checks the stub's contract with a raw HTTP/1.1 client.

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// POSTs `body` to the gateway with the given extra header lines and
    /// returns the response status code.
    async fn post(gateway: &SmsGateway, headers: &str, body: &str) -> u16 {
        let address = gateway
            .url()
            .trim_start_matches("http://")
            .replace(SMS_PATH, "");
        let mut stream = TcpStream::connect(address.as_str()).await.expect("connect");
        let request = format!(
            "POST {SMS_PATH} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{headers}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        response
            .get(9..12)
            .and_then(|code| code.parse().ok())
            .expect("status line")
    }

    const GOOD: &str = "Authorization: Bearer test-sms-token\r\nContent-Type: application/json\r\n";
    const BODY: &str =
        r#"{"to":"+393331234567","text":"Codice 123456, chiama 0612345678","id":"m1"}"#;

    #[tokio::test]
    async fn gateway_accepts_only_authorized_json_and_records_it() {
        let gateway = SmsGateway::start().await;
        let wrong_token = "Authorization: Bearer nope\r\nContent-Type: application/json\r\n";
        assert_eq!(post(&gateway, wrong_token, BODY).await, 404);
        assert_eq!(
            post(&gateway, "Authorization: Bearer test-sms-token\r\n", BODY).await,
            404
        );
        assert_eq!(post(&gateway, GOOD, BODY).await, 200);

        let sms = gateway.wait_for_to("+393331234567").await;
        assert_eq!(
            (sms.id.as_str(), code_in(&sms.text)),
            ("m1", "123456".to_owned())
        );
        assert_eq!(gateway.count_to("+393331234567").await, 1);

        gateway.respond_with_status(503).await;
        assert_eq!(post(&gateway, GOOD, BODY).await, 503);
        assert_eq!(gateway.sent().await, [sms]);
    }

    #[tokio::test]
    async fn a_slow_gateway_records_the_submission_and_holds_its_answer() {
        let gateway = Arc::new(SmsGateway::start().await);
        gateway.respond_slowly(Duration::from_secs(3600)).await;
        let posting = tokio::spawn({
            let gateway = Arc::clone(&gateway);
            async move { post(&gateway, GOOD, BODY).await }
        });

        let sms = gateway.wait_for_to("+393331234567").await;

        assert_eq!(sms.id, "m1");
        assert!(!posting.is_finished(), "answered before its delay");
        posting.abort();
    }

    #[test]
    #[should_panic(expected = "no 6-digit code")]
    fn code_in_skips_longer_digit_runs() {
        code_in("chiama il 0612345678 oppure 1234567");
    }
}
