//! The portal needs no JavaScript: a browser with JavaScript turned off (Chrome content
//! setting and `--blink-settings=scriptEnabled=false`) activates the legal
//! representative, adds an employee with "Aggiungi e Registra", logs out and in again.
//! axe-core cannot run there, so these pages get screenshots only (`nojs-*`).

use crate::chrome::{Driver, Js};
use crate::helpers::{GU, LR_EMAIL, LR_MOBILE, PASSWORD, activation_path, spawn_app};
use crate::steps::{complete_link, log_in, log_out};

#[tokio::test]
async fn activation_and_gestione_utenze_work_with_javascript_disabled() {
    const EMPLOYEE: &str = "paolo.neri@example.it";
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let page = driver.open(&app.address, Js::Disabled).await;

    page.goto(&activation_path(&mail)).await;
    page.find(r#"script[src="/static/js/password-toggle.js"]"#)
        .await;
    page.goto("/accedi").await;
    assert!(
        page.exists("#password").await && !page.exists(".password-toggle").await,
        "JavaScript is off: the page script did not add the show/hide button"
    );

    complete_link(
        &app,
        &page,
        &activation_path(&mail),
        LR_MOBILE,
        PASSWORD,
        Some("nojs-attivazione"),
    )
    .await;
    assert!(!page.exists(".password-toggle").await);

    page.click_link("Gestione Utenze").await;
    page.wait_for_heading("Gestione Utenze").await;
    page.click_link("Aggiungi").await;
    page.fill("#email", EMPLOYEE).await;
    page.fill("#username", EMPLOYEE).await;
    page.click("#profile-amministratore_light").await;
    page.check("nojs-aggiungi").await;
    page.click_button("Aggiungi e Registra").await;
    page.wait_for_path("Gestione Utenze", |p| {
        p.starts_with(GU) && !p.contains("aggiungi")
    })
    .await;
    page.find(".notice").await;
    page.check("nojs-aggiunto").await;
    let employee = app.user_id(EMPLOYEE).await;
    assert_eq!(
        page.attr(&format!(r#"tr[data-user-id="{employee}"]"#), "data-stato")
            .await
            .as_deref(),
        Some("in_attesa")
    );
    app.username_email(EMPLOYEE).await;

    log_out(&page).await;
    log_in(&app, &page, (LR_EMAIL, PASSWORD), Some(LR_MOBILE), None).await;
    page.close().await;
}
