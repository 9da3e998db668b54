//! "Sicurezza" in a browser (issue 12): a legal representative sees the session of a
//! second browser and ends it, enrols an authenticator app from the QR page's secret, keeps
//! the recovery codes, and logs in again with the password and then a code. Every page,
//! and its errors, passes axe.

use area_clienti::auth::factors::totp;

use crate::chrome::{Driver, Js};
use crate::helpers::{
    Browser, LR_EMAIL, LR_MOBILE, PASSWORD, activation_path, location, spawn_app,
};
use crate::steps::{complete_link, log_out};

#[tokio::test]
async fn an_app_is_enrolled_from_its_secret_and_a_recovery_code_logs_in_after_the_password() {
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

    // The same person on another browser: Sicurezza lists both sessions and the accesses.
    let other = Browser::with_user_agent(
        &app.address,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    );
    let logged_in = app.log_in(&other, LR_EMAIL, PASSWORD).await;
    assert_eq!(location(&logged_in), "/area-clienti");

    page.click_link("Sicurezza").await;
    page.wait_for_heading("Sicurezza").await;
    page.find("tr[data-session]:not([data-current])").await;
    page.find("tr[data-access]").await;
    page.check("sicurezza").await;
    page.click_xpath(r#"//tr[@data-session][not(@data-current)]//button"#)
        .await;
    page.find("[role=status]").await;
    page.check("sicurezza-sessione-terminata").await;
    assert_eq!(location(&other.get("/area-clienti").await), "/accedi");
    page.fill("#app-password", "non è la password").await;
    page.click_button("Attiva l'app di autenticazione").await;
    page.find("#password-error").await;
    page.check("errori-sicurezza-password").await;

    page.fill("#app-password", PASSWORD).await;
    page.click_button("Attiva l'app di autenticazione").await;
    page.wait_for_heading("Attiva l'app di autenticazione")
        .await;
    page.find(".qr svg").await;
    page.check("sicurezza-app-qr").await;
    let shown = page.text("#totp-secret").await;
    let secret = totp_rs::Secret::try_from_base32(shown.replace(' ', ""))
        .expect("base32 secret on the page")
        .as_bytes()
        .to_vec();
    page.fill("#code", "000000").await;
    page.click_button("Conferma e attiva").await;
    page.find("#code-error").await;
    page.check("errori-sicurezza-app-codice").await;

    let code = totp::code_at(&secret, app.clock().now().unix_timestamp());
    page.fill("#code", &code).await;
    page.click_button("Conferma e attiva").await;
    page.wait_for_heading("Codici di recupero").await;
    page.check("sicurezza-codici-recupero").await;
    let first_code = page.text("#codici-recupero li").await;

    log_out(&page).await;
    page.fill("#username", LR_EMAIL).await;
    page.fill("#password", PASSWORD).await;
    page.click_button("Accedi").await;
    page.wait_for_heading("Verifica l'accesso").await;
    page.check("accedi-verifica").await;
    page.fill("#code", "ZZZZZ-ZZZZZ").await;
    page.click_button("Verifica e accedi").await;
    page.find("#code-error").await;
    page.check("errori-accedi-verifica").await;

    // The app's code of this step confirmed the enrolment: log in with a recovery code.
    page.fill("#code", first_code.trim()).await;
    page.click_button("Verifica e accedi").await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.wait_for_heading("Benvenuto").await;
    page.close().await;
}
