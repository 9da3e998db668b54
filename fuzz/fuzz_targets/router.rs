//! The whole portal: each input is split by `area_clienti::fuzzing::split` into a route, a
//! path segment, a query and a body, sent through the app's router (all layers, real
//! PostgreSQL) as a logged-in customer, operator, anonymous visitor or sales channel, and
//! must not answer 5xx. The app is built once, against a fresh database `ac_fuzz_router`
//! on `FUZZ_DATABASE_URL`'s server (default `postgres://postgres@127.0.0.1:5432`). The same
//! split and check replay `fuzz/seeds/router/` in `tests/api/router_seeds.rs`.
#![no_main]

use std::sync::OnceLock;

use area_clienti::actor::Actor;
use area_clienti::app::Application;
use area_clienti::auth::PasswordHasher;
use area_clienti::auth::factors::{self, Holder, totp};
use area_clienti::config::{Config, Settings};
use area_clienti::domain::password::Password;
use area_clienti::fuzzing::{self, Session, World};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use libfuzzer_sys::fuzz_target;
use sqlx::{Connection, Executor, PgConnection};
use tokio::runtime::Runtime;
use tower::ServiceExt;

const DATABASE: &str = "ac_fuzz_router";
const API_TOKEN: &str = "fuzz-internal-token";
const PASSWORD: &str = "Tramonto sul lago di Garda 2026";
const LR_EMAIL: &str = "maria.rossi@example.it";
const STAFF: &str = "operatore.fuzz";

struct Portal {
    runtime: Runtime,
    router: Router,
    world: World,
}

fn portal() -> &'static Portal {
    static PORTAL: OnceLock<Portal> = OnceLock::new();
    PORTAL.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (router, world) = runtime.block_on(build());
        Portal {
            runtime,
            router,
            world,
        }
    })
}

fn server() -> String {
    std::env::var("FUZZ_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh database, the app on it, one company with an employee, an operator, and a
/// session for each caller.
async fn build() -> (Router, World) {
    let mut admin = PgConnection::connect(&format!("{}/postgres", server()))
        .await
        .expect("admin connection");
    admin
        .execute(format!(r#"DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)"#).as_str())
        .await
        .expect("drop the previous run's database");
    let settings = Settings {
        database_url: format!("{}/{DATABASE}", server()),
        bind_addr: "127.0.0.1:0".into(),
        public_base_url: "http://portale.test".into(),
        smtp_url: None,
        mail_from: "Area Clienti <no-reply@portale.test>".into(),
        sms_gateway_url: None,
        dev_mailbox: true,
        trusted_proxies: String::new(),
        sms_gateway_token: None,
        sms_gateway_timeout_ms: 10_000,
        internal_api_token: Some(API_TOKEN.into()),
        outbox_retry_base_ms: 200,
        outbox_max_attempts: 5,
        outbox_lease_secs: 120,
        background_worker: false,
        // The target drives the pages behind the login; the second step of a login has
        // its own routes in `ROUTES` and its own tests (tests/api/second_factor.rs).
        mfa_required_for: String::new(),
        http_header_read_timeout_ms: 10_000,
        session_cleanup_interval_secs: 300,
        client_requests_per_minute: 0,
    };
    let app = Application::build(Config::from_settings(&settings).expect("config"))
        .await
        .expect("app builds");
    let router = app.router();
    let mut world = seed(&app).await;
    world.anonymous = anonymous_session(&router).await;
    let (cookie, _) = login(&router, "/accedi", LR_EMAIL).await;
    world.customer = session_on(&router, cookie, "/area-clienti/gestione-utenze/aggiungi").await;
    world.staff = staff_session(&app, &router).await;
    (router, world)
}

/// A contract through the API, as a sales channel sends it.
async fn post_contract(app: &Application, contract: String) {
    let request = Request::post("/api/v1/contratti")
        .header(header::AUTHORIZATION, format!("Bearer {API_TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(contract))
        .unwrap();
    let created = app.router().oneshot(request).await.unwrap();
    assert!(
        created.status().is_success(),
        "seed contract: {}",
        created.status()
    );
}

/// A second company, whose legal representative has not activated yet: the token of the
/// activation link in their username email (delivered to the dev mailbox).
async fn pending_link_token(app: &Application) -> String {
    let spec = include_str!("../seeds/contract_json/spec_example.json");
    let second = spec
        .replace("CTR-2026-000123", "CTR-FUZZ-B")
        .replace("01234567897", "12345678903")
        .replace("maria.rossi@", "luca.verdi@")
        .replace("+3934011122", "+3934099900");
    post_contract(app, second).await;
    area_clienti::notify::worker::drain(&app.worker())
        .await
        .expect("username emails delivered");
    let (text,): (String,) = sqlx::query_as(
        "SELECT body_text FROM dev_mailbox WHERE recipient = 'luca.verdi@example.it' \
         AND body_text LIKE '%/attivazione/%' LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .expect("the username email");
    let start = text.find("/attivazione/").expect("a link") + "/attivazione/".len();
    text[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The spec's first contract through the API, its legal representative made active with
/// `PASSWORD`, an employee, an operator, and a second company's pending activation link.
async fn seed(app: &Application) -> World {
    post_contract(
        app,
        include_str!("../seeds/contract_json/spec_example.json").into(),
    )
    .await;
    let link_token = pending_link_token(app).await;
    let hasher = PasswordHasher::new(1).unwrap();
    let password = Password::parse(PASSWORD, PASSWORD, &[]).expect("strong");
    let hash = hasher.hash(&password).await.unwrap();
    let pool = app.pool();
    let (company_id,): (uuid::Uuid,) = sqlx::query_as(
        "UPDATE users SET state = 'attivo', password_hash = $1, activated_at = now() \
         WHERE lower(username) = lower($2) RETURNING company_id",
    )
    .bind(&hash)
    .bind(LR_EMAIL)
    .fetch_one(pool)
    .await
    .expect("legal representative");
    let user_id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, company_id, username, email, first_name, last_name, profile, state) \
         VALUES ($1, $2, 'luca@example.it', 'luca@example.it', 'Luca', 'Bianchi', \
         'utilizzatore'::profile, 'da_registrare'::registration_state)",
    )
    .bind(user_id)
    .bind(company_id)
    .execute(pool)
    .await
    .expect("employee");
    let (line_id,): (uuid::Uuid,) =
        sqlx::query_as("SELECT id FROM mobile_lines WHERE company_id = $1 LIMIT 1")
            .bind(company_id)
            .fetch_one(pool)
            .await
            .expect("a line");
    area_clienti::support::add_staff(pool, &hasher, STAFF, PASSWORD)
        .await
        .expect("operator");
    enrol_staff_app(app).await;
    World {
        user_id: user_id.to_string(),
        line_id: line_id.to_string(),
        company_id: company_id.to_string(),
        link_token,
        api_token: API_TOKEN.into(),
        ..World::default()
    }
}

async fn send(router: &Router, request: Request<Body>) -> (Response<Body>, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Response::from_parts(parts, Body::empty()), text)
}

/// The `name=value` of the session cookie the answer sets, if any.
fn set_cookie(response: &Response<Body>) -> Option<String> {
    let value = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    value.split(';').next().map(str::to_owned)
}

/// The value of the page's hidden CSRF field.
fn csrf_in(html: &str) -> String {
    let start = html
        .find(r#"name="csrf_token" value=""#)
        .expect("a CSRF field")
        + 25;
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

async fn anonymous_session(router: &Router) -> Session {
    let (response, html) = send(router, get("/accedi", None)).await;
    Session {
        cookie: set_cookie(&response),
        csrf: csrf_in(&html),
    }
}

/// The secret of the operator's app, enrolled as its first login would (staff never get
/// in with a password alone).
const STAFF_SECRET: &[u8; 20] = b"fuzz-operator-secret";

async fn enrol_staff_app(app: &Application) {
    let mut conn = app.pool().acquire().await.expect("a connection");
    let id = area_clienti::db::staff::id_of(&mut conn, STAFF)
        .await
        .unwrap();
    let staff = area_clienti::db::staff::find(&mut conn, id.expect("operator"))
        .await
        .unwrap()
        .expect("enabled operator");
    drop(conn);
    let now = app.clock().now();
    let code = totp::code_at(STAFF_SECRET, now.unix_timestamp());
    let holder = Holder::Staff(&staff);
    factors::enrol_app(
        app.pool(),
        holder,
        &Actor::system(),
        STAFF_SECRET,
        &code,
        now,
    )
    .await
    .expect("app enrolled");
}

/// The operator's password, then the app's code of the next step (the current one
/// confirmed the enrolment; one step of drift is accepted).
async fn staff_session(app: &Application, router: &Router) -> Session {
    let (cookie, html) = login(router, "/assistenza/accedi", STAFF).await;
    let next_step = app.clock().now().unix_timestamp() + 30;
    let body = format!(
        "csrf_token={}&code={}",
        csrf_in(&html),
        totp::code_at(STAFF_SECRET, next_step)
    );
    let (response, _) = send(router, post("/assistenza/accedi/verifica", &cookie, body)).await;
    assert_eq!(response.status(), 303, "the operator's code");
    let cookie = set_cookie(&response).unwrap_or(cookie);
    session_on(router, cookie, "/assistenza").await
}

fn post(path: &str, cookie: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// Logs `username` in at `form` with the password; the session cookie after it and the
/// login page (its CSRF token holds for the session).
async fn login(router: &Router, form: &str, username: &str) -> (String, String) {
    let (response, html) = send(router, get(form, None)).await;
    let cookie = set_cookie(&response).expect("a session cookie");
    let body = format!(
        "csrf_token={}&username={username}&password={}",
        csrf_in(&html),
        PASSWORD.replace(' ', "+")
    );
    let (response, _) = send(router, post(form, &cookie, body)).await;
    assert_eq!(response.status(), 303, "{username} logs in");
    (set_cookie(&response).unwrap_or(cookie), html)
}

/// The session `cookie` and the CSRF token it shows on `page`.
async fn session_on(router: &Router, cookie: String, page: &str) -> Session {
    let (_, html) = send(router, get(page, Some(&cookie))).await;
    Session {
        cookie: Some(cookie),
        csrf: csrf_in(&html),
    }
}

fuzz_target!(|data: &[u8]| {
    let portal = portal();
    let input = fuzzing::split(data);
    let Some(request) = input.to_http(&portal.world, "") else {
        return;
    };
    let response = portal
        .runtime
        .block_on(portal.router.clone().oneshot(request.map(Body::from)))
        .unwrap();
    assert!(
        !response.status().is_server_error(),
        "{} answered {}",
        input.route.key,
        response.status()
    );
});
