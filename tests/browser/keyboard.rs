//! The activation journey with the keyboard alone: Tab, Enter, Space and typing; no click.
//! Every stop of the focus must be visible (an outline of at least 2 px).

use fantoccini::key::Key;

use crate::chrome::{Driver, Js};
use crate::helpers::{LR_EMAIL, LR_MOBILE, PASSWORD, activation_path, spawn_app};
use crate::steps::sms_code_after;

#[tokio::test]
async fn the_activation_journey_can_be_completed_with_the_keyboard_alone() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let page = driver.open(&app.address, Js::Enabled).await;
    // Opening the link from the e-mail is the only thing not done on the page.
    page.goto(&activation_path(&mail)).await;
    page.wait_for_heading("Attiva il tuo accesso").await;

    // The first Tab reaches "Vai al contenuto"; Enter skips the header.
    page.tab_to("a.skip-link", 1).await;
    page.press(Key::Enter).await;
    page.tab_to(r#"form[action$="/codice"] button"#, 1).await;
    let sent_before = app.sms.count_to(LR_MOBILE).await;
    page.press(Key::Enter).await;

    page.find("#code").await;
    page.tab_to("#code", 15).await;
    let code = sms_code_after(&app, &page, LR_MOBILE, sent_before).await;
    page.type_text(&code).await;
    page.press(Key::Enter).await;

    page.find("#password_confirm").await;
    page.tab_to("#password", 15).await;
    page.type_text(PASSWORD).await;
    // The show/hide button follows the field: Space shows what was typed.
    page.tab_to(r#"button[aria-controls="password"]"#, 1).await;
    page.press(Key::Space).await;
    assert_eq!(
        page.attr("#password", "type").await.as_deref(),
        Some("text")
    );
    assert_eq!(page.value("#password").await, PASSWORD);
    page.tab_to("#password_confirm", 1).await;
    page.type_text(PASSWORD).await;
    page.press(Key::Enter).await;

    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.wait_for_heading("Benvenuto, Maria").await;

    // And out again, still by keyboard: "Esci" is in the header.
    page.tab_to(r#"form[action="/esci"] button"#, 10).await;
    page.press(Key::Enter).await;
    page.wait_for_path("the login page, after Esci", |p| p == "/accedi?uscito=1")
        .await;
    page.tab_to("#username", 10).await;
    page.type_text(LR_EMAIL).await;
    page.tab_to("#password", 1).await;
    page.type_text(PASSWORD).await;
    page.press(Key::Enter).await;
    // The legal representative's second step: the SMS code, still by keyboard.
    page.wait_for_heading("Verifica l'accesso").await;
    let sent_before = app.sms.count_to(LR_MOBILE).await;
    page.tab_to(r#"form[action="/accedi/verifica/sms"] button"#, 10)
        .await;
    page.press(Key::Enter).await;
    let code = sms_code_after(&app, &page, LR_MOBILE, sent_before).await;
    page.find("#code").await;
    page.tab_to("#code", 10).await;
    page.type_text(&code).await;
    page.press(Key::Enter).await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.close().await;
}
