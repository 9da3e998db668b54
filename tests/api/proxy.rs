//! Behind a reverse proxy (issue 13, `TRUSTED_PROXIES`): a real nginx in front of the
//! portal, the portal trusting it (127.0.0.1) and nobody else.
//!
//! How clients are told apart, honestly: each `Browser::from_address` connects from an
//! address of its own on the loopback network (127.0.0.2, 127.0.0.3, …), so nginx sees
//! each client's real TCP peer and appends it to `X-Forwarded-For` exactly as it does on
//! the internet. nginx reaches the portal from 127.0.0.1, the one trusted proxy. No hop a
//! client types is believed: whatever it sends stays to the left of the hop nginx appends,
//! and the portal reads the rightmost hop that is not a trusted proxy.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, location, spawn_app_behind_nginx};

/// Failed logins of one client address before it must wait (`auth::throttle`).
const CLIENT_FAILURES: usize = 50;
/// Recovery requests of one client address per minute (`credentials::request`).
const RECOVERY_PER_MINUTE: usize = 10;
const ATTACKER: &str = "127.0.0.2";
const SOMEONE_ELSE: &str = "127.0.0.3";

/// A login at `/accedi` whose request carries `X-Forwarded-For: claimed`.
async fn login_claiming(
    browser: &Browser,
    username: &str,
    password: &str,
    claimed: &str,
) -> reqwest::Response {
    let csrf = browser.csrf().await;
    browser
        .client
        .post(format!("{}/accedi", browser.address))
        .header("x-forwarded-for", claimed)
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap()
}

/// Failures counted for `client` by the login throttle.
async fn failures_of(app: &TestApp, client: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM rate_limit_events WHERE key = $1")
        .bind(format!("login:fallito:client:{client}"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Client keys of the login throttle, whoever they are.
async fn throttled_clients(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT DISTINCT substr(key, length('login:fallito:client:') + 1) FROM rate_limit_events
         WHERE key LIKE 'login:fallito:client:%' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn through_nginx_one_clients_failed_logins_do_not_lock_out_another_and_forged_hops_do_not_help()
 {
    let app = spawn_app_behind_nginx().await;
    let luca = app.seed_employee().await;
    let attacker = Browser::from_address(&app.address, ATTACKER);

    // A different account each time, so only the per-client limit can stop it, and a
    // different forged hop each time, as a script rotating "addresses" would.
    for i in 0..CLIENT_FAILURES {
        let answer = login_claiming(
            &attacker,
            &format!("nessuno{i}@example.it"),
            "indovino a caso 1234",
            &format!("198.51.100.{i}"),
        )
        .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let blocked = login_claiming(&attacker, &luca.username, luca.password, "198.51.100.99").await;
    assert_eq!(
        blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is blocked, the right password notwithstanding"
    );

    let other = Browser::from_address(&app.address, SOMEONE_ELSE);
    let done = other.login(&luca.username, luca.password).await;
    assert_eq!(
        location(&done),
        "/area-clienti",
        "another client behind the same proxy logs in"
    );
    assert_eq!(failures_of(&app, ATTACKER).await, CLIENT_FAILURES as i64);
    assert_eq!(
        throttled_clients(&app).await,
        [ATTACKER],
        "counted for the attacker's real address only: never the proxy's, never a forged hop"
    );
}

#[tokio::test]
async fn a_forged_x_forwarded_for_sent_straight_to_the_portal_changes_nothing() {
    let app = spawn_app_behind_nginx().await;
    let luca = app.seed_employee().await;
    // Skipping the proxy: the portal's peer is the client itself, which is not trusted.
    let attacker = Browser::from_address(&app.direct_address, ATTACKER);
    for i in 0..5 {
        let answer = login_claiming(
            &attacker,
            &format!("nessuno{i}@example.it"),
            "indovino a caso 1234",
            &format!("127.0.0.1, 203.0.113.{i}"),
        )
        .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        throttled_clients(&app).await,
        [ATTACKER],
        "keyed on the peer"
    );
    // The rest of the limit, recorded as the throttle records it (the failures themselves
    // are the previous test's subject).
    let mut conn = app.pool.acquire().await.unwrap();
    for _ in 5..CLIENT_FAILURES {
        area_clienti::db::rate_limits::record(
            &mut conn,
            &format!("login:fallito:client:{ATTACKER}"),
        )
        .await
        .unwrap();
    }
    drop(conn);

    let claimed_elsewhere =
        login_claiming(&attacker, &luca.username, luca.password, "203.0.113.50").await;
    assert_eq!(
        claimed_elsewhere.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "claiming another address does not lift the block"
    );
    let through_proxy = Browser::from_address(&app.address, ATTACKER)
        .login(&luca.username, luca.password)
        .await;
    assert_eq!(
        through_proxy.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the same client through the proxy is the same client"
    );
    let newcomer = Browser::from_address(&app.direct_address, "127.0.0.4");
    let done = login_claiming(&newcomer, &luca.username, luca.password, ATTACKER).await;
    assert_eq!(
        location(&done),
        "/area-clienti",
        "claiming the blocked address does not block another client"
    );
}

#[tokio::test]
async fn through_nginx_one_clients_recovery_requests_do_not_turn_recovery_off_for_another() {
    let app = spawn_app_behind_nginx().await;
    let luca = app.seed_employee().await;
    let attacker = Browser::from_address(&app.address, ATTACKER);
    for i in 0..=RECOVERY_PER_MINUTE {
        let answer = attacker
            .post_form(
                "/recupera-password",
                &[("username", &format!("nessuno{i}@example.it"))],
            )
            .await;
        assert!(answer.status().is_success() || answer.status().is_redirection());
    }
    let other = Browser::from_address(&app.address, SOMEONE_ELSE);
    other
        .post_form("/recupera-password", &[("username", &luca.username)])
        .await;

    let queued: Vec<(String, i64)> =
        sqlx::query_as("SELECT client, count(*) FROM jobs GROUP BY client ORDER BY client")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        queued,
        [
            (ATTACKER.to_owned(), RECOVERY_PER_MINUTE as i64),
            (SOMEONE_ELSE.to_owned(), 1)
        ],
        "the attacker's eleventh request is dropped, the other client's is queued"
    );
    let mail = app.mail_to(&luca.email).await;
    assert!(mail.text.contains("/recupera-password/"), "{}", mail.text);
}

#[tokio::test]
async fn through_nginx_the_audit_the_session_list_and_the_new_login_notice_name_the_client() {
    let app = spawn_app_behind_nginx().await;
    let luca = app.seed_employee().await;
    let (home, away) = ("127.0.0.5", "127.0.0.6");
    let at_home = Browser::from_address(&app.address, home);
    let login = app.log_in(&at_home, &luca.username, luca.password).await;
    assert_eq!(location(&login), "/area-clienti");
    let elsewhere = Browser::from_address(&app.address, away);
    let wrong = elsewhere.login(&luca.username, "non è la password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let login = app.log_in(&elsewhere, &luca.username, luca.password).await;
    assert_eq!(location(&login), "/area-clienti");

    let (status, page) = at_home.get_html("/area-clienti/sicurezza").await;
    assert_eq!(status, StatusCode::OK);
    for client in [home, away] {
        assert!(page.contains(client), "Sicurezza names {client}: {page}");
    }
    assert!(
        !page.contains("127.0.0.1"),
        "never the proxy's address: {page}"
    );

    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT client_addr FROM audit_events WHERE actor_user_id = $1 OR subject_user_id = $1 ORDER BY 1",
    )
    .bind(luca.id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, [home, away]);
    let sessions: Vec<String> = sqlx::query_scalar(
        "SELECT client_addr FROM user_sessions WHERE user_id = $1 ORDER BY client_addr",
    )
    .bind(luca.id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(sessions, [home, away]);

    let notices = app.new_login_notices_to(&luca.email).await;
    assert_eq!(notices.len(), 1, "the second browser is new");
    assert!(notices[0].text.contains(away), "{}", notices[0].text);
}

#[tokio::test]
async fn through_nginx_each_client_has_its_own_request_cap_and_the_proxys_request_id() {
    let app =
        crate::helpers::spawn_app_behind_nginx_with(|s| s.client_requests_per_minute = 5).await;
    let attacker = Browser::from_address(&app.address, ATTACKER);
    for _ in 0..5 {
        assert_eq!(attacker.get("/accedi").await.status(), StatusCode::OK);
    }
    let refused = attacker.get("/accedi").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let page = refused.text().await.unwrap();
    assert!(page.contains("troppe richieste"), "{page}");

    let someone_else = Browser::from_address(&app.address, SOMEONE_ELSE);
    let answer = someone_else
        .client
        .get(format!("{}/accedi", someone_else.address))
        .header("x-request-id", "scelto-dal-cliente")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "another client is not held back"
    );
    // nginx replaces what the client sent with its own `$request_id` (32 hex digits), and
    // the portal, trusting nginx, keeps it: the proxy's log and the portal's name the same
    // request.
    let id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()), "{id}");
}

#[tokio::test]
async fn straight_to_the_portal_a_request_id_sent_by_the_client_is_replaced() {
    let app = spawn_app_behind_nginx().await;
    let direct = Browser::from_address(&app.direct_address, SOMEONE_ELSE);
    let answer = direct
        .client
        .get(format!("{}/accedi", direct.address))
        .header("x-request-id", "scelto-dal-cliente")
        .send()
        .await
        .unwrap();
    let id = answer.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "scelto-dal-cliente");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "a new UUID: {id}");
}
