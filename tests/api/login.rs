//! `/accedi`, `/esci` and the pages behind them.

use reqwest::StatusCode;

use crate::helpers::{Browser, hidden_input, location, shown, spawn_app, texts};

const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";
const PASSWORD: &str = "Tramonto sul lago di Garda 2026";

#[tokio::test]
async fn login_failure_looks_the_same_for_an_unknown_user_and_a_wrong_password() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let activated = app
        .activate(&Browser::new(&app.address), &mail, Some(MOBILE), PASSWORD)
        .await;
    assert_eq!(location(&activated), "/area-clienti", "the account exists");

    let wrong_password = app
        .browser
        .login(EMAIL, "Tramonto sul lago di Como 2026")
        .await;
    let unknown_user = app
        .log_in(&app.browser, "nessuno@example.it", PASSWORD)
        .await;

    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status(), StatusCode::UNAUTHORIZED);
    let a = texts(&wrong_password.text().await.unwrap(), ".error-summary");
    let b = texts(&unknown_user.text().await.unwrap(), ".error-summary");
    assert_eq!(a, b);
    assert!(a[0].contains("Username o password non corretti"));
}

#[tokio::test]
async fn a_user_not_yet_active_cannot_log_in() {
    let app = spawn_app().await;
    app.onboard(EMAIL, Some(MOBILE)).await;

    let response = app.log_in(&app.browser, EMAIL, PASSWORD).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_renews_the_session_id_and_logout_ends_the_session() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.activate(&Browser::new(&app.address), &mail, Some(MOBILE), PASSWORD)
        .await;
    // The login page writes no session (its form is signed from a cookie): the password
    // step starts one, for the second step.
    let password_step = app.browser.login(EMAIL, PASSWORD).await;
    assert_eq!(location(&password_step), "/accedi/verifica");
    let before = session_id(&password_step);

    let login = app.log_in(&app.browser, EMAIL, PASSWORD).await;
    assert_eq!(location(&login), "/area-clienti");
    let cookie = session_cookie(&login);
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_ne!(session_id(&login), before, "a new session id after login");
    let old_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session WHERE id = $1")
            .bind(&before)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(old_rows, 0, "the pre-login session is gone");
    assert_eq!(
        app.browser.get("/area-clienti/profilo").await.status(),
        StatusCode::OK
    );

    let logout = app.browser.post_form("/esci", &[]).await;
    assert_eq!(location(&logout), "/accedi?uscito=1");
    let (_, said) = app.browser.get_html(&location(&logout)).await;
    assert!(
        texts(&said, ".notice")
            .concat()
            .contains("Sei uscito dall'Area Clienti"),
        "{said}"
    );
    let after_logout = app.browser.get("/area-clienti").await;
    assert_eq!(location(&after_logout), "/accedi");
    app.assert_holds(
        "SELECT ended_at IS NOT NULL FROM user_sessions ORDER BY created_at DESC LIMIT 1",
    )
    .await;
    // `app.browser` is not the activation's browser.
    assert_eq!(app.new_login_notices_to(EMAIL).await.len(), 1);
}

#[tokio::test]
async fn pages_of_the_customer_area_need_a_login() {
    let app = spawn_app().await;
    for (path, login) in [
        ("/area-clienti", "/accedi"),
        (
            "/area-clienti/profilo",
            "/accedi?dopo=%2Farea-clienti%2Fprofilo",
        ),
    ] {
        let response = app.browser.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), login);
    }
    assert_eq!(location(&app.browser.get("/").await), "/accedi");
    // A form sent without a session cannot be resumed: the plain login.
    let sent = app
        .browser
        .post_form("/area-clienti/profilo/password", &[])
        .await;
    assert_eq!(location(&sent), "/accedi");
}

#[tokio::test]
async fn after_the_login_the_user_lands_on_the_page_they_asked_for() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.activate(&Browser::new(&app.address), &mail, Some(MOBILE), PASSWORD)
        .await;
    let asked = "/area-clienti/gestione-utenze?stato=attivo";

    let to_login = app.browser.get(asked).await;
    let login_page = location(&to_login);
    assert_eq!(
        login_page,
        "/accedi?dopo=%2Farea-clienti%2Fgestione-utenze%3Fstato%3Dattivo"
    );
    let (_, page) = app.browser.get_html(&login_page).await;
    assert_eq!(hidden_input(&page, "dopo").as_deref(), Some(asked));
    assert!(
        texts(&page, ".notice")
            .concat()
            .contains("Accedi per continuare"),
        "{page}"
    );

    // Password, then the SMS code of the second step: then the page asked for.
    let landed = app
        .log_in_from(&app.browser, EMAIL, PASSWORD, Some(asked))
        .await;
    assert_eq!(location(&landed), asked);
    assert_eq!(app.browser.get(asked).await.status(), StatusCode::OK);

    // Never another site, nor a page outside the customer area (the other hostile forms
    // are `return_to`'s unit tests: each login here costs an SMS code).
    for elsewhere in ["https://evil.example/area-clienti", "/assistenza"] {
        let other = Browser::new(&app.address);
        let landed = app
            .log_in_from(&other, EMAIL, PASSWORD, Some(elsewhere))
            .await;
        assert_eq!(location(&landed), "/area-clienti", "{elsewhere}");
    }
    // The "Nuovo accesso" notices of those new browsers.
    app.run_pending_work().await;
}

#[tokio::test]
async fn the_profile_shows_company_and_own_data() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.activate(&app.browser, &mail, Some(MOBILE), PASSWORD)
        .await;

    let (status, html) = app.browser.get_html("/area-clienti/profilo").await;

    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Rossi Impianti S.r.l.",
        "01234567897",
        EMAIL,
        &shown(MOBILE),
        "Rappresentante Legale",
        "Attivo",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    assert_eq!(location(&app.browser.get("/").await), "/area-clienti");
}

#[tokio::test]
async fn a_login_form_without_csrf_token_is_refused() {
    let app = spawn_app().await;
    let response = app
        .browser
        .post_raw("/accedi", &[("username", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// The session cookie a response sets (a login also sets the browser's own cookie).
fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("area_clienti="))
        .expect("a session cookie")
        .to_owned()
}

/// The session id a response sets in its cookie.
fn session_id(response: &reqwest::Response) -> String {
    let cookie = session_cookie(response);
    let pair = cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}
