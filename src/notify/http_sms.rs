//! SMS through the HTTP gateway of `SMS_GATEWAY_URL` (CONTRACT.md, section 6).
//!
//! `POST` of `{"to", "text", "id"}` with the bearer token; `2xx` is accepted, `429`, `5xx`,
//! timeouts and connection errors are retried, any other answer is a permanent failure.
//! Logs show the number masked and never the text (it holds a verification code).

use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use url::Url;
use uuid::Uuid;

use super::{DeliveryError, OutgoingSms, SmsSender, error_chain, redact};
use crate::domain::PhoneNumber;

/// How long the gateway may take to answer, unless `SMS_GATEWAY_TIMEOUT_MS` says otherwise.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of the gateway's answer to keep in an error: enough to see why, not a page.
const BODY_SNIPPET_CHARS: usize = 200;

/// Sends SMS through an HTTP gateway.
pub struct HttpSmsSender {
    client: reqwest::Client,
    url: Url,
    token: Option<SecretString>,
    /// The URL without credentials or query, for messages and logs.
    target: String,
    timeout: Duration,
}

#[derive(serde::Serialize)]
struct Payload<'a> {
    to: &'a str,
    text: &'a str,
    id: Uuid,
}

impl HttpSmsSender {
    /// One client for every request, so connections to the gateway are reused.
    pub fn new(url: &Url, token: Option<SecretString>) -> anyhow::Result<Self> {
        Self::with_timeout(url, token, TIMEOUT)
    }

    /// Like [`HttpSmsSender::new`], with `timeout` for a whole request (`SMS_GATEWAY_TIMEOUT_MS`);
    /// a slower answer is a temporary failure.
    pub fn with_timeout(
        url: &Url,
        token: Option<SecretString>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirected POST would silently turn into a GET: treat it as a wrong URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("could not set up the HTTP client for SMS_GATEWAY_URL")?;
        let mut target = url.clone();
        // Cannot fail on http(s) URLs; on others the gateway will not work anyway.
        let _ = target.set_username("");
        let _ = target.set_password(None);
        target.set_query(None);
        Ok(Self {
            client,
            url: url.clone(),
            token,
            target: target.to_string(),
            timeout,
        })
    }

    fn request_error(&self, error: reqwest::Error) -> DeliveryError {
        let target = &self.target;
        if error.is_timeout() {
            let seconds = self.timeout.as_secs_f32();
            return DeliveryError::Transient(format!(
                "SMS gateway {target} did not answer within {seconds} s"
            ));
        }
        // `without_url`: the URL may carry credentials in its query.
        let is_connect = error.is_connect();
        let detail = error_chain(&error.without_url());
        DeliveryError::Transient(if is_connect {
            format!("could not connect to SMS gateway {target}: {detail}")
        } else {
            format!("could not reach SMS gateway {target}: {detail}")
        })
    }

    async fn answer_error(
        &self,
        status: StatusCode,
        response: reqwest::Response,
        to: &PhoneNumber,
    ) -> DeliveryError {
        let body = response.text().await.unwrap_or_default();
        let snippet: String = body.chars().take(BODY_SNIPPET_CHARS).collect();
        let snippet = redact(snippet.trim(), to.as_str(), &to.masked());
        let text = format!(
            "SMS gateway {} answered {}: {snippet}",
            self.target,
            status.as_u16()
        );
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            DeliveryError::Transient(text)
        } else {
            DeliveryError::Permanent(text)
        }
    }
}

#[async_trait::async_trait]
impl SmsSender for HttpSmsSender {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError> {
        let payload = Payload {
            to: sms.to.as_str(),
            text: &sms.text,
            id: sms.message_id,
        };
        let mut request = self.client.post(self.url.clone()).json(&payload);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request.send().await.map_err(|e| self.request_error(e))?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(to = %sms.to.masked(), status = status.as_u16(), "SMS accepted by the gateway");
            return Ok(());
        }
        Err(self.answer_error(status, response, &sms.to).await)
    }

    fn describe(&self) -> String {
        format!("HTTP SMS gateway {}", self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_json, header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn sms() -> OutgoingSms {
        OutgoingSms {
            message_id: Uuid::new_v4(),
            to: PhoneNumber::parse("+393331234567").unwrap(),
            text: "Area Clienti: il tuo codice di verifica è 123456.".into(),
        }
    }

    async fn send_with_answer(answer: ResponseTemplate) -> Result<(), DeliveryError> {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let url = Url::parse(&server.uri()).unwrap();
        HttpSmsSender::new(&url, None).unwrap().send(&sms()).await
    }

    #[tokio::test]
    async fn posts_the_contract_payload_with_the_bearer_token() {
        let server = MockServer::start().await;
        let sms = sms();
        Mock::given(method("POST"))
            .and(header("authorization", "Bearer s3cret"))
            .and(body_json(
                serde_json::json!({"to": sms.to, "text": sms.text, "id": sms.message_id}),
            ))
            .respond_with(ResponseTemplate::new(202))
            .expect(1)
            .mount(&server)
            .await;
        let url = Url::parse(&format!("{}/sms", server.uri())).unwrap();
        let sender = HttpSmsSender::new(&url, Some(SecretString::from("s3cret"))).unwrap();
        sender.send(&sms).await.unwrap();
        assert!(!sender.describe().contains("s3cret"));
    }

    #[tokio::test]
    async fn answers_are_classified_by_status() {
        let busy = send_with_answer(ResponseTemplate::new(429)).await;
        assert!(matches!(busy, Err(DeliveryError::Transient(_))), "{busy:?}");
        let down = send_with_answer(ResponseTemplate::new(503)).await;
        assert!(matches!(down, Err(DeliveryError::Transient(_))), "{down:?}");
        let long_body = format!("numero +393331234567 non valido {}", "x".repeat(500));
        match send_with_answer(ResponseTemplate::new(400).set_body_string(long_body)).await {
            Err(DeliveryError::Permanent(text)) => {
                assert!(
                    text.contains("answered 400: numero +39 333 ••• 4567 non valido"),
                    "{text}"
                );
                assert!(text.len() < 400, "{text}");
            }
            other => panic!("expected a permanent error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn timeouts_and_refused_connections_are_transient() {
        let server = MockServer::start().await;
        let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(2));
        Mock::given(method("POST"))
            .respond_with(slow)
            .mount(&server)
            .await;
        let url = Url::parse(&server.uri()).unwrap();
        let sender = HttpSmsSender::with_timeout(&url, None, Duration::from_millis(300)).unwrap();
        let timed_out = sender.send(&sms()).await;
        assert!(
            matches!(&timed_out, Err(DeliveryError::Transient(t)) if t.contains("within 0.3 s")),
            "{timed_out:?}"
        );
        let url = Url::parse("http://127.0.0.1:9/sms").unwrap();
        let refused = HttpSmsSender::new(&url, None).unwrap().send(&sms()).await;
        assert!(
            matches!(refused, Err(DeliveryError::Transient(_))),
            "{refused:?}"
        );
    }
}
