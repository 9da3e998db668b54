//! `spawn_app()`: the real portal on a random port, against its own throwaway PostgreSQL
//! database, a real SMTP sink and a stub HTTP SMS gateway. `Browser` is one person's
//! cookie jar, with one method per thing a person does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use area_clienti::app::Application;
use area_clienti::clock::Clock;
use area_clienti::config::{Config, Settings};
use area_clienti::notify::worker::{self, Worker};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::database;
use crate::support::nginx::Nginx;
use crate::support::sms_gateway::{SMS_TOKEN, SentSms, SmsGateway, code_in};
use crate::support::smtp_sink::{ReceivedEmail, SmtpSink};

pub const API_TOKEN: &str = "test-internal-token";
/// Links in emails point here; tests follow them on the app's real address.
pub const PUBLIC_BASE_URL: &str = "http://portale.test";

pub struct TestApp {
    /// Where clients connect: the portal itself, or the nginx in front of it.
    pub address: String,
    /// The portal's own listener, bypassing any proxy (a client that skips the proxy).
    pub direct_address: String,
    pub pool: PgPool,
    pub smtp: SmtpSink,
    pub sms: SmsGateway,
    pub browser: Browser,
    pub config: Config,
    pub database_url: String,
    /// The app's clock: moving it moves the portal's "now".
    pub clock: Clock,
    worker: Worker,
    db_name: String,
    /// Set by [`TestApp::leaves_messages_queued`]: the end-of-test outbox check is skipped.
    queued_on_purpose: AtomicBool,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// The reverse proxy in front of the portal, if any; dropping it stops it.
    _proxy: Option<Nginx>,
}

/// With `AREA_CLIENTI_TEST_PROXY=nginx` every test app is put behind a real nginx (the
/// whole suite then runs as in production behind a reverse proxy).
fn behind_proxy_by_default() -> bool {
    match std::env::var("AREA_CLIENTI_TEST_PROXY").as_deref() {
        Ok("nginx") => true,
        Ok("") | Err(_) => false,
        Ok(other) => panic!("AREA_CLIENTI_TEST_PROXY={other:?}: only \"nginx\" is known"),
    }
}

/// The address nginx connects from, and so the one proxy the portal trusts.
pub const PROXY_ADDR: &str = "127.0.0.1";

/// The portal; its outbox worker runs in the background only where the test binary says
/// so (`crate::BACKGROUND_WORKER`). Without it the test runs the pending work itself
/// ([`TestApp::run_pending_work`], or any method that reads a message).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The portal with its outbox worker running in the background, as in production: for the
/// one API test that the worker delivers on its own (`delivery.rs`), and for the browser
/// tests. A test waits for what it expects to arrive (the SMTP sink and the SMS stub wake
/// their waiters), never for a while.
pub async fn spawn_app_with_worker() -> TestApp {
    spawn_app_with(|s| s.background_worker = true).await
}

/// Like [`spawn_app`], with settings adjusted first (e.g. dev-mailbox transports).
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(customize, behind_proxy_by_default()).await
}

/// The portal behind a real nginx (`TestApp::address`), trusting it as its reverse proxy
/// (`TRUSTED_PROXIES=127.0.0.1`); `TestApp::direct_address` skips the proxy.
pub async fn spawn_app_behind_nginx() -> TestApp {
    spawn_app_behind_nginx_with(|_| {}).await
}

/// Like [`spawn_app_behind_nginx`], with settings adjusted first.
pub async fn spawn_app_behind_nginx_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(customize, true).await
}

async fn spawn(customize: impl FnOnce(&mut Settings), behind_proxy: bool) -> TestApp {
    area_clienti::telemetry::init_for_tests();
    let db_name = database::create_test_database().await;
    let smtp = SmtpSink::start().await;
    let sms = SmsGateway::start().await;
    let mut settings = Settings {
        database_url: database::url_of(&db_name),
        bind_addr: "127.0.0.1:0".into(),
        public_base_url: PUBLIC_BASE_URL.into(),
        smtp_url: Some(smtp.url()),
        mail_from: "Area Clienti <no-reply@portale.test>".into(),
        sms_gateway_url: Some(sms.url()),
        dev_mailbox: false,
        trusted_proxies: if behind_proxy {
            PROXY_ADDR.into()
        } else {
            String::new()
        },
        sms_gateway_token: Some(SMS_TOKEN.into()),
        sms_gateway_timeout_ms: 10_000,
        internal_api_token: Some(API_TOKEN.into()),
        outbox_retry_base_ms: 200,
        outbox_max_attempts: 5,
        outbox_lease_secs: 120,
        background_worker: crate::BACKGROUND_WORKER,
        mfa_required_for: "rappresentante_legale,amministratore_full".into(),
        http_header_read_timeout_ms: 10_000,
        session_cleanup_interval_secs: 300,
        retention_days: 365,
        access_review_days: 90,
        // Tests send far more than a person; the cap's own test sets one.
        client_requests_per_minute: 0,
    };
    customize(&mut settings);
    let config = Config::from_settings(&settings).expect("test config");
    let database_url = settings.database_url.clone();
    let app = Application::build(config.clone())
        .await
        .expect("app builds");
    let direct_address = format!("http://127.0.0.1:{}", app.port());
    let proxy = behind_proxy.then(|| Nginx::start(([127, 0, 0, 1], app.port()).into()));
    let address = proxy
        .as_ref()
        .map_or_else(|| direct_address.clone(), |p| p.address.clone());
    let pool = app.pool().clone();
    let clock = app.clock().clone();
    let worker = app.worker();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("app runs");
    });
    TestApp {
        browser: Browser::new(&address),
        worker,
        config,
        database_url,
        address,
        direct_address,
        pool,
        smtp,
        sms,
        clock,
        db_name,
        queued_on_purpose: AtomicBool::new(false),
        stop: Some(stop),
        server: Some(server),
        _proxy: proxy,
    }
}

impl Drop for TestApp {
    /// Stops the app, checks that the test left no message waiting in the outbox (unless it
    /// said so, or the worker ran in the background, or the test already failed) and drops
    /// the database, so test runs leave nothing behind.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        let check = !self.config.background_worker
            && !self.queued_on_purpose.load(Ordering::Relaxed)
            && !std::thread::panicking();
        let (db_name, url) = (self.db_name.clone(), self.database_url.clone());
        // Drop cannot await: a thread of its own runs the last queries.
        let left = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let left = if check {
                    queued_messages(&url).await
                } else {
                    None
                };
                database::drop_database(&db_name).await;
                left
            })
        })
        .join()
        .unwrap_or_default();
        if let Some(left) = left {
            panic!(
                "the test left messages queued in the outbox: {left}; run the pending work \
                 (e.g. `app.mail_to(..)`, `app.run_pending_work()`), or call \
                 `app.leaves_messages_queued()` if that is what it checks"
            );
        }
    }
}

/// The templates and recipients of the messages still queued, if any.
async fn queued_messages(database_url: &str) -> Option<String> {
    let mut conn = PgConnection::connect(database_url).await.ok()?;
    sqlx::query_scalar(
        "SELECT string_agg(template || ' to ' || recipient, ', ') FROM outbox WHERE state = 'queued'",
    )
    .fetch_one(&mut conn)
    .await
    .ok()
    .flatten()
}

/// A purchase body as a sales channel sends it.
pub fn contract_body(
    contract_id: &str,
    vat: &str,
    email: &str,
    mobile: Option<&str>,
    lines: &[&str],
) -> Value {
    let lines: Vec<Value> = lines.iter().map(|n| json!({ "number": n })).collect();
    let mut rep = json!({ "first_name": "Maria", "last_name": "Rossi", "email": email });
    if let Some(m) = mobile {
        rep["mobile"] = json!(m);
    }
    json!({
        "contract_id": contract_id,
        "channel": "negozio",
        "company": { "name": "Rossi Impianti S.r.l.", "vat_number": vat, "tax_code": vat.trim_start_matches("IT") },
        "legal_representative": rep,
        "mobile_lines": lines
    })
}

/// Valid Partite IVA for tests (check digit computed).
pub const VAT_A: &str = "IT01234567897";
pub const VAT_B: &str = "12345678903";

impl TestApp {
    pub async fn post_contract(&self, body: &Value) -> reqwest::Response {
        self.browser
            .client
            .post(format!("{}/api/v1/contratti", self.address))
            .bearer_auth(API_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Reports a first contract and returns the legal representative's username email.
    pub async fn onboard(&self, email: &str, mobile: Option<&str>) -> ReceivedEmail {
        let body = contract_body(
            "CTR-1",
            VAT_A,
            email,
            mobile,
            &["+393401112233", "+393401112234"],
        );
        assert_eq!(
            self.post_contract(&body).await.status(),
            StatusCode::CREATED
        );
        self.mail_to(email).await
    }

    /// Activates the account of `email` from its username email, with SMS or email code.
    pub async fn activate(
        &self,
        browser: &Browser,
        mail: &ReceivedEmail,
        mobile: Option<&str>,
        password: &str,
    ) -> reqwest::Response {
        let link = activation_path(mail);
        browser.post_form(&format!("{link}/codice"), &[]).await;
        let code = self.code_for(&mail.to[0], mobile).await;
        let response = browser.post_form(&link, &[("code", &code)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        browser
            .post_form(
                &format!("{link}/password"),
                &[("password", password), ("password_confirm", password)],
            )
            .await
    }

    /// The latest verification code sent to the user: by SMS, or by email without a mobile.
    pub async fn code_for(&self, email: &str, mobile: Option<&str>) -> String {
        match mobile {
            Some(m) => code_in(&self.sms_to(m).await.text),
            None => {
                let mail = self
                    .mail_matching(&format!("a code email to {email}"), |m| {
                        is_to(m, email) && m.subject.contains("codice")
                    })
                    .await;
                code_in(&mail.text)
            }
        }
    }

    /// Runs the outbox worker until nothing is due: every message queued so far is
    /// delivered (or failed, or scheduled for a retry), and every queued job done, when
    /// this returns.
    pub async fn run_pending_work(&self) {
        worker::drain(&self.worker).await.expect("outbox drained")
    }

    /// Runs the pending work, then returns the newest email to `email` (case-insensitive);
    /// panics listing what arrived when there is none.
    pub async fn mail_to(&self, email: &str) -> ReceivedEmail {
        self.mail_matching(&format!("an email to {email}"), |m| is_to(m, email))
            .await
    }

    /// Runs the pending work, then returns the newest email matching `wanted` (described by
    /// `what` in the failure message).
    pub async fn mail_matching(
        &self,
        what: &str,
        wanted: impl Fn(&ReceivedEmail) -> bool,
    ) -> ReceivedEmail {
        if self.config.background_worker {
            // Delivered by the background worker, some time after the request (the browser
            // tests): the sink wakes us when it arrives; the timeout only fails the test.
            return self.smtp.wait_for(wanted, Duration::from_secs(10)).await;
        }
        self.run_pending_work().await;
        let received = self.smtp.messages().await;
        received
            .iter()
            .rev()
            .find(|m| wanted(m))
            .cloned()
            .unwrap_or_else(|| {
                let got: Vec<_> = received.iter().map(|m| (&m.to, &m.subject)).collect();
                panic!("no {what} after running the pending work; received: {got:#?}")
            })
    }

    /// Runs the pending work, then returns every "Nuovo accesso al tuo account" e-mail sent to
    /// `email` so far (a login from a browser the user never logged in from), oldest first.
    pub async fn new_login_notices_to(&self, email: &str) -> Vec<ReceivedEmail> {
        self.run_pending_work().await;
        let received = self.smtp.messages().await;
        received
            .into_iter()
            .filter(|m| is_to(m, email) && m.subject.contains("nuovo accesso"))
            .collect()
    }

    /// Runs the pending work, then returns the newest SMS to `number`; panics listing what
    /// was sent when there is none.
    pub async fn sms_to(&self, number: &str) -> SentSms {
        if self.config.background_worker {
            // As in `mail_matching`: the stub wakes us when the SMS arrives.
            return self.sms.wait_for_to(number).await;
        }
        self.run_pending_work().await;
        let sent = self.sms.sent().await;
        sent.iter()
            .rev()
            .find(|sms| sms.to == number)
            .cloned()
            .unwrap_or_else(|| {
                panic!("no SMS to {number} after running the pending work; sent: {sent:#?}")
            })
    }

    /// Brings every scheduled retry forward to now, as if its backoff had passed; the next
    /// [`TestApp::run_pending_work`] tries them again.
    pub async fn make_retries_due(&self) {
        sqlx::query("UPDATE outbox SET next_attempt_at = now() WHERE state = 'queued'")
            .execute(&self.pool)
            .await
            .unwrap();
    }

    /// Says that this test leaves messages queued on purpose (e.g. retries not yet due),
    /// so the end-of-test check that the outbox was emptied does not apply.
    pub fn leaves_messages_queued(&self) {
        self.queued_on_purpose.store(true, Ordering::Relaxed);
    }

    /// Moves the portal's clock forward (for expiries).
    #[allow(dead_code)] // for the expiry tests
    pub fn advance_clock(&self, by: time::Duration) {
        self.clock.advance(by);
    }

    /// Asserts that `sql` (a boolean query) holds now.
    pub async fn assert_holds(&self, sql: &str) {
        let holds: bool = sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap();
        assert!(holds, "does not hold: {sql}");
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// The app's clock: move it forward to reach an expiry.
    pub fn clock(&self) -> &area_clienti::clock::Clock {
        &self.clock
    }
}

/// Whether `email` is among the envelope recipients (case-insensitive).
pub fn is_to(mail: &ReceivedEmail, email: &str) -> bool {
    mail.to.iter().any(|t| t.eq_ignore_ascii_case(email))
}

/// The path of the activation link in a username email (`/attivazione/{token}`).
pub fn activation_path(mail: &ReceivedEmail) -> String {
    let start = mail.text.find(PUBLIC_BASE_URL).expect("link in email") + PUBLIC_BASE_URL.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The authenticator-app secret an enrolment page shows in `#totp-secret`, as bytes.
pub fn totp_secret_on(page: &str) -> Vec<u8> {
    let shown = texts(page, "#totp-secret")
        .pop()
        .expect("secret on the page");
    let base32: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    totp_rs::Secret::try_from_base32(base32)
        .expect("base32 secret")
        .as_bytes()
        .to_vec()
}

/// One person at one browser: own cookies, no automatic redirects (tests check them).
pub struct Browser {
    pub client: reqwest::Client,
    pub address: String,
}

impl Browser {
    pub fn new(address: &str) -> Browser {
        Browser::with_user_agent(address, "")
    }

    /// A browser that names itself `user_agent` (none when empty, as `new`).
    pub fn with_user_agent(address: &str, user_agent: &str) -> Browser {
        Browser::build(address, user_agent, None)
    }

    /// A browser on another machine: its connections leave from `source`, an address of
    /// the loopback network other than 127.0.0.1 (e.g. `127.0.0.7`), so the portal (or the
    /// proxy in front of it) sees a client of its own.
    pub fn from_address(address: &str, source: &str) -> Browser {
        Browser::build(address, "", Some(source.parse().expect("source address")))
    }

    /// The same browser (same cookies) sending to `address`: e.g. `app.direct_address`,
    /// for a request a reverse proxy would refuse before the portal sees it.
    pub fn towards(&self, address: &str) -> Browser {
        Browser {
            client: self.client.clone(),
            address: address.to_owned(),
        }
    }

    fn build(address: &str, user_agent: &str, source: Option<std::net::IpAddr>) -> Browser {
        let mut client = reqwest::Client::builder()
            .cookie_store(true)
            .local_address(source)
            .redirect(reqwest::redirect::Policy::none());
        if !user_agent.is_empty() {
            client = client.user_agent(user_agent);
        }
        Browser {
            client: client.build().unwrap(),
            address: address.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap())
    }

    /// The CSRF token of this browser's session, as a page form carries it.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.get_html("/accedi").await;
        hidden_input(&html, "csrf_token").expect("csrf field on /accedi")
    }

    /// Submits a form the way a browser does: with the page's hidden CSRF field.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        self.post_raw(path, &form).await
    }

    /// A POST exactly as given (e.g. without CSRF token).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_form("/accedi", &[("username", username), ("password", password)])
            .await
    }
}

/// Every address a page of Gestione Utenze links or posts to (`a[href]`, `form[action]`,
/// `button[formaction]`), as absolute paths: the list writes them relative to itself.
pub fn targets(html: &str) -> Vec<String> {
    let base = reqwest::Url::parse(&format!("http://portale.test{GU}")).unwrap();
    let doc = Html::parse_document(html);
    let selector = Selector::parse("a[href], form[action], button[formaction]").unwrap();
    doc.select(&selector)
        .filter_map(|e| {
            let v = e.value();
            v.attr("formaction").or(v.attr("action")).or(v.attr("href"))
        })
        .filter_map(|t| base.join(t).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .collect()
}

pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(&format!(r#"input[name="{name}"]"#)).unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

/// Text of the elements matching a CSS selector (e.g. `.field-error`).
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    doc.select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The path a redirect goes to, without its query: `/accedi` for the login page whichever
/// page it brings back to afterwards (`?dopo=`).
pub fn location_path(response: &reqwest::Response) -> String {
    let to = location(response);
    to.split('?').next().unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------------------------------
// Gestione Utenze: a company with its legal representative logged in, employees added
// through the page, and the list page read back as rows.

/// The Gestione Utenze page.
pub const GU: &str = "/area-clienti/gestione-utenze";
/// The legal representative of the company `onboard` creates (VAT_A).
pub const LR_EMAIL: &str = "maria.rossi@example.it";
pub const LR_MOBILE: &str = "+393331234567";
/// The lines of the company `onboard` creates.
pub const LINES_A: [&str; 2] = ["+393401112233", "+393401112234"];
/// The second company (`second_company`): VAT_B, its legal representative and lines.
pub const LR_B_EMAIL: &str = "luca.verdi@example.it";
pub const LR_B_MOBILE: &str = "+393339876543";
pub const LINES_B: [&str; 2] = ["+393409990001", "+393409990002"];
/// A password every test person chooses (strong, unrelated to any username).
pub const PASSWORD: &str = "Tramonto sul lago di Garda 2026";

impl TestApp {
    /// Onboards the company of VAT_A (lines `LINES_A`), activates its legal representative
    /// (`LR_EMAIL`, code by SMS to `LR_MOBILE`) and returns their logged-in browser.
    pub async fn logged_in_legal_representative(&self) -> Browser {
        let mail = self.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
        let browser = Browser::new(&self.address);
        let done = self
            .activate(&browser, &mail, Some(LR_MOBILE), PASSWORD)
            .await;
        assert_eq!(
            location(&done),
            "/area-clienti",
            "legal representative activated"
        );
        browser
    }

    /// Logs in at `/accedi` as a person does, passing the SMS second step when the profile
    /// requires one (`MFA_REQUIRED_FOR`); returns the last answer (303 to `/area-clienti`
    /// when all went well).
    pub async fn log_in(
        &self,
        browser: &Browser,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.log_in_from(browser, username, password, None).await
    }

    /// [`Self::log_in`] from the login page of `/accedi?dopo={after}`: its form carries
    /// the page to land on.
    pub async fn log_in_from(
        &self,
        browser: &Browser,
        username: &str,
        password: &str,
        after: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![("username", username), ("password", password)];
        form.extend(after.map(|page| ("dopo", page)));
        let response = browser.post_form("/accedi", &form).await;
        let to_verify = response
            .headers()
            .get("location")
            .is_some_and(|l| l == "/accedi/verifica");
        if !to_verify {
            return response;
        }
        let mobile: String =
            sqlx::query_scalar("SELECT mobile FROM users WHERE lower(username) = lower($1)")
                .bind(username)
                .fetch_one(&self.pool)
                .await
                .expect("the SMS second step is for users with a mobile");
        let already = self.sms.count_to(&mobile).await;
        let sent = browser.post_form("/accedi/verifica/sms", &[]).await;
        assert_eq!(location(&sent), "/accedi/verifica", "SMS code asked");
        let code = if self.config.background_worker {
            // Not the code of an earlier SMS (e.g. the activation's) already received.
            code_in(&self.sms.wait_for_more_to(&mobile, already).await.text)
        } else {
            code_in(&self.sms_to(&mobile).await.text)
        };
        browser
            .post_form("/accedi/verifica", &[("code", &code)])
            .await
    }

    /// At `/area-clienti/sicurezza/attiva` (where a required factor is enrolled before any
    /// other page opens), adds an authenticator app from the secret shown and confirms it
    /// with its current code; returns the secret.
    pub async fn enrol_required_app(&self, browser: &Browser) -> Vec<u8> {
        let (status, page) = browser.get_html("/area-clienti/sicurezza/attiva").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let secret = totp_secret_on(&page);
        let now = self.clock().now().unix_timestamp();
        let code = area_clienti::auth::factors::totp::code_at(&secret, now);
        let done = browser
            .post_form("/area-clienti/sicurezza/app/conferma", &[("code", &code)])
            .await;
        assert_eq!(done.status(), StatusCode::OK, "recovery codes shown");
        secret
    }

    /// "Aggiungi" as the legal representative at `lr` fills it in: `action` is `register`
    /// ("Aggiungi e Registra") or `save` ("Aggiungi Utente").
    pub async fn add_employee(
        &self,
        lr: &Browser,
        mobile: Option<&str>,
        email: &str,
        username: &str,
        profile: &str,
        action: &str,
    ) -> reqwest::Response {
        let form = [
            ("mobile", mobile.unwrap_or("")),
            ("email", email),
            ("username", username),
            ("profile", profile),
            ("action", action),
        ];
        lr.post_form(&format!("{GU}/aggiungi"), &form).await
    }

    /// Adds an employee with "Aggiungi e Registra" (username = `email`), lets them activate
    /// from their username email and returns their logged-in browser.
    pub async fn employee_logged_in(
        &self,
        lr: &Browser,
        email: &str,
        mobile: Option<&str>,
        profile: &str,
    ) -> Browser {
        let added = self
            .add_employee(lr, mobile, email, email, profile, "register")
            .await;
        assert_eq!(
            added.status(),
            StatusCode::SEE_OTHER,
            "employee {email} added"
        );
        self.activate_employee(email).await
    }

    /// The employee with username `username` (and that email) opens their username email,
    /// gets the code where the portal sends it (their mobile on file, or email) and chooses
    /// `PASSWORD`; returns the browser they are now logged in with.
    pub async fn activate_employee(&self, username: &str) -> Browser {
        let (email, mobile): (String, Option<String>) =
            sqlx::query_as("SELECT email, mobile FROM users WHERE lower(username) = lower($1)")
                .bind(username)
                .fetch_one(&self.pool)
                .await
                .unwrap();
        let mail = self.username_email(&email).await;
        let browser = Browser::new(&self.address);
        let done = self
            .activate(&browser, &mail, mobile.as_deref(), PASSWORD)
            .await;
        assert_eq!(location(&done), "/area-clienti", "{username} activated");
        browser
    }

    /// `count` lines more for company A (`+39 350 000 0001`…), on the contract of its
    /// first line, as a second purchase would bring them.
    pub async fn more_lines_for_company_a(&self, count: i32) {
        sqlx::query(
            "INSERT INTO mobile_lines (id, company_id, contract_id, number)
             SELECT gen_random_uuid(), company_id, contract_id, '+39350' || lpad(g::text, 7, '0')
               FROM mobile_lines, generate_series(1, $2) g WHERE number = $1",
        )
        .bind(LINES_A[0])
        .bind(count)
        .execute(&self.pool)
        .await
        .expect("the lines are added");
    }

    /// The latest username email to `email` (after running the pending work).
    pub async fn username_email(&self, email: &str) -> ReceivedEmail {
        self.mail_matching(&format!("username email to {email}"), |m| {
            is_to(m, email)
                && m.subject.contains("Area Clienti")
                && !m.subject.contains("codice")
                && m.text.contains(&format!("{PUBLIC_BASE_URL}/attivazione/"))
        })
        .await
    }

    pub async fn user_id(&self, username: &str) -> Uuid {
        sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("no user {username}: {e}"))
    }

    pub async fn line_id(&self, number: &str) -> Uuid {
        sqlx::query_scalar("SELECT id FROM mobile_lines WHERE number = $1")
            .bind(number)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("no line {number}: {e}"))
    }

    /// The registration state of a user, as its code (`da_registrare`, `attivo`…).
    pub async fn user_state(&self, username: &str) -> String {
        sqlx::query_scalar("SELECT state::text FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("no user {username}: {e}"))
    }

    /// The user a line is tied to, if any.
    pub async fn line_user(&self, number: &str) -> Option<Uuid> {
        sqlx::query_scalar("SELECT user_id FROM mobile_lines WHERE number = $1")
            .bind(number)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Username emails queued for a user (any delivery state).
    pub async fn username_emails_of(&self, user_id: Uuid) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE user_id = $1 AND template = 'username'",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Everything a Gestione Utenze action could change, as one comparable text: users,
    /// line assignments, and how many messages, links, audit events and ended sessions exist.
    pub async fn state_snapshot(&self) -> String {
        sqlx::query_scalar(
            "SELECT concat_ws(E'\\n',
                (SELECT string_agg(concat_ws('|', id, username, email, mobile, first_name, last_name, profile,
                                             state, session_epoch, password_hash), E'\\n' ORDER BY id) FROM users),
                (SELECT string_agg(concat_ws('|', id, user_id), E'\\n' ORDER BY id) FROM mobile_lines),
                'outbox ' || (SELECT count(*) FROM outbox),
                'tokens ' || (SELECT count(*) FROM credential_tokens),
                'superseded ' || (SELECT count(*) FROM credential_tokens WHERE superseded_at IS NOT NULL),
                'audit ' || (SELECT count(*) FROM audit_events),
                'sessions ended ' || (SELECT count(*) FROM user_sessions WHERE ended_at IS NOT NULL))",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Runs the pending work and checks that nothing is left waiting in the outbox.
    pub async fn outbox_settled(&self) {
        self.run_pending_work().await;
        self.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued')")
            .await;
    }
}

/// An Italian mobile in E.164 (`+393401112233`) as pages show it: `+39 340 111 2233`.
/// Written out here rather than taken from the portal, so a test can tell when it changes.
pub fn shown(e164: &str) -> String {
    assert!(
        e164.starts_with("+39") && e164.len() == 13,
        "an Italian mobile of 10 digits: {e164}"
    );
    let n = &e164[3..];
    format!("+39 {} {} {}", &n[..3], &n[3..6], &n[6..])
}

/// One row of the Gestione Utenze list (`tr[data-row]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line_id: String,
    pub user_id: String,
    pub stato: String,
    pub consegna: String,
    /// All text of the row's cells, joined by spaces.
    pub text: String,
}

impl Row {
    /// The first number shown in the row (in groups, "+39 340 111 2233"), in E.164 form.
    pub fn number(&self) -> Option<String> {
        let start = self.text.find("+39")?;
        let digits: String = self.text[start + 1..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ' ')
            .filter(char::is_ascii_digit)
            .collect();
        (digits.len() >= 8).then(|| format!("+{digits}"))
    }

    pub fn shows(&self, text: &str) -> bool {
        self.text.to_lowercase().contains(&text.to_lowercase())
    }
}

/// The rows of a Gestione Utenze list page, in page order.
pub fn rows(html: &str) -> Vec<Row> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse("tr[data-stato]").unwrap();
    doc.select(&selector)
        .map(|tr| {
            let attr = |name: &str| tr.value().attr(name).unwrap_or_default().to_owned();
            Row {
                line_id: attr("data-line-id"),
                user_id: attr("data-user-id"),
                stato: attr("data-stato"),
                consegna: attr("data-consegna"),
                text: tr
                    .text()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect()
}

/// The one row of the list for a user id; panics when there is not exactly one.
pub fn row_of_user(html: &str, user_id: Uuid) -> Row {
    let id = user_id.to_string();
    let found: Vec<Row> = rows(html).into_iter().filter(|r| r.user_id == id).collect();
    assert_eq!(found.len(), 1, "exactly one row for user {id}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// The one row of the list for a line id; panics when there is not exactly one.
pub fn row_of_line(html: &str, line_id: Uuid) -> Row {
    let id = line_id.to_string();
    let found: Vec<Row> = rows(html).into_iter().filter(|r| r.line_id == id).collect();
    assert_eq!(found.len(), 1, "exactly one row for line {id}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// The number in `<span data-count="{state}">N</span>`.
pub fn data_count(html: &str, state: &str) -> i64 {
    let found = texts(html, &format!(r#"[data-count="{state}"]"#));
    assert_eq!(found.len(), 1, "one data-count for {state}: {found:?}");
    found[0]
        .parse()
        .unwrap_or_else(|_| panic!("data-count {state} is not a number: {:?}", found[0]))
}

/// The number in `<span data-total>N</span>`.
pub fn data_total(html: &str) -> i64 {
    let found = texts(html, "[data-total]");
    assert_eq!(found.len(), 1, "one data-total: {found:?}");
    found[0]
        .parse()
        .unwrap_or_else(|_| panic!("data-total is not a number: {:?}", found[0]))
}

/// What a form shows in field `name`: an input's `value`, the selected option of a select,
/// the checked radio button, or a textarea's text.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let one = |css: &str| {
        let selector = Selector::parse(css).unwrap();
        doc.select(&selector).next().map(|e| {
            e.value()
                .attr("value")
                .map(str::to_owned)
                .unwrap_or_else(|| e.text().collect())
        })
    };
    one(&format!(r#"input[name="{name}"][type="radio"][checked]"#))
        .or_else(|| one(&format!(r#"select[name="{name}"] option[selected]"#)))
        .or_else(|| one(&format!(r#"textarea[name="{name}"]"#)))
        .or_else(|| {
            one(&format!(
                r#"input[name="{name}"]:not([type="radio"]):not([type="checkbox"])"#
            ))
        })
}

/// How many controls of the page post to an address under `/area-clienti/gestione-utenze/`:
/// forms with such an action, and buttons with such a `formaction` (the list is one form).
pub fn management_forms(html: &str) -> usize {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(&format!(
        r#"form[action^="{GU}/"], button[formaction^="{GU}/"], button[formaction^="gestione-utenze/"]"#
    ))
    .unwrap();
    doc.select(&selector).count()
}

// ---------------------------------------------------------------------------------------
// Servizio Clienti 191: operators log in with the password and then their authenticator
// app, which they enrol at their first login (and after `staff reset-factors`).

/// Where an operator's login goes after the password, with an app and without.
pub const STAFF_VERIFY: &str = "/assistenza/accedi/verifica";
pub const STAFF_ENROL: &str = "/assistenza/sicurezza/attiva";

impl TestApp {
    /// Creates the operator, as `area-clienti staff add` does.
    pub async fn add_staff(&self, username: &str, password: &str) {
        let hasher = area_clienti::auth::PasswordHasher::new(1).unwrap();
        area_clienti::support::add_staff(&self.pool, &hasher, username, password)
            .await
            .expect("staff account");
    }

    /// Logs the operator in at `/assistenza/accedi` as a person does: the password, then
    /// either the app's code at `/assistenza/accedi/verifica` (from the app's secret, as the
    /// phone computes it) or, without an app yet, its enrolment at
    /// `/assistenza/sicurezza/attiva` from the secret on the page. Returns the last answer:
    /// 303 to `/assistenza`, or the recovery codes page (200) after an enrolment.
    pub async fn log_staff_in(
        &self,
        browser: &Browser,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = browser.staff_csrf().await;
        let form = [
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf),
        ];
        let response = browser.post_raw("/assistenza/accedi", &form).await;
        if response.status() != StatusCode::SEE_OTHER {
            return response;
        }
        match location(&response).as_str() {
            STAFF_VERIFY => {
                let code = self.staff_app_code(username).await;
                browser
                    .post_staff_form(STAFF_VERIFY, &[("code", &code)])
                    .await
            }
            STAFF_ENROL => {
                let (status, page) = browser.get_html(STAFF_ENROL).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                let now = self.clock().now().unix_timestamp();
                let code = area_clienti::auth::factors::totp::code_at(&totp_secret_on(&page), now);
                browser
                    .post_staff_form(STAFF_ENROL, &[("code", &code)])
                    .await
            }
            _ => response,
        }
    }

    /// A new operator with their app enrolled, logged in to the console in a browser of
    /// their own.
    pub async fn staff_logged_in(&self, username: &str, password: &str) -> Browser {
        self.add_staff(username, password).await;
        let browser = Browser::new(&self.address);
        let done = self.log_staff_in(&browser, username, password).await;
        assert_eq!(
            done.status(),
            StatusCode::OK,
            "app enrolled at the first login"
        );
        assert_eq!(
            browser.get("/assistenza").await.status(),
            StatusCode::OK,
            "the console opens"
        );
        browser
    }

    /// A code of the operator's app that it has not used yet: the current step's, or the
    /// next one's (one step of drift is accepted) when the current one was just used; the
    /// clock moves on when both were.
    pub async fn staff_app_code(&self, username: &str) -> String {
        let (secret, last_step): (Vec<u8>, Option<i64>) = sqlx::query_as(
            "SELECT a.secret, a.last_step FROM authenticator_apps a
             JOIN staff_users s ON s.id = a.staff_id WHERE lower(s.username) = lower($1)",
        )
        .bind(username)
        .fetch_one(&self.pool)
        .await
        .expect("the operator has an app");
        let last = last_step.unwrap_or(i64::MIN);
        let step = self.clock().now().unix_timestamp() / 30;
        let fresh = (step - 1..=step + 1).find(|s| *s > last);
        let fresh = fresh.unwrap_or_else(|| {
            self.advance_clock(time::Duration::seconds(30));
            step + 2
        });
        area_clienti::auth::factors::totp::code_at(&secret, fresh * 30)
    }
}

impl Browser {
    /// The CSRF token of this browser's staff session (the console has a cookie of its own).
    pub async fn staff_csrf(&self) -> String {
        let (_, html) = self.get_html("/assistenza/accedi").await;
        hidden_input(&html, "csrf_token").expect("csrf field on /assistenza/accedi")
    }

    /// Submits a console form with the staff session's CSRF field.
    pub async fn post_staff_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.staff_csrf().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        self.post_raw(path, &form).await
    }
}
