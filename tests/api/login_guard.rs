//! The login use case under attack: parallel guesses, control characters, staff audit and
//! re-authentication throttling.

use reqwest::StatusCode;

use crate::helpers::{Browser, LR_EMAIL, PASSWORD, spawn_app, texts};

const UNKNOWN: &str = "nessuno@example.it";

#[tokio::test]
async fn a_parallel_burst_of_guesses_gets_only_the_free_failures() {
    let app = spawn_app().await;
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let browser = Browser::new(&app.address);
        guesses.spawn(async move {
            browser
                .login(UNKNOWN, "indovino a caso 1234")
                .await
                .status()
        });
    }

    let answers = guesses.join_all().await;

    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((refused, throttled), (5, 15), "{answers:?}");
    let counted = app
        .count(&format!(
            "SELECT count(*) FROM rate_limit_events WHERE key = 'login:fallito:account:{UNKNOWN}'"
        ))
        .await;
    assert_eq!(counted, 5);
}

#[tokio::test]
async fn a_nul_in_the_username_answers_as_an_unknown_account() {
    let app = spawn_app().await;

    let unknown = app.browser.login(UNKNOWN, PASSWORD).await;
    let nul = app.browser.login("nessuno\0@example.it", PASSWORD).await;
    let nul_password = app.browser.login(UNKNOWN, "pass\0word").await;

    for response in [unknown, nul, nul_password] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let summary = texts(&response.text().await.unwrap(), ".error-summary");
        assert!(
            summary[0].contains("Username o password non corretti"),
            "{summary:?}"
        );
    }
}

async fn staff_login(app: &crate::helpers::TestApp, username: &str, password: &str) -> StatusCode {
    let browser = Browser::new(&app.address);
    let (_, page) = browser.get_html("/assistenza/accedi").await;
    let csrf = crate::helpers::hidden_input(&page, "csrf_token").unwrap();
    let form = [
        ("username", username),
        ("password", password),
        ("csrf_token", &csrf),
    ];
    browser.post_raw("/assistenza/accedi", &form).await.status()
}

#[tokio::test]
async fn staff_logins_are_audited_and_a_nul_answers_as_unknown() {
    let app = spawn_app().await;
    let hasher = area_clienti::auth::PasswordHasher::new(1).unwrap();
    area_clienti::support::add_staff(&app.pool, &hasher, "operatore.luca", PASSWORD)
        .await
        .unwrap();

    assert_eq!(
        staff_login(&app, "operatore.luca", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        staff_login(&app, "operatore.luca", "sbagliata davvero 99").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        staff_login(&app, "operatore\0luca", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );

    let events = app
        .count("SELECT count(*) FROM staff_events WHERE action = 'assistenza_accesso'")
        .await;
    let failures = app
        .count("SELECT count(*) FROM staff_events WHERE action = 'assistenza_accesso_fallito'")
        .await;
    assert_eq!((events, failures), (1, 1));
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_and_audited() {
    let app = spawn_app().await;
    let browser = app.logged_in_legal_representative().await;

    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = browser
            .post_form(
                "/area-clienti/profilo/password",
                &[
                    ("current_password", "non è la mia password 1"),
                    ("password", "Una nuova password lunga 2027"),
                    ("password_confirm", "Una nuova password lunga 2027"),
                ],
            )
            .await;
        statuses.push(response.status());
    }

    assert!(
        statuses[..5]
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY)
    );
    let failures = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'riautenticazione_fallita'")
        .await;
    assert_eq!(failures, 5, "the sixth is throttled before any check");
    let key = format!("login:fallito:account:riautenticazione:{LR_EMAIL}");
    let counted = app
        .count(&format!(
            "SELECT count(*) FROM rate_limit_events WHERE key = '{key}'"
        ))
        .await;
    assert_eq!(counted, 5);
}

/// Two logins from one address finishing at the same moment each take back their own
/// reservation: the address's count never creeps up with successful logins (it did when
/// both took back the same event, and the bench's parallel logins then throttled
/// everyone from that address after 50 of them).
#[tokio::test]
async fn concurrent_successes_take_back_their_own_reservations() {
    use area_clienti::db::rate_limits;
    let app = spawn_app().await;
    let key = "login:fallito:client:192.0.2.7";
    let mut setup = app.pool.acquire().await.unwrap();
    rate_limits::record(&mut setup, key).await.unwrap();
    rate_limits::record(&mut setup, key).await.unwrap();
    drop(setup);

    let mut first = app.pool.begin().await.unwrap();
    rate_limits::forget(&mut first, &[], &[key]).await.unwrap();
    // The second forget runs while the first has not committed yet.
    let pool = app.pool.clone();
    let second = tokio::spawn(async move {
        let mut tx = pool.begin().await.unwrap();
        rate_limits::forget(&mut tx, &[], &[key]).await.unwrap();
        tx.commit().await.unwrap();
    });
    let waited = tokio::time::timeout(std::time::Duration::from_secs(5), second).await;
    first.commit().await.unwrap();
    waited
        .expect("the second forget does not wait for the first")
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM rate_limit_events WHERE key = $1")
        .bind(key)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "each took back its own event");
}

/// A right password leaves nothing against the address it came from; a wrong one counts
/// once for the account typed and once for the address (whose limit counts failures).
#[tokio::test]
async fn only_wrong_passwords_count_against_the_address() {
    let app = spawn_app().await;
    let address_failures = async || {
        app.count(
            "SELECT count(*) FROM rate_limit_events WHERE key = 'login:fallito:client:127.0.0.1'",
        )
        .await
    };

    app.logged_in_legal_representative().await;
    let right = Browser::new(&app.address).login(LR_EMAIL, PASSWORD).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(address_failures().await, 0);

    let wrong = Browser::new(&app.address)
        .login(UNKNOWN, "indovino a caso 1234")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(address_failures().await, 1);
    let account_failures = app
        .count(&format!(
            "SELECT count(*) FROM rate_limit_events WHERE key = 'login:fallito:account:{UNKNOWN}'"
        ))
        .await;
    assert_eq!(account_failures, 1);
}
