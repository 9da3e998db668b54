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
}
