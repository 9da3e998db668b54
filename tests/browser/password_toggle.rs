//! The show/hide button of password fields (`static/js/password-toggle.js`): a real
//! button after each password field, bound to it with `aria-controls`, whose
//! `aria-pressed` tells whether the password is shown. Without JavaScript it is absent
//! (see `no_js`).

use crate::chrome::{Driver, Js};
use crate::helpers::{LR_EMAIL, LR_MOBILE, activation_path, spawn_app};

#[tokio::test]
async fn the_show_password_button_shows_the_password_and_tells_its_state() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let page = driver.open(&app.address, Js::Enabled).await;
    page.goto("/accedi").await;
    let toggle = r#"#password + button.password-toggle"#;

    assert_eq!(page.attr(toggle, "type").await.as_deref(), Some("button"));
    assert_eq!(
        page.attr(toggle, "aria-controls").await.as_deref(),
        Some("password")
    );
    assert_eq!(
        page.attr(toggle, "aria-pressed").await.as_deref(),
        Some("false")
    );
    assert_eq!(page.text(toggle).await, "Mostra password");
    page.fill("#password", "una frase segreta").await;
    assert_eq!(
        page.attr("#password", "type").await.as_deref(),
        Some("password")
    );

    page.click(toggle).await;
    assert_eq!(
        page.attr("#password", "type").await.as_deref(),
        Some("text")
    );
    assert_eq!(
        page.attr(toggle, "aria-pressed").await.as_deref(),
        Some("true")
    );
    assert_eq!(page.value("#password").await, "una frase segreta");
    page.check("accedi-password-visibile").await;

    page.click(toggle).await;
    assert_eq!(
        page.attr("#password", "type").await.as_deref(),
        Some("password")
    );
    assert_eq!(
        page.attr(toggle, "aria-pressed").await.as_deref(),
        Some("false")
    );

    // A shown password goes back to hidden when the form is sent.
    page.click(toggle).await;
    page.fill("#username", "nessuno@example.it").await;
    page.click_button("Accedi").await;
    page.find(".error-summary").await;
    assert_eq!(
        page.attr("#password", "type").await.as_deref(),
        Some("password")
    );
    assert_eq!(page.value("#password").await, "", "never sent back");

    // The password step has two fields, each with its own button.
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let link = activation_path(&mail);
    page.goto(&link).await;
    page.click_button("Invia il codice di verifica").await;
    let code = crate::steps::sms_code_after(&app, &page, LR_MOBILE, 0).await;
    page.fill("#code", &code).await;
    page.click_button("Conferma il codice").await;
    page.find("#password_confirm").await;
    let controls: Vec<String> = page
        .js(
            "return [...document.querySelectorAll('button.password-toggle')]\
               .map((b) => b.getAttribute('aria-controls'))",
            vec![],
        )
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(controls, ["password", "password_confirm"]);
    page.click(r#"button[aria-controls="password_confirm"]"#)
        .await;
    assert_eq!(
        page.attr("#password_confirm", "type").await.as_deref(),
        Some("text")
    );
    assert_eq!(
        page.attr("#password", "type").await.as_deref(),
        Some("password"),
        "each button shows only its own field"
    );
    page.check("password-mostra-conferma").await;
    page.close().await;
}
