//! Anonymous form pages write no session row (issue 13): a visitor's CSRF token is the HMAC
//! of a random cookie under a key every instance shares; a login binds a token of its own
//! to the session.

use reqwest::StatusCode;

use crate::helpers::*;

async fn session_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

const ANONYMOUS_FORMS: [&str; 4] = [
    "/accedi",
    "/recupera-password",
    "/reinvio-credenziali",
    "/assistenza/accedi",
];

#[tokio::test]
async fn showing_an_anonymous_form_writes_no_session_row() {
    let app = spawn_app().await;
    for page in ANONYMOUS_FORMS {
        let browser = Browser::new(&app.address);
        for _ in 0..2 {
            let (status, html) = browser.get_html(page).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(hidden_input(&html, "csrf_token").is_some(), "{page}");
        }
    }
    assert_eq!(session_rows(&app).await, 0, "no session for visitors");
}

#[tokio::test]
async fn a_visitors_token_holds_with_its_own_cookie_only() {
    let app = spawn_app().await;
    let user = app.seed_employee().await;
    let visitor = Browser::new(&app.address);
    let token = visitor.csrf().await;
    let other = Browser::new(&app.address);
    assert_ne!(other.csrf().await, token, "each visitor a token of its own");
    let wrong = [
        ("username", user.username.as_str()),
        ("password", "non è la password"),
        ("csrf_token", &token),
    ];
    let refused = other.post_raw("/accedi", &wrong).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "another's token");
    let bare = Browser::new(&app.address);
    let refused = bare.post_raw("/accedi", &wrong).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "no cookie at all");
    let tried = visitor.post_raw("/accedi", &wrong).await;
    assert_eq!(tried.status(), StatusCode::UNAUTHORIZED, "its own: tried");
    // The page shown again after the failure carries the same token, and still no session.
    let right = [
        ("username", user.username.as_str()),
        ("password", user.password),
        ("csrf_token", &token),
    ];
    assert_eq!(session_rows(&app).await, 0);
    let done = visitor.post_raw("/accedi", &right).await;
    assert_eq!(location(&done), "/area-clienti", "logged in");
}

#[tokio::test]
async fn a_login_binds_a_new_token_to_the_session() {
    let app = spawn_app().await;
    let user = app.seed_employee().await;
    let browser = Browser::new(&app.address);
    let before = browser.csrf().await;
    let done = app.log_in(&browser, &user.username, user.password).await;
    assert_eq!(location(&done), "/area-clienti");
    let after = browser.csrf().await;
    assert_ne!(
        after, before,
        "a token learnt before the login is worth nothing after"
    );
    let stale = browser
        .post_raw("/esci", &[("csrf_token", before.as_str())])
        .await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/area-clienti").await.status(),
        StatusCode::OK,
        "still logged in"
    );
    let out = browser
        .post_raw("/esci", &[("csrf_token", after.as_str())])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER, "logged out");
    assert_ne!(
        browser.get("/area-clienti").await.status(),
        StatusCode::OK,
        "the area is closed again"
    );
}

#[tokio::test]
async fn every_instance_signs_with_the_key_the_first_one_stored() {
    let app = spawn_app().await;
    let stored = |candidate: [u8; 32]| {
        let pool = app.pool.clone();
        async move {
            area_clienti::db::secrets::get_or_create(&pool, "prova", &candidate)
                .await
                .unwrap()
        }
    };
    assert_eq!(stored([1; 32]).await, vec![1; 32], "the first is stored");
    assert_eq!(stored([2; 32]).await, vec![1; 32], "the next one gets it");
    let keys: i64 =
        sqlx::query_scalar("SELECT count(*) FROM portal_secrets WHERE name = 'csrf_cookie'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(keys, 1, "the portal made its CSRF key at start");
}
