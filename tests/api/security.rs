//! Login throttling and the metrics endpoint.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, location, spawn_app, texts};

const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";
const PASSWORD: &str = "Tramonto sul lago di Garda 2026";

async fn active_user(app: &TestApp) {
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let activated = app
        .activate(&Browser::new(&app.address), &mail, Some(MOBILE), PASSWORD)
        .await;
    assert_eq!(
        location(&activated),
        "/area-clienti",
        "the account is active"
    );
}

/// `app.browser` is not the browser `active_user` activated with: its first login is from
/// a browser the owner never used, and they are told so by e-mail.
async fn told_of_the_new_browser(app: &TestApp) {
    assert_eq!(app.new_login_notices_to(EMAIL).await.len(), 1);
}

#[tokio::test]
async fn after_five_failed_logins_an_account_must_wait_even_with_the_right_password() {
    let app = spawn_app().await;
    active_user(&app).await;
    for _ in 0..5 {
        assert_eq!(
            app.browser
                .login(EMAIL, "sbagliata sbagliata")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let throttled = app.log_in(&app.browser, EMAIL, PASSWORD).await;

    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let message = texts(&throttled.text().await.unwrap(), ".error-summary").join(" ");
    assert!(
        message.contains("Riprova tra") && message.contains("Recupera Password"),
        "{message}"
    );
}

#[tokio::test]
async fn throttling_looks_the_same_for_unknown_usernames() {
    let app = spawn_app().await;
    active_user(&app).await;
    for who in [EMAIL, "nessuno@example.it"] {
        for _ in 0..5 {
            app.browser.login(who, "sbagliata sbagliata").await;
        }
    }

    let known = app.browser.login(EMAIL, "sbagliata sbagliata").await;
    let unknown = app
        .browser
        .login("nessuno@example.it", "sbagliata sbagliata")
        .await;

    assert_eq!(known.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(unknown.status(), StatusCode::TOO_MANY_REQUESTS);
    let a = texts(&known.text().await.unwrap(), ".error-summary");
    let b = texts(&unknown.text().await.unwrap(), ".error-summary");
    assert_eq!(a, b);
}

#[tokio::test]
async fn the_wait_ends_so_the_real_owner_is_never_locked_out_for_good() {
    let app = spawn_app().await;
    active_user(&app).await;
    for _ in 0..6 {
        app.browser.login(EMAIL, "sbagliata sbagliata").await;
    }
    assert_eq!(
        app.log_in(&app.browser, EMAIL, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    sqlx::query("UPDATE rate_limit_events SET created_at = created_at - interval '20 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let login = app.log_in(&app.browser, EMAIL, PASSWORD).await;

    assert_eq!(location(&login), "/area-clienti");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM rate_limit_events WHERE key LIKE 'login:fallito:account:%'"
        )
        .await,
        0,
        "a successful login forgets the failures"
    );
    told_of_the_new_browser(&app).await;
}

#[tokio::test]
async fn one_client_address_failing_on_many_usernames_is_slowed_down() {
    let app = spawn_app().await;
    for i in 0..50 {
        app.browser
            .login(&format!("utente{i}@example.it"), "sbagliata sbagliata")
            .await;
    }

    let next = app
        .browser
        .login("ancora-un-altro@example.it", "sbagliata sbagliata")
        .await;

    assert_eq!(next.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn metrics_count_requests_by_route_login_failures_and_outbox_state() {
    let app = spawn_app().await;
    active_user(&app).await;
    app.browser.login(EMAIL, "sbagliata sbagliata").await;
    app.outbox_settled().await;

    let response = app.browser.get("/metrics").await;

    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for expected in [
        "http_requests_total{",
        "route=\"/attivazione/{token}\"",
        "http_request_duration_seconds_bucket",
        "login_failures_total",
        "outbox_queued_messages",
        "outbox_oldest_queued_age_seconds",
        "outbox_deliveries_total{",
    ] {
        assert!(text.contains(expected), "{expected} missing from metrics");
    }
    // Routes appear as patterns only: no real link token, no address.
    for mail in app.smtp.messages().await {
        if mail.text.contains("/attivazione/") {
            let path = crate::helpers::activation_path(&mail);
            assert!(!text.contains(&path), "the link {path} is in the metrics");
        }
    }
    assert!(
        text.match_indices("/attivazione/")
            .all(|(at, _)| text[at..].starts_with("/attivazione/{token}")),
        "only the route pattern of activation links in metrics"
    );
    assert!(!text.contains(EMAIL), "no personal data in metrics");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let api = app.post_contract(&serde_json::json!({})).await;
    let responses = [
        app.browser.get("/accedi").await,
        app.browser.get("/non-esiste").await,
        app.browser.get("/static/css/app.css").await,
        app.browser.get("/healthz").await,
        api,
    ];
    for response in &responses {
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline")
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
    assert!(
        responses[0].headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("charset=utf-8")
    );
    assert_eq!(responses[0].headers()["cache-control"], "no-store");
    assert!(
        responses[4].headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
}

#[tokio::test]
async fn over_https_cookies_are_host_prefixed_and_secure_and_hsts_is_sent() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.public_base_url = "https://area-clienti.example.it".into()
    })
    .await;

    let response = app.browser.get("/accedi").await;

    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-") && cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn an_idle_session_expires_and_logins_are_audited() {
    let app = spawn_app().await;
    active_user(&app).await;
    app.browser.login(EMAIL, "sbagliata sbagliata").await;
    assert_eq!(
        location(&app.log_in(&app.browser, EMAIL, PASSWORD).await),
        "/area-clienti"
    );
    assert_eq!(
        app.browser.get("/area-clienti").await.status(),
        StatusCode::OK
    );

    sqlx::query("UPDATE tower_sessions.session SET expiry_date = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();

    assert_eq!(location(&app.browser.get("/area-clienti").await), "/accedi");
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'accesso%' AND client_addr = '127.0.0.1' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, vec!["accesso_fallito", "accesso"]);
    told_of_the_new_browser(&app).await;
}

/// Moves every stored session's idle expiry 10 s back, so that a later rewrite (which sets
/// it to now + the idle lifetime) is seen whatever the clock's resolution.
async fn age_sessions(app: &TestApp) {
    sqlx::query(
        "UPDATE tower_sessions.session SET expiry_date = expiry_date - interval '10 seconds'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
}

/// The latest idle expiry of any stored session.
async fn latest_expiry(app: &TestApp) -> time::OffsetDateTime {
    sqlx::query_scalar("SELECT max(expiry_date) FROM tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn activity_pushes_the_idle_expiry_forward_without_writing_the_session_on_every_page() {
    let app = spawn_app().await;
    active_user(&app).await;
    assert_eq!(
        location(&app.log_in(&app.browser, EMAIL, PASSWORD).await),
        "/area-clienti"
    );
    // As if the login were a while ago: any rewrite of the session now shows.
    age_sessions(&app).await;
    let at_login = latest_expiry(&app).await;

    assert_eq!(
        app.browser.get("/area-clienti").await.status(),
        StatusCode::OK
    );
    let after_first_page = latest_expiry(&app).await;
    assert!(
        after_first_page > at_login,
        "a request after login keeps the session alive: {at_login} → {after_first_page}"
    );
    age_sessions(&app).await;
    let after_first_page = latest_expiry(&app).await;
    for path in ["/area-clienti/profilo", "/area-clienti/gestione-utenze"] {
        assert_eq!(app.browser.get(path).await.status(), StatusCode::OK);
    }

    assert_eq!(
        latest_expiry(&app).await,
        after_first_page,
        "within a minute, pages only read the session"
    );
    told_of_the_new_browser(&app).await;
}

#[tokio::test]
async fn static_files_have_no_directory_listing_and_pages_cannot_be_framed() {
    let app = spawn_app().await;
    assert_eq!(
        app.browser.get("/static/").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.browser.get("/static/css/").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.browser.get("/accedi").await.headers()["x-frame-options"],
        "DENY"
    );
}

#[tokio::test]
async fn staff_logins_are_throttled_too() {
    let app = spawn_app().await;
    let hasher = area_clienti::auth::PasswordHasher::new(1).unwrap();
    area_clienti::support::add_staff(
        &app.pool,
        &hasher,
        "operatore",
        "Centralino di Torino 191 turno",
    )
    .await
    .unwrap();
    let attempt = |password: &'static str| {
        let browser = &app.browser;
        async move {
            let (_, page) = browser.get_html("/assistenza/accedi").await;
            let csrf = crate::helpers::hidden_input(&page, "csrf_token").unwrap();
            browser
                .post_raw(
                    "/assistenza/accedi",
                    &[
                        ("username", "operatore"),
                        ("password", password),
                        ("csrf_token", &csrf),
                    ],
                )
                .await
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("sbagliata sbagliata").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    assert_eq!(
        attempt("Centralino di Torino 191 turno").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn session_ids_live_only_in_cookies_and_carry_at_least_128_random_bits() {
    let app = spawn_app().await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let response = Browser::new(&app.address).get("/accedi").await;
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        let id = cookie
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_owned();
        assert!(id.len() >= 22, "{id}");
        assert!(
            !response.text().await.unwrap().contains(&id),
            "the id is never written in the page"
        );
        ids.insert(id);
    }
    assert_eq!(ids.len(), 20);
    active_user(&app).await;
    let login = app.log_in(&app.browser, EMAIL, PASSWORD).await;
    assert_eq!(
        location(&login),
        "/area-clienti",
        "no session id in the redirect"
    );
    told_of_the_new_browser(&app).await;
}

#[tokio::test]
async fn password_fields_work_with_password_managers() {
    let app = spawn_app().await;
    let (_, login) = app.browser.get_html("/accedi").await;
    assert!(
        login.contains(r#"autocomplete="current-password""#)
            && login.contains(r#"autocomplete="username""#)
    );
    assert!(!login.contains("onpaste"), "pasting is never blocked");
    active_user(&app).await;
    app.log_in(&app.browser, EMAIL, PASSWORD).await;
    let (_, change) = app.browser.get_html("/area-clienti/profilo/password").await;
    assert!(
        change.contains(r#"autocomplete="new-password""#)
            && change.contains(r#"autocomplete="current-password""#)
    );
    told_of_the_new_browser(&app).await;
}

#[tokio::test]
async fn a_fresh_portal_has_no_default_or_shared_accounts() {
    let app = spawn_app().await;
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM staff_users").await, 0);
}
