//! Beyond the happy paths of `journeys`: the pages people meet when something goes wrong
//! (wrong password, wrong code, invalid fields, dead links) and the other logged-in pages,
//! each checked with axe-core (WCAG 2.1 A/AA) at phone and desktop size.

use crate::chrome::{Driver, Js};
use crate::helpers::{GU, LR_EMAIL, LR_MOBILE, PASSWORD, activation_path, spawn_app};
use crate::steps::{complete_link, secret_on, sms_code_after};

/// The check itself: on a page with known faults axe-core, as the tests run it, reports
/// them (so 0 violations elsewhere means something).
#[tokio::test]
async fn axe_reports_the_faults_of_a_broken_page() {
    let driver = Driver::start();
    let page = driver.open("http://127.0.0.1:9", Js::Enabled).await;
    page.client
        .goto(
            "data:text/html;charset=utf-8,<!doctype html><html><head><title>Rotta</title></head>\
             <body><main><h1>Rotta</h1><input type=text name=x>\
             <p style='color: rgb(190,190,190); background: white'>poco contrasto</p></main></body></html>",
        )
        .await
        .expect("open the broken page");

    let violations = page.axe_violations().await;

    let mut ids: Vec<&str> = violations.iter().filter_map(|v| v["id"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["color-contrast", "html-has-lang", "label"]);
    page.close().await;
}

#[tokio::test]
async fn public_pages_and_their_errors_pass_axe() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let page = driver.open(&app.address, Js::Enabled).await;

    page.goto("/accedi").await;
    page.fill("#username", "qualcuno@example.it").await;
    page.fill("#password", "non è la password giusta").await;
    page.click_button("Accedi").await;
    page.find(".error-summary").await;
    page.check("errori-accedi").await;

    page.goto("/recupera-password").await;
    page.click_button("Invia").await;
    page.find(".error-summary, .notice").await;
    page.check("errori-recupera-password").await;

    page.goto("/reinvio-credenziali").await;
    page.check("reinvio-credenziali").await;
    page.click_button("Invia").await;
    page.find(".error-summary").await;
    page.check("errori-reinvio-credenziali").await;
    page.fill("#email", "qualcuno@example.it").await;
    page.click_button("Invia").await;
    page.find(".notice").await;
    page.check("reinvio-credenziali-inviata").await;

    page.goto("/attivazione/link-inesistente").await;
    page.find("h1").await;
    page.check("errori-link-sconosciuto").await;

    page.goto("/pagina-che-non-esiste").await;
    page.find("h1").await;
    page.check("errori-404").await;

    page.goto("/assistenza/accedi").await;
    page.fill("#username", "operatore").await;
    page.fill("#password", "non è la password giusta").await;
    page.click_button("Accedi").await;
    page.find(".error-summary").await;
    page.check("errori-assistenza-accedi").await;
    page.close().await;
}

#[tokio::test]
async fn a_wrong_code_a_weak_password_and_a_used_link_pass_axe() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let link = activation_path(&mail);
    let page = driver.open(&app.address, Js::Enabled).await;

    page.goto(&link).await;
    page.click_button("Invia il codice di verifica").await;
    let code = sms_code_after(&app, &page, LR_MOBILE, 0).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    page.fill("#code", wrong).await;
    page.click_button("Conferma il codice").await;
    page.find("#code-error").await;
    page.check("errori-codice").await;

    page.fill("#code", &code).await;
    page.click_button("Conferma il codice").await;
    page.fill("#password", "corta").await;
    page.fill("#password_confirm", "diversa").await;
    page.click_button("Conferma la password").await;
    page.find("#password-error").await;
    page.check("errori-password").await;

    page.fill("#password", PASSWORD).await;
    page.fill("#password_confirm", PASSWORD).await;
    page.click_button("Conferma la password").await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.goto(&link).await;
    page.find("h1").await;
    page.check("errori-link-usato").await;
    page.close().await;
}

#[tokio::test]
async fn the_other_logged_in_pages_and_their_errors_pass_axe() {
    const SAVED: &str = "anna.gialli@example.it";
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let page = driver.open(&app.address, Js::Enabled).await;
    complete_link(
        &app,
        &page,
        &activation_path(&mail),
        LR_MOBILE,
        PASSWORD,
        None,
    )
    .await;

    page.click_link("Visualizza profilo e dati azienda").await;
    page.wait_for_heading("Profilo e dati azienda").await;
    page.check("profilo").await;
    page.click_link("Modifica e-mail e cellulare").await;
    page.wait_for_heading("Modifica e-mail e cellulare").await;
    page.check("profilo-contatti").await;
    page.fill("#email", "non-una-email").await;
    page.click_button("Salva").await;
    page.find(".error-summary").await;
    page.check("errori-profilo-contatti").await;

    page.goto("/area-clienti/profilo/password").await;
    page.wait_for_heading("Cambia password").await;
    page.check("profilo-password").await;
    page.fill("#current_password", "non è quella giusta").await;
    page.fill("#password", "corta").await;
    page.click_button("Cambia password").await;
    page.find(".error-summary").await;
    page.check("errori-profilo-password").await;

    // A saved (not yet registered) employee: the list shows several states and actions.
    page.goto(&format!("{GU}/aggiungi")).await;
    page.fill("#email", SAVED).await;
    page.fill("#username", SAVED).await;
    page.click("#profile-amministratore_full").await;
    page.click_button("Aggiungi Utente").await;
    page.find(".notice").await;
    page.check("utenze-elenco-stati").await;
    let saved = app.user_id(SAVED).await;
    page.click_xpath(&format!(
        r#"//tr[@data-user-id="{saved}"]//a[normalize-space(.)="Modifica"]"#
    ))
    .await;
    page.wait_for_path("Modifica", |p| p.ends_with("/modifica"))
        .await;
    page.check("utenze-modifica").await;
    page.fill("#email", "non-una-email").await;
    page.click_button("Conferma").await;
    page.find(".error-summary").await;
    page.check("errori-utenze-modifica").await;

    page.goto(&format!("{GU}?q=nessuno-si-chiama-cosi")).await;
    page.find("[data-total]").await;
    page.check("utenze-nessun-risultato").await;

    page.goto(GU).await;
    page.click_link("Registro attività").await;
    page.wait_for_heading("Registro attività").await;
    page.check("utenze-registro").await;
    page.close().await;
}

#[tokio::test]
async fn the_consoles_second_factor_pages_and_their_errors_pass_axe() {
    const STAFF: &str = "operatore.marco";
    const STAFF_PASSWORD: &str = "Centralino di Napoli 191 turno";
    let app = spawn_app().await;
    let driver = Driver::start();
    app.add_staff(STAFF, STAFF_PASSWORD).await;
    let page = driver.open(&app.address, Js::Enabled).await;
    let log_in = async || {
        page.goto("/assistenza/accedi").await;
        page.fill("#username", STAFF).await;
        page.fill("#password", STAFF_PASSWORD).await;
        page.click_button("Accedi").await;
    };

    log_in().await;
    page.wait_for_heading("Attiva l'app di autenticazione")
        .await;
    let secret = secret_on(&page).await;
    page.fill("#code", "12").await;
    page.click_button("Conferma e attiva").await;
    page.find("#code-error").await;
    page.check("errori-assistenza-attiva").await;
    let now = app.clock().now().unix_timestamp();
    page.fill(
        "#code",
        &area_clienti::auth::factors::totp::code_at(&secret, now),
    )
    .await;
    page.click_button("Conferma e attiva").await;
    page.wait_for_heading("Codici di recupero").await;

    page.click_button("Esci").await;
    page.wait_for_path("the login page", |p| p == "/assistenza/accedi")
        .await;
    log_in().await;
    page.wait_for_heading("Verifica l'accesso").await;
    for left in [4, 3, 2, 1] {
        page.fill("#code", "ZZZZZ-ZZZZZ").await;
        page.click_button("Verifica e accedi").await;
        let tries = format!("{left} tentativ");
        page.wait_until(&tries, async || {
            let script = "return document.querySelector('#code-error')?.textContent";
            let error = page.js(script, vec![]).await;
            error.as_str().filter(|e| e.contains(&tries)).map(drop)
        })
        .await;
    }
    page.check("errori-assistenza-verifica").await;
    page.fill("#code", "ZZZZZ-ZZZZZ").await;
    page.click_button("Verifica e accedi").await;
    page.wait_for_path("the login page", |p| p == "/assistenza/accedi")
        .await;
    page.find(".notice").await;
    page.check("errori-assistenza-verifica-annullata").await;
    page.close().await;
}
