//! A real SMTP server for the API tests: the portal sends its mail here over
//! plain TCP on 127.0.0.1, exactly as it would to a relay, and the tests read
//! back what arrived.
//!
//! This module owns the listener, one task per client connection, and the
//! list of received messages. It speaks the small subset of RFC 5321 that a
//! pooled `lettre` client needs (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
//! QUIT, pipelined or not), and can be told to refuse recipients or to answer
//! DATA slowly, so fault tests can exercise transient and permanent delivery
//! failures and deliveries caught in flight.

use std::mem;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use mail_parser::{Message, MessageParser, PartType};
use tokio::io::{self, AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF.
const MAX_COMMAND_LINE: usize = 512;
/// RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with CRLF.
const MAX_TEXT_LINE: usize = 1000;
/// Guards the test process against a runaway client; real mails are tiny.
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// RFC 5321 §4.5.3.1.8 requires accepting at least 100 recipients.
const MAX_RECIPIENTS: usize = 100;
/// How long `wait_for_to` waits before failing the test.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// One message accepted by the sink, with its envelope and decoded content.
#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    /// Envelope sender from `MAIL FROM` (bare address, empty for `<>`).
    pub from: String,
    /// Envelope recipients from `RCPT TO`, in the order given.
    pub to: Vec<String>,
    /// Decoded `Subject` header, empty when absent.
    pub subject: String,
    /// First text/plain body part, decoded, with `\n` line endings; empty
    /// when absent.
    pub text: String,
    /// First text/html body part, decoded, with `\n` line endings; empty
    /// when absent.
    pub html: String,
    /// The message as transmitted after dot-unstuffing (lossy UTF-8).
    pub raw: String,
}

impl ReceivedEmail {
    fn parse(from: String, to: Vec<String>, raw: &[u8]) -> Self {
        let parsed = MessageParser::default().parse(raw);
        let field = |get: fn(&Message<'_>) -> Option<String>| {
            parsed.as_ref().and_then(get).unwrap_or_default()
        };
        ReceivedEmail {
            subject: field(|m| m.subject().map(str::to_owned)),
            text: field(first_plain_part),
            html: field(first_html_part),
            raw: String::from_utf8_lossy(raw).into_owned(),
            from,
            to,
        }
    }

    /// Whether `recipient` is among the envelope recipients (case-insensitive).
    fn is_to(&self, recipient: &str) -> bool {
        let wanted = recipient.to_lowercase();
        self.to.iter().any(|to| to.to_lowercase() == wanted)
    }
}

// mail-parser lists an html-only message's html part in `text_body` too, so
// the part type is checked to keep `text` empty when there is no text/plain.
fn first_plain_part(message: &Message<'_>) -> Option<String> {
    message
        .text_body
        .iter()
        .find_map(|&id| match &message.parts.get(id as usize)?.body {
            PartType::Text(text) => Some(unix_newlines(text)),
            _ => None,
        })
}

fn first_html_part(message: &Message<'_>) -> Option<String> {
    message
        .html_body
        .iter()
        .find_map(|&id| match &message.parts.get(id as usize)?.body {
            PartType::Html(html) => Some(unix_newlines(html)),
            _ => None,
        })
}

// Bodies travel with CRLF line ends; tests compare them with text written
// with plain `\n`, as the portal's templates are.
fn unix_newlines(body: &str) -> String {
    body.replace("\r\n", "\n")
}

/// State shared between the test and the server tasks.
#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<ReceivedEmail>>,
    arrived: Notify,
    reject: Mutex<Option<&'static str>>,
    /// How long the end of DATA takes before the message is stored and acknowledged.
    data_delay: Mutex<Duration>,
    /// How many messages are being held by that delay right now (content read, not stored).
    held: watch::Sender<usize>,
}

// A test that panicked while holding a lock must not hide the messages from
// the other tests' assertions, so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn store(&self, email: ReceivedEmail) {
        lock(&self.messages).push(email);
        self.arrived.notify_waiters();
    }

    fn latest_matching(
        &self,
        predicate: &impl Fn(&ReceivedEmail) -> bool,
    ) -> Option<ReceivedEmail> {
        lock(&self.messages)
            .iter()
            .rev()
            .find(|m| predicate(m))
            .cloned()
    }
}

/// An SMTP server on 127.0.0.1 with a random port; it stops when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl SmtpSink {
    /// Binds 127.0.0.1 on a free port and starts serving in the background.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("SMTP sink: cannot bind 127.0.0.1:0");
        Self::serve_on(listener)
    }

    /// Binds 127.0.0.1:`port` (e.g. a port the portal was configured with while no relay
    /// was listening) and starts serving. Retries for up to 5 s while the port is busy.
    pub async fn start_on(port: u16) -> SmtpSink {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(listener) => return Self::serve_on(listener),
                // Not a wait for the portal: a port handed out as free can briefly be taken
                // by another socket (an ephemeral port of some connection), and the system
                // says nothing when it is released, so binding is simply tried again.
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("SMTP sink: cannot bind 127.0.0.1:{port}: {error}"),
            }
        }
    }

    fn serve_on(listener: TcpListener) -> SmtpSink {
        let port = listener
            .local_addr()
            .expect("SMTP sink: no local address")
            .port();
        let shared = Arc::new(Shared::default());
        let server = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        SmtpSink {
            port,
            shared,
            server,
        }
    }

    /// `smtp://127.0.0.1:{port}`, for the portal's mail configuration.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The port the sink listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many messages were accepted so far.
    pub async fn count(&self) -> usize {
        lock(&self.shared.messages).len()
    }

    /// Every message accepted so far, oldest first.
    pub async fn messages(&self) -> Vec<ReceivedEmail> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until a message matching `predicate` has arrived and returns the
    /// most recent such message; panics after `timeout`, listing what arrived.
    pub async fn wait_for(
        &self,
        predicate: impl Fn(&ReceivedEmail) -> bool,
        timeout: Duration,
    ) -> ReceivedEmail {
        match self.try_wait_for(predicate, timeout).await {
            Some(email) => email,
            None => panic!(
                "SMTP sink: no matching email within {timeout:?}; received:\n{}",
                self.describe().await
            ),
        }
    }

    /// [`SmtpSink::wait_for`] that gives `None` after `timeout`, for a caller whose failure
    /// message needs more than what arrived (e.g. the log of a relay in between).
    #[allow(dead_code)] // Used by the reliability suite only.
    pub async fn try_wait_for(
        &self,
        predicate: impl Fn(&ReceivedEmail) -> bool,
        timeout: Duration,
    ) -> Option<ReceivedEmail> {
        let deadline = Instant::now() + timeout;
        loop {
            // Register interest before looking, so a message stored between
            // the look and the wait still wakes us.
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(email) = self.shared.latest_matching(&predicate) {
                return Some(email);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    /// What arrived so far, one line per message, for failure messages.
    pub async fn describe(&self) -> String {
        describe(&self.messages().await)
    }

    /// The most recent message with `recipient` among its envelope recipients
    /// (case-insensitive), waiting up to 10 s for one to arrive.
    pub async fn wait_for_to(&self, recipient: &str) -> ReceivedEmail {
        self.wait_for(|email| email.is_to(recipient), DEFAULT_WAIT)
            .await
    }

    /// How many messages so far had `recipient` among their envelope recipients.
    pub async fn count_to(&self, recipient: &str) -> usize {
        lock(&self.shared.messages)
            .iter()
            .filter(|m| m.is_to(recipient))
            .count()
    }

    /// While `Some(reply)`, every `RCPT TO` is answered with `reply` (a full
    /// reply line such as `"451 4.3.0 try later"` or `"550 5.1.1 no such
    /// user"`) instead of 250; `None` restores normal delivery.
    pub fn set_reject(&self, reply: Option<&'static str>) {
        *lock(&self.shared.reject) = reply;
    }

    /// From now on, after the message content of each DATA the sink waits `delay`
    /// before storing the message and answering 250, so deliveries stay in flight that
    /// long. A message whose client went away meanwhile is still stored, as a real relay
    /// that had accepted the content would deliver it. `Duration::ZERO` restores speed.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.data_delay) = delay;
    }

    /// Waits until at least `count` messages are held by the delay of [`SmtpSink::set_delay`]
    /// (content received, answer not yet given); panics after 10 s.
    pub async fn wait_until_holding(&self, count: usize) {
        let mut held = self.shared.held.subscribe();
        let holding = held.wait_for(|&held| held >= count);
        if tokio::time::timeout(DEFAULT_WAIT, holding).await.is_err() {
            panic!("SMTP sink: fewer than {count} messages held within {DEFAULT_WAIT:?}");
        }
    }

    /// Stops the server: the port stops accepting and open connections are
    /// closed, so the portal sees the relay as down. Messages stay readable.
    pub fn shutdown(&self) {
        self.server.abort();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn describe(messages: &[ReceivedEmail]) -> String {
    if messages.is_empty() {
        return "  (nothing)".to_owned();
    }
    let lines: Vec<String> = messages
        .iter()
        .map(|m| format!("  - from <{}> to {:?}: {:?}", m.from, m.to, m.subject))
        .collect();
    lines.join("\n")
}

// Connection tasks live in a JoinSet owned by this task, so aborting this
// task (drop or shutdown) also closes every pooled client connection.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                connections.spawn(serve(stream, Arc::clone(&shared)));
            }
            // Accept errors (e.g. out of descriptors) are transient: back off rather than
            // spin. A pause of the server, not a wait of a test.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    // An I/O error means the client went away or misbehaved: dropping the
    // stream closes that connection and leaves the rest of the sink running.
    let _ = converse(stream, &shared).await;
}

/// What the server does after a command line.
enum Step {
    Reply(String),
    ReadData,
    Quit,
}

/// One line read from the client.
enum Line {
    Complete(Vec<u8>),
    TooLong,
    Closed,
}

/// The message content after `DATA`.
enum Data {
    Complete(Vec<u8>),
    Refused(&'static str),
}

async fn converse(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut session = Session::default();
    reply(&mut write, "220 127.0.0.1 ESMTP area-clienti test sink").await?;
    loop {
        let line = match read_line(&mut reader, MAX_COMMAND_LINE).await? {
            Line::Complete(line) => line,
            Line::TooLong => {
                reply(&mut write, "500 5.5.2 line too long").await?;
                continue;
            }
            Line::Closed => return Ok(()),
        };
        let command = String::from_utf8_lossy(&line);
        match session.handle(command.trim_end_matches(['\r', '\n']), shared) {
            Step::Reply(text) => reply(&mut write, &text).await?,
            Step::Quit => return reply(&mut write, "221 2.0.0 bye").await,
            Step::ReadData => {
                reply(&mut write, "354 end data with <CR><LF>.<CR><LF>").await?;
                let outcome = read_data(&mut reader).await?;
                let delay = *lock(&shared.data_delay);
                if !delay.is_zero() {
                    // A slow relay is the fault under test (deliveries caught in flight),
                    // not synchronisation: the sink withholds its answer on purpose.
                    shared.held.send_modify(|held| *held += 1);
                    tokio::time::sleep(delay).await;
                    shared.held.send_modify(|held| *held -= 1);
                }
                reply(&mut write, session.conclude(outcome, shared)).await?;
            }
        }
    }
}

async fn reply(write: &mut OwnedWriteHalf, text: &str) -> io::Result<()> {
    write.write_all(format!("{text}\r\n").as_bytes()).await
}

/// Reads one line including its terminator, never buffering more than `limit`.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, limit: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(limit as u64)
        .read_until(b'\n', &mut line)
        .await?;
    if line.ends_with(b"\n") {
        Ok(Line::Complete(line))
    } else if read == limit {
        skip_rest_of_line(reader).await
    } else {
        Ok(Line::Closed)
    }
}

// Discarding the tail keeps the client's next line in sync and avoids closing
// with unread input, which would reset the connection and lose our reply.
async fn skip_rest_of_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Line> {
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(Line::Closed);
        }
        let newline = buffer.iter().position(|&byte| byte == b'\n');
        let used = newline.map_or(buffer.len(), |at| at + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(Line::TooLong);
        }
    }
}

/// Reads message lines up to the lone "." line, undoing dot-stuffing. An
/// oversized line or message is read to the end anyway, then refused.
async fn read_data<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Data> {
    let mut raw = Vec::new();
    let mut refusal = None;
    loop {
        let line = match read_line(reader, MAX_TEXT_LINE).await? {
            Line::Complete(line) => line,
            Line::TooLong => {
                refusal.get_or_insert("500 5.5.2 line too long");
                continue;
            }
            // The client vanished mid-message: end the connection.
            Line::Closed => return Err(io::ErrorKind::UnexpectedEof.into()),
        };
        if line == b".\r\n" || line == b".\n" {
            return Ok(refusal.map_or(Data::Complete(raw), Data::Refused));
        }
        if raw.len() + line.len() > MAX_MESSAGE_BYTES {
            refusal.get_or_insert("552 5.3.4 message too big");
        }
        if refusal.is_none() {
            raw.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
        }
    }
}

/// Per-connection protocol state: greeting done, and the current envelope.
#[derive(Default)]
struct Session {
    greeted: bool,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    fn handle(&mut self, line: &str, shared: &Shared) -> Step {
        let (verb, argument) = line.split_once(' ').unwrap_or((line, ""));
        let argument = argument.trim();
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => self.hello(argument, true),
            "HELO" => self.hello(argument, false),
            "MAIL" => self.mail(argument),
            "RCPT" => self.rcpt(argument, *lock(&shared.reject)),
            "DATA" => self.data(),
            "RSET" => {
                self.reset();
                ok("2.0.0 OK")
            }
            "NOOP" => ok("2.0.0 OK"),
            "QUIT" => Step::Quit,
            _ => Step::Reply("500 5.5.2 command not recognized".to_owned()),
        }
    }

    fn hello(&mut self, domain: &str, extended: bool) -> Step {
        if domain.is_empty() {
            return Step::Reply("501 5.5.4 a domain is required".to_owned());
        }
        self.reset();
        self.greeted = true;
        if !extended {
            return ok(&format!("127.0.0.1 greets {domain}"));
        }
        // lettre refuses to send non-ASCII content or addresses unless the
        // server offers 8BITMIME / SMTPUTF8.
        Step::Reply(format!(
            "250-127.0.0.1 greets {domain}\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
             250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE_BYTES}"
        ))
    }

    fn mail(&mut self, argument: &str) -> Step {
        if !self.greeted {
            return bad_sequence("send EHLO or HELO first");
        }
        if self.from.is_some() {
            return bad_sequence("nested MAIL command");
        }
        match path_after(argument, "FROM:") {
            Some(sender) => {
                self.from = Some(sender);
                ok("2.1.0 sender OK")
            }
            None => Step::Reply("501 5.5.4 syntax: MAIL FROM:<address>".to_owned()),
        }
    }

    fn rcpt(&mut self, argument: &str, reject: Option<&'static str>) -> Step {
        if self.from.is_none() {
            return bad_sequence("need MAIL before RCPT");
        }
        let Some(recipient) = path_after(argument, "TO:").filter(|r| !r.is_empty()) else {
            return Step::Reply("501 5.5.4 syntax: RCPT TO:<address>".to_owned());
        };
        if let Some(reply) = reject {
            return Step::Reply(reply.to_owned());
        }
        if self.to.len() >= MAX_RECIPIENTS {
            return Step::Reply("452 4.5.3 too many recipients".to_owned());
        }
        self.to.push(recipient);
        ok("2.1.5 recipient OK")
    }

    fn data(&self) -> Step {
        if self.from.is_none() {
            return bad_sequence("need MAIL before DATA");
        }
        if self.to.is_empty() {
            return Step::Reply("554 5.5.1 no valid recipients".to_owned());
        }
        Step::ReadData
    }

    /// Ends the transaction with the outcome of DATA, storing the message
    /// if it was complete, and returns the reply for the client. The session
    /// is then ready for the next transaction on the same connection.
    fn conclude(&mut self, outcome: Data, shared: &Shared) -> &'static str {
        let from = self.from.take().unwrap_or_default();
        let to = mem::take(&mut self.to);
        match outcome {
            Data::Complete(raw) => {
                shared.store(ReceivedEmail::parse(from, to, &raw));
                "250 2.0.0 OK queued"
            }
            Data::Refused(reply) => reply,
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
    }
}

fn ok(text: &str) -> Step {
    Step::Reply(format!("250 {text}"))
}

fn bad_sequence(why: &str) -> Step {
    Step::Reply(format!("503 5.5.1 {why}"))
}

/// Parses `FROM:<addr> [params]` / `TO:<addr> [params]` (keyword matched
/// case-insensitively, space allowed before `<`) into the bare address.
fn path_after(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let path = argument[keyword.len()..].trim_start().strip_prefix('<')?;
    path.split_once('>')
        .map(|(address, _parameters)| address.to_owned())
}

#[cfg(test)]
mod tests {
    //! Protocol-level checks with a raw TCP client, covering what a
    //! well-behaved client like lettre never sends.

    use super::*;
    use tokio::net::tcp::OwnedReadHalf;

    /// A line-oriented raw SMTP client.
    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(sink: &SmtpSink) -> Client {
            let stream = TcpStream::connect(("127.0.0.1", sink.port()))
                .await
                .expect("connect");
            let (read, writer) = stream.into_split();
            let mut client = Client {
                reader: BufReader::new(read),
                writer,
            };
            assert!(client.reply().await.starts_with("220 "));
            client
        }

        /// Sends `text` as is and returns the final reply line.
        async fn send(&mut self, text: &str) -> String {
            self.writer.write_all(text.as_bytes()).await.expect("write");
            self.reply().await
        }

        /// Reads one (possibly multi-line) reply and returns its last line.
        async fn reply(&mut self) -> String {
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).await.expect("read");
                if line.len() < 4 || line.as_bytes()[3] != b'-' {
                    return line.trim_end().to_owned();
                }
            }
        }
    }

    const MESSAGE: &str = "Subject: =?UTF-8?Q?Verific=C3=A0?=\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\r\n\
        ..riga con punto\r\nCos=C3=AC\r\n.\r\n";

    #[tokio::test]
    async fn sink_speaks_smtp_and_unstuffs_dots() {
        let sink = SmtpSink::start().await;
        assert_eq!(sink.url(), format!("smtp://127.0.0.1:{}", sink.port()));
        let mut client = Client::connect(&sink).await;
        assert!(
            client
                .send("MAIL FROM:<a@b.it>\r\n")
                .await
                .starts_with("503")
        );
        assert!(client.send("EHLO test\r\n").await.starts_with("250 SIZE"));
        assert!(client.send("BOGUS\r\n").await.starts_with("500"));
        assert!(client.send("DATA\r\n").await.starts_with("503"));
        // Pipelined transaction: replies come back in order.
        let pipelined = "MAIL FROM:<a@b.it> BODY=8BITMIME\r\nRCPT TO:<X@Y.it>\r\n\
                         RCPT TO: <z@y.it>\r\nNOOP\r\n";
        assert!(client.send(pipelined).await.starts_with("250"));
        for _ in 0..3 {
            assert!(client.reply().await.starts_with("250"));
        }
        assert!(client.send("DATA\r\n").await.starts_with("354"));
        assert!(client.send(MESSAGE).await.starts_with("250"));
        assert!(client.send("QUIT\r\n").await.starts_with("221"));

        let email = sink.wait_for_to("x@y.IT").await;
        assert_eq!(
            (email.from.as_str(), email.subject.as_str()),
            ("a@b.it", "Verificà")
        );
        assert_eq!(email.to, ["X@Y.it", "z@y.it"]);
        assert_eq!(email.text, ".riga con punto\nCosì\n");
        assert!(email.html.is_empty());
        assert!(email.raw.ends_with("\r\nCos=C3=AC\r\n"));
        assert_eq!(sink.count_to("z@y.it").await, 1);
    }

    #[tokio::test]
    async fn sink_resets_rejects_and_refuses_long_lines() {
        let sink = SmtpSink::start().await;
        let mut client = Client::connect(&sink).await;
        assert!(
            client
                .send("HELO test\r\nMAIL FROM:<>\r\n")
                .await
                .starts_with("250")
        );
        assert!(client.reply().await.starts_with("250"));
        assert!(client.send("RSET\r\n").await.starts_with("250"));
        assert!(client.send("RCPT TO:<x@y.it>\r\n").await.starts_with("503"));
        sink.set_reject(Some("550 5.1.1 no such user"));
        client.send("MAIL FROM:<>\r\n").await;
        assert_eq!(
            client.send("RCPT TO:<x@y.it>\r\n").await,
            "550 5.1.1 no such user"
        );
        sink.set_reject(None);
        let long = format!("NOOP {}\r\n", "x".repeat(MAX_COMMAND_LINE));
        assert!(client.send(&long).await.starts_with("500"));
        // The refused line is skipped whole; the transaction can still finish.
        assert!(
            client
                .send("RCPT TO:<x@y.it>\r\nDATA\r\n")
                .await
                .starts_with("250")
        );
        assert!(client.reply().await.starts_with("354"));
        let long = format!("{}\r\n.\r\n", "x".repeat(MAX_TEXT_LINE));
        assert!(client.send(&long).await.starts_with("500"));
        assert!(client.send("NOOP\r\n").await.starts_with("250"));

        sink.shutdown();
        let waited = tokio::time::timeout(Duration::from_secs(5), async {
            while TcpStream::connect(("127.0.0.1", sink.port())).await.is_ok() {
                tokio::task::yield_now().await;
            }
        });
        assert!(waited.await.is_ok(), "port still accepting after shutdown");
        assert!(sink.messages().await.is_empty());
    }

    #[tokio::test]
    async fn sink_starts_on_a_given_port_and_can_hold_its_answer_to_data() {
        let port = {
            let reserved = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            reserved.local_addr().expect("address").port()
        };
        let sink = SmtpSink::start_on(port).await;
        assert_eq!(sink.port(), port);
        let envelope = "EHLO test\r\nMAIL FROM:<a@b.it>\r\nRCPT TO:<x@y.it>\r\nDATA\r\n";

        sink.set_delay(Duration::from_secs(3600));
        let mut held = Client::connect(&sink).await;
        assert!(held.send(envelope).await.starts_with("250"));
        for _ in 0..2 {
            assert!(held.reply().await.starts_with("250"));
        }
        assert!(held.reply().await.starts_with("354"));
        held.writer
            .write_all(MESSAGE.as_bytes())
            .await
            .expect("write");
        sink.wait_until_holding(1).await;
        assert_eq!(sink.count().await, 0, "a held message is not stored yet");

        // A client that leaves while its message is held does not lose it.
        sink.set_delay(Duration::from_millis(1));
        let mut leaving = Client::connect(&sink).await;
        assert!(leaving.send(envelope).await.starts_with("250"));
        for _ in 0..2 {
            assert!(leaving.reply().await.starts_with("250"));
        }
        assert!(leaving.reply().await.starts_with("354"));
        leaving
            .writer
            .write_all(MESSAGE.as_bytes())
            .await
            .expect("write");
        drop(leaving);
        sink.wait_for_to("x@y.it").await;
        assert_eq!(sink.count().await, 1, "the first message is still held");
    }

    #[tokio::test]
    #[should_panic(expected = "no matching email")]
    async fn wait_for_panics_when_nothing_matches() {
        let sink = SmtpSink::start().await;
        sink.wait_for(|_| true, Duration::from_millis(50)).await;
    }
}
