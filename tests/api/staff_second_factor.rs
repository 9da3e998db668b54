//! Servizio Clienti 191 operators never get in with a password alone (CONTRACT.md §4b): the
//! first login enrols an authenticator app at `/assistenza/sicurezza/attiva` before any
//! other console page opens, and every later login asks the app's code (accepted once) or
//! a recovery code at `/assistenza/accedi/verifica`. Never an SMS.

use area_clienti::auth::factors::totp;
use reqwest::StatusCode;

use crate::helpers::{
    Browser, STAFF_ENROL, STAFF_VERIFY, TestApp, location, spawn_app, texts, totp_secret_on,
};

const STAFF: &str = "operatore.sara";
const PASSWORD: &str = "Centralino di Bari 191 turno serale";
const CONSOLE: &str = "/assistenza";
const LOGIN: &str = "/assistenza/accedi";

/// The password step at `/assistenza/accedi`, in a fresh browser; its answer's location.
async fn password_step(app: &TestApp) -> (Browser, String) {
    let browser = Browser::new(&app.address);
    let csrf = browser.staff_csrf().await;
    let form = [
        ("username", STAFF),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    let response = browser.post_raw(LOGIN, &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    (browser, location(&response))
}

async fn type_code(browser: &Browser, path: &str, code: &str) -> reqwest::Response {
    browser.post_staff_form(path, &[("code", code)]).await
}

/// The enrolment at the operator's first login: the secret on the page and the recovery
/// codes shown once.
async fn enrol(app: &TestApp, browser: &Browser) -> (Vec<u8>, Vec<String>) {
    let (status, page) = browser.get_html(STAFF_ENROL).await;
    assert_eq!(status, StatusCode::OK);
    let secret = totp_secret_on(&page);
    let code = totp::code_at(&secret, app.clock().now().unix_timestamp());
    let done = type_code(browser, STAFF_ENROL, &code).await;
    assert_eq!(done.status(), StatusCode::OK);
    let page = done.text().await.unwrap();
    assert!(
        page.contains(r#"href="/assistenza""#),
        "a way on to the console"
    );
    (secret, texts(&page, "#codici-recupero li"))
}

/// A 6-digit code that the app does not show now (nor one step either side).
fn wrong_code(app: &TestApp, secret: &[u8]) -> String {
    let now = app.clock().now().unix_timestamp();
    let shown: Vec<String> = [-30, 0, 30].map(|d| totp::code_at(secret, now + d)).into();
    ["123456", "654321", "111111"]
        .into_iter()
        .find(|c| !shown.iter().any(|s| s == c))
        .unwrap()
        .to_owned()
}

async fn staff_event_details(app: &TestApp, action: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar("SELECT details FROM staff_events WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_first_login_only_enrols_the_app_and_no_other_console_page_opens_until_then() {
    let app = spawn_app().await;
    app.add_staff(STAFF, PASSWORD).await;

    let (browser, to) = password_step(&app).await;

    assert_eq!(to, STAFF_ENROL);
    let company = format!("{CONSOLE}/aziende/{}", uuid::Uuid::new_v4());
    for path in [CONSOLE, "/assistenza?q=rossi", company.as_str()] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), STAFF_ENROL, "{path}");
    }
    let resend = format!("/assistenza/utenti/{}/reinvia", uuid::Uuid::new_v4());
    let posted = browser
        .post_staff_form(&resend, &[("reason", "ticket 1")])
        .await;
    assert_eq!(location(&posted), STAFF_ENROL);
    let (_, first) = browser.get_html(STAFF_ENROL).await;
    let (_, again) = browser.get_html(STAFF_ENROL).await;
    assert!(first.contains("<svg"), "QR code inline");
    assert_eq!(totp_secret_on(&first), totp_secret_on(&again), "one secret");
    assert!(!first.contains("SMS"), "staff never get SMS codes");

    let wrong = type_code(
        &browser,
        STAFF_ENROL,
        &wrong_code(&app, &totp_secret_on(&first)),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = wrong.text().await.unwrap();
    assert!(page.contains(r#"id="code-error""#), "{page}");
    assert!(page.contains(r#"aria-describedby="code-error""#), "{page}");
    assert_eq!(location(&browser.get(CONSOLE).await), STAFF_ENROL);

    let (_, codes) = enrol(&app, &browser).await;

    assert_eq!(codes.len(), 10);
    assert_eq!(browser.get(CONSOLE).await.status(), StatusCode::OK);
    assert_eq!(location(&browser.get(STAFF_ENROL).await), CONSOLE);
    let logins = staff_event_details(&app, "assistenza_accesso").await;
    assert_eq!(logins, [serde_json::json!({"solo_attivazione": true})]);
    for action in ["app_autenticazione_attivata", "codici_recupero_generati"] {
        assert_eq!(staff_event_details(&app, action).await.len(), 1, "{action}");
    }
    app.assert_holds(
        "SELECT count(*) = 10 FROM recovery_codes WHERE staff_id IS NOT NULL AND used_at IS NULL",
    )
    .await;
}

#[tokio::test]
async fn with_an_app_the_password_alone_opens_nothing_and_an_app_code_is_accepted_once() {
    let app = spawn_app().await;
    app.staff_logged_in(STAFF, PASSWORD).await;

    let (browser, to) = password_step(&app).await;

    assert_eq!(to, STAFF_VERIFY);
    assert_eq!(
        location(&browser.get(CONSOLE).await),
        LOGIN,
        "not logged in"
    );
    let (status, page) = browser.get_html(STAFF_VERIFY).await;
    assert_eq!(status, StatusCode::OK);
    assert!(texts(&page, "label[for=code]")[0].contains("codice di recupero"));
    let code = app.staff_app_code(STAFF).await;
    let passed = type_code(&browser, STAFF_VERIFY, &code).await;
    assert_eq!(location(&passed), CONSOLE);
    assert_eq!(browser.get(CONSOLE).await.status(), StatusCode::OK);
    let logins = staff_event_details(&app, "assistenza_accesso").await;
    assert_eq!(logins.last().unwrap()["fattore"], "app");

    let (other, _) = password_step(&app).await;
    let replayed = type_code(&other, STAFF_VERIFY, &code).await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
    let page = replayed.text().await.unwrap();
    assert!(
        page.contains("già usato") && page.contains("4 tentativi"),
        "{page}"
    );
    assert!(page.contains(r#"aria-describedby="code-hint code-error""#));
    assert_eq!(location(&other.get(CONSOLE).await), LOGIN);
    assert_eq!(
        staff_event_details(&app, "secondo_fattore_errato")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_recovery_code_logs_an_operator_in_once() {
    let app = spawn_app().await;
    app.add_staff(STAFF, PASSWORD).await;
    let (first, _) = password_step(&app).await;
    let (_, codes) = enrol(&app, &first).await;
    let typed = codes[0].to_lowercase().replace('-', " ");

    let (browser, _) = password_step(&app).await;
    let passed = type_code(&browser, STAFF_VERIFY, &typed).await;

    assert_eq!(location(&passed), CONSOLE);
    assert_eq!(browser.get(CONSOLE).await.status(), StatusCode::OK);
    let logins = staff_event_details(&app, "assistenza_accesso").await;
    assert_eq!(logins.last().unwrap()["fattore"], "codice_recupero");
    let (again, _) = password_step(&app).await;
    let reused = type_code(&again, STAFF_VERIFY, &codes[0]).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    app.assert_holds("SELECT count(*) = 9 FROM recovery_codes WHERE used_at IS NULL")
        .await;
}

#[tokio::test]
async fn the_fifth_wrong_code_ends_the_attempt_and_the_codes_count_in_the_staff_throttle() {
    let app = spawn_app().await;
    app.staff_logged_in(STAFF, PASSWORD).await;
    let (browser, _) = password_step(&app).await;
    let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM authenticator_apps")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let wrong = wrong_code(&app, &secret);

    for left in [4, 3, 2, 1] {
        let response = type_code(&browser, STAFF_VERIFY, &wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let page = response.text().await.unwrap();
        assert!(page.contains(&format!("{left} tentativ")), "{left}: {page}");
    }
    let fifth = type_code(&browser, STAFF_VERIFY, &wrong).await;

    assert_eq!(location(&fifth), LOGIN);
    let (_, login) = browser.get_html(LOGIN).await;
    assert!(texts(&login, ".notice")[0].contains("annullato"), "{login}");
    assert_eq!(location(&browser.get(STAFF_VERIFY).await), LOGIN);
    let late = type_code(&browser, STAFF_VERIFY, &app.staff_app_code(STAFF).await).await;
    assert_eq!(location(&late), LOGIN, "the attempt is over");
    assert_eq!(location(&browser.get(CONSOLE).await), LOGIN);
    assert_eq!(
        staff_event_details(&app, "secondo_fattore_errato")
            .await
            .len(),
        5
    );
    // The codes are failures of the operator's account in the staff namespace: even the
    // right password waits now, while a customer with the same name would not.
    app.assert_holds(
        "SELECT count(*) = 5 FROM rate_limit_events
         WHERE key = 'login:fallito:account:assistenza:operatore.sara'",
    )
    .await;
    let csrf = Browser::new(&app.address);
    let token = csrf.staff_csrf().await;
    let form = [
        ("username", STAFF),
        ("password", PASSWORD),
        ("csrf_token", &token),
    ];
    let blocked = csrf.post_raw(LOGIN, &form).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_app_enrolled_from_another_browser_does_not_open_a_password_only_session() {
    let app = spawn_app().await;
    app.add_staff(STAFF, PASSWORD).await;
    let (first, _) = password_step(&app).await;
    let (second, _) = password_step(&app).await;
    let (_, page) = second.get_html(STAFF_ENROL).await;
    let second_secret = totp_secret_on(&page);
    enrol(&app, &first).await;

    let code = totp::code_at(&second_secret, app.clock().now().unix_timestamp());
    let late = type_code(&second, STAFF_ENROL, &code).await;

    assert_eq!(location(&late), LOGIN);
    assert_eq!(location(&second.get(CONSOLE).await), LOGIN);
    let (_, login) = second.get_html(LOGIN).await;
    assert!(
        texts(&login, ".notice")[0].contains("già attivata"),
        "{login}"
    );
    app.assert_holds("SELECT count(*) = 1 FROM authenticator_apps")
        .await;
    assert_eq!(first.get(CONSOLE).await.status(), StatusCode::OK);
}
