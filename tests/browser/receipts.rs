//! Issue 15 at a browser: a bounced username e-mail in Gestione Utenze (the prompt to
//! correct the address) and the user's Modifica page with every send, checked with axe-core.

use serde_json::json;

use crate::chrome::{Driver, Js};
use crate::helpers::{API_TOKEN, GU, LR_EMAIL, LR_MOBILE, PASSWORD, activation_path, spawn_app};
use crate::steps::complete_link;

const EMPLOYEE: &str = "luca.bianchi@example.it";

#[tokio::test]
async fn a_bounced_username_email_and_the_history_of_sends_pass_axe() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let lr = driver.open(&app.address, Js::Enabled).await;
    complete_link(
        &app,
        &lr,
        &activation_path(&mail),
        LR_MOBILE,
        PASSWORD,
        None,
    )
    .await;
    lr.goto(&format!("{GU}/aggiungi")).await;
    lr.fill("#email", EMPLOYEE).await;
    lr.fill("#username", EMPLOYEE).await;
    lr.click("#profile-utilizzatore").await;
    lr.click_button("Aggiungi e Registra").await;
    lr.find(".notice").await;
    app.username_email(EMPLOYEE).await;
    let id = app.user_id(EMPLOYEE).await;
    let message_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM outbox WHERE user_id = $1 AND template = 'username'")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let receipt = app
        .browser
        .client
        .post(format!("{}/api/v1/notifiche/esiti", app.address))
        .bearer_auth(API_TOKEN)
        .json(&json!({ "message_id": message_id, "status": "bounced", "detail": "550 5.1.1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), reqwest::StatusCode::OK);

    lr.goto(GU).await;
    let row = format!(r#"tr[data-user-id="{id}"]"#);
    assert_eq!(
        lr.attr(&row, "data-consegna").await.as_deref(),
        Some("bounced")
    );
    lr.check("esiti-utenze-rifiutata").await;
    lr.click_xpath(&format!(
        r#"//tr[@data-user-id="{id}"]//a[contains(., "Correggi l'e-mail")]"#
    ))
    .await;
    lr.wait_for_path("Modifica", |p| p.ends_with("/modifica"))
        .await;
    lr.find("tr[data-invio]").await;
    lr.check("esiti-utenze-modifica-invii").await;
    lr.close().await;
}
