//! E-mail over SMTP (`SMTP_URL`), with lettre's pooled async transport.
//!
//! Owns the transport, the building of messages and the SMTP URL; its errors are explained
//! and classified in `smtp_errors`. Logs name only the recipient's domain, never the
//! address nor the body.

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::{DeliveryError, Mailer, OutgoingEmail, smtp_errors};

/// Longest wait for any single exchange with the server.
pub(super) const TIMEOUT: Duration = Duration::from_secs(15);

/// Sends e-mail through the server in `SMTP_URL`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Right-hand side of Message-IDs: the sender's domain.
    id_domain: String,
    /// `host:port`, for messages (the URL may hold a password).
    server: String,
}

impl SmtpMailer {
    /// Builds the transport; an invalid `SMTP_URL` is an error that names the variable.
    /// Call it inside the Tokio runtime: the connection pool starts a background task.
    pub fn new(url: &SecretString, from: Mailbox) -> anyhow::Result<Self> {
        let url = url.expose_secret();
        // The URL is never echoed back: it may carry the SMTP password.
        let server = server_of(url).context(
            "SMTP_URL is not a valid SMTP URL (expected e.g. smtp://127.0.0.1:2525, \
             smtps://user:pass@host:465 or smtp://user:pass@host:587?tls=required)",
        )?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable: {e}"))?
            .timeout(Some(TIMEOUT))
            .build(); // pooled (feature "pool"): connections are reused between messages
        let id_domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            id_domain,
            server,
        })
    }

    fn build(&self, email: &OutgoingEmail) -> Result<Message, DeliveryError> {
        let to: Mailbox = email.to.as_str().parse().map_err(|_| {
            DeliveryError::Permanent(format!(
                "the recipient address (at {}) is not a valid e-mail address",
                email.to.domain()
            ))
        })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            // Derived from the outbox id, so a retried delivery carries the same Message-ID
            // and receiving systems can drop the duplicate.
            .message_id(Some(format!("<{}@{}>", email.message_id, self.id_domain)));
        let built = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(email.text.clone()),
        };
        built.map_err(|e| DeliveryError::Permanent(format!("the e-mail could not be built: {e}")))
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError> {
        let message = self.build(email)?;
        let to_domain = email.to.domain();
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(to_domain, server = %self.server, "e-mail accepted by the SMTP server");
                Ok(())
            }
            Err(error) => Err(smtp_errors::classify(&error, &self.server, &email.to)),
        }
    }

    fn describe(&self) -> String {
        format!("SMTP server {}", self.server)
    }
}

/// `host:port` of an SMTP URL, with lettre's default ports.
fn server_of(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url)?;
    let host = parsed.host_str().context("no host")?;
    let tls_param = parsed.query_pairs().any(|(k, _)| k == "tls");
    let default_port = match parsed.scheme() {
        "smtps" => 465,
        "smtp" if tls_param => 587,
        "smtp" => 25,
        other => anyhow::bail!("unknown scheme {other:?}"),
    };
    Ok(format!("{host}:{}", parsed.port().unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn mailer(url: &str) -> SmtpMailer {
        let from = "Area Clienti <no-reply@example.it>".parse().unwrap();
        SmtpMailer::new(&SecretString::from(url), from).unwrap()
    }

    #[tokio::test]
    async fn server_is_named_without_credentials_and_with_default_ports() {
        assert_eq!(
            server_of("smtp://127.0.0.1:2525").unwrap(),
            "127.0.0.1:2525"
        );
        assert_eq!(
            server_of("smtps://u:secret@mail.example.it").unwrap(),
            "mail.example.it:465"
        );
        assert_eq!(
            server_of("smtp://u:p@mail.example.it?tls=required").unwrap(),
            "mail.example.it:587"
        );
        assert!(server_of("http://mail.example.it").is_err());
        assert!(
            mailer("smtps://u:secret@mail.example.it")
                .describe()
                .contains("mail.example.it:465")
        );
    }

    #[test]
    fn invalid_url_error_names_the_variable_but_not_the_password() {
        let from: Mailbox = "a@example.it".parse().unwrap();
        let error = SmtpMailer::new(&SecretString::from("smtpx://u:hunter2@h"), from)
            .err()
            .unwrap();
        let text = format!("{error:#}");
        assert!(text.contains("SMTP_URL"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[tokio::test]
    async fn message_has_both_parts_and_a_stable_message_id() {
        let id = Uuid::new_v4();
        let email = OutgoingEmail {
            message_id: id,
            html: Some("<p>html</p>".into()),
            ..email()
        };
        let raw = String::from_utf8(
            mailer("smtp://127.0.0.1:2525")
                .build(&email)
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(
            raw.contains(&format!("Message-ID: <{id}@example.it>")),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
    }

    /// A one-connection SMTP server that answers RCPT TO with `rcpt_reply`.
    async fn fake_smtp(rcpt_reply: &'static str) -> String {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                let reply = match line.to_ascii_uppercase() {
                    _ if in_data && line != "." => continue,
                    _ if in_data => {
                        in_data = false;
                        "250 queued"
                    }
                    l if l.starts_with("RCPT") => rcpt_reply,
                    l if l.starts_with("DATA") => {
                        in_data = true;
                        "354 go on"
                    }
                    _ => "250 ok",
                };
                if write
                    .write_all(format!("{reply}\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        format!("smtp://127.0.0.1:{port}")
    }

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            message_id: Uuid::new_v4(),
            to: crate::domain::EmailAddress::parse("maria@example.it").unwrap(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
        }
    }

    #[tokio::test]
    async fn replies_are_classified_by_their_code() {
        let ok = mailer(&fake_smtp("250 ok").await).send(&email()).await;
        assert!(ok.is_ok(), "{ok:?}");
        let rejected = mailer(&fake_smtp("550 5.1.1 <maria@example.it> unknown").await)
            .send(&email())
            .await;
        match rejected {
            Err(DeliveryError::Permanent(text)) => assert!(!text.contains("maria@"), "{text}"),
            other => panic!("expected a permanent error, got {other:?}"),
        }
        let later = mailer(&fake_smtp("451 4.3.0 busy").await)
            .send(&email())
            .await;
        assert!(
            matches!(later, Err(DeliveryError::Transient(_))),
            "{later:?}"
        );
    }

    #[tokio::test]
    async fn refused_connection_is_transient_and_names_the_server() {
        // Port 9 (discard) on localhost is as good as closed on a test machine.
        match mailer("smtp://127.0.0.1:9").send(&email()).await {
            Err(DeliveryError::Transient(text)) => {
                assert_eq!(text, "SMTP server 127.0.0.1:9 refused the connection");
            }
            other => panic!("expected a transient error, got {other:?}"),
        }
    }
}
