//! Health probes and the pages anyone can reach.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.browser.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.browser.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_page_is_an_italian_404_and_the_dev_mailbox_is_off_with_real_transports() {
    let app = spawn_app().await;
    let (status, html) = app.browser.get_html("/non-esiste").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Pagina non trovata"));
    assert_eq!(
        app.browser.get("/dev/posta").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_stylesheet_is_served() {
    let app = spawn_app().await;
    let response = app.browser.get("/static/css/app.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
    let etag = response.headers()["etag"].clone();
    assert!(response.text().await.unwrap().contains("{"));

    // A browser revalidating its copy gets 304 without the body; a changed file would not match.
    let url = format!("{}/static/css/app.css", app.address);
    let revalidated = app
        .browser
        .client
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert!(revalidated.text().await.unwrap().is_empty());
    let stale = app
        .browser
        .client
        .get(&url)
        .header("if-none-match", "\"an-older-version\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);

    for script in ["/static/js/password-toggle.js", "/static/js/passkey.js"] {
        let response = app.browser.get(script).await;
        assert_eq!(response.status(), StatusCode::OK, "{script}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript"),
            "{script}"
        );
    }
    assert_eq!(
        app.browser.get("/static/css/missing.css").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_unexpected_failure_shows_an_italian_500_page_with_an_error_code_and_no_internals() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.smtp_url = None;
        s.sms_gateway_url = None;
        s.dev_mailbox = true;
    })
    .await;
    sqlx::query("DROP TABLE dev_mailbox")
        .execute(&app.pool)
        .await
        .unwrap();

    let (status, html) = app.browser.get_html("/dev/posta").await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        html.contains("Si è verificato un errore") && html.contains("Codice errore"),
        "{html}"
    );
    assert!(
        !html.contains("dev_mailbox") && !html.contains("relation"),
        "no internals shown"
    );
}
