//! `spawn_app()`: the real portal on a random port, against its own throwaway PostgreSQL
//! database, a real SMTP sink and a stub HTTP SMS gateway. `Browser` is one person's
//! cookie jar, with one method per thing a person does.

use std::time::Duration;

use area_clienti::app::Application;
use area_clienti::config::{Config, Settings};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::support::sms_gateway::{SMS_TOKEN, SmsGateway, code_in};
use crate::support::smtp_sink::{ReceivedEmail, SmtpSink};

pub const API_TOKEN: &str = "test-internal-token";
const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Links in emails point here; tests follow them on the app's real address.
pub const PUBLIC_BASE_URL: &str = "http://portale.test";

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub smtp: SmtpSink,
    pub sms: SmsGateway,
    pub browser: Browser,
    pub config: Config,
    pub database_url: String,
    db_name: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings adjusted first (e.g. dev-mailbox transports).
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    area_clienti::telemetry::init();
    let db_name = format!("ac_test_{}", Uuid::new_v4().simple());
    let smtp = SmtpSink::start().await;
    let sms = SmsGateway::start().await;
    let settings = Settings {
        database_url: format!("postgres://postgres@127.0.0.1:5432/{db_name}"),
        bind_addr: "127.0.0.1:0".into(),
        public_base_url: PUBLIC_BASE_URL.into(),
        smtp_url: Some(smtp.url()),
        mail_from: "Area Clienti <no-reply@portale.test>".into(),
        sms_gateway_url: Some(sms.url()),
        sms_gateway_token: Some(SMS_TOKEN.into()),
        internal_api_token: Some(API_TOKEN.into()),
        outbox_retry_base_ms: 200,
        outbox_max_attempts: 5,
    };
    let mut settings = settings;
    customize(&mut settings);
    let config = Config::from_settings(&settings).expect("test config");
    let database_url = settings.database_url.clone();
    let app = Application::build(config.clone()).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool().clone();
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
        config,
        database_url,
        address,
        pool,
        smtp,
        sms,
        db_name,
        stop: Some(stop),
        server: Some(server),
    }
}

impl Drop for TestApp {
    /// Stops the app and drops its database, so test runs leave nothing behind.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        let db_name = self.db_name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(ADMIN_URL).await {
                    let _ = conn.execute(format!(r#"DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)"#).as_str()).await;
                }
            });
        })
        .join();
    }
}

/// A purchase body as a sales channel sends it.
pub fn contract_body(contract_id: &str, vat: &str, email: &str, mobile: Option<&str>, lines: &[&str]) -> Value {
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
        let body = contract_body("CTR-1", VAT_A, email, mobile, &["+393401112233", "+393401112234"]);
        assert_eq!(self.post_contract(&body).await.status(), StatusCode::CREATED);
        self.smtp.wait_for_to(email).await
    }

    /// Activates the account of `email` from its username email, with SMS or email code.
    pub async fn activate(&self, browser: &Browser, mail: &ReceivedEmail, mobile: Option<&str>, password: &str) -> reqwest::Response {
        let link = activation_path(mail);
        browser.post_form(&format!("{link}/codice"), &[]).await;
        let code = self.wait_for_code(&mail.to[0], mobile).await;
        let response = browser.post_form(&link, &[("code", &code)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        browser
            .post_form(&format!("{link}/password"), &[("password", password), ("password_confirm", password)])
            .await
    }

    /// The latest verification code sent to the user: by SMS, or by email without a mobile.
    pub async fn wait_for_code(&self, email: &str, mobile: Option<&str>) -> String {
        match mobile {
            Some(m) => code_in(&self.sms.wait_for_to(m).await.text),
            None => {
                let mail = self
                    .smtp
                    .wait_for(|m| m.to.iter().any(|t| t == email) && m.subject.contains("codice"), Duration::from_secs(10))
                    .await;
                code_in(&mail.text)
            }
        }
    }

    /// Waits until `sql` (a boolean query) holds, polling the database; panics after 10 s.
    pub async fn wait_until(&self, sql: &str) {
        for _ in 0..200 {
            if sqlx::query_scalar::<_, bool>(sql).fetch_one(&self.pool).await.unwrap() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("still false after 10 s: {sql}");
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

/// The path of the activation link in a username email (`/attivazione/{token}`).
pub fn activation_path(mail: &ReceivedEmail) -> String {
    let start = mail.text.find(PUBLIC_BASE_URL).expect("link in email") + PUBLIC_BASE_URL.len();
    mail.text[start..].split_whitespace().next().unwrap().to_owned()
}

/// One person at one browser: own cookies, no automatic redirects (tests check them).
pub struct Browser {
    pub client: reqwest::Client,
    pub address: String,
}

impl Browser {
    pub fn new(address: &str) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser { client, address: address.to_owned() }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.unwrap()
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
        self.client.post(format!("{}{path}", self.address)).form(form).send().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_form("/accedi", &[("username", username), ("password", password)]).await
    }
}

pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(&format!(r#"input[name="{name}"]"#)).unwrap();
    doc.select(&selector).next().and_then(|e| e.value().attr("value")).map(str::to_owned)
}

/// Text of the elements matching a CSS selector (e.g. `.field-error`).
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    doc.select(&selector).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}
