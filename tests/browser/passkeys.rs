//! Passkeys in a real browser (issue 12): Chromium's virtual authenticator (WebDriver
//! WebAuthn extension) creates and uses real credentials, the portal verifies them with
//! webauthn-rs. Browsers refuse WebAuthn on IP hosts, so the portal's relying party and the
//! browser both use `http://localhost:PORT`. Every new page passes axe.

use sqlx::PgPool;

use crate::authenticator::VirtualAuthenticator;
use crate::chrome::{Driver, Js, Page};
use crate::helpers::{LR_EMAIL, LR_MOBILE, PASSWORD, TestApp, spawn_app_with};
use crate::steps::{complete_link, log_out};

const BASE_URL: &str = "http://localhost";

/// The portal with `PUBLIC_BASE_URL` on localhost, and its address as the browser opens it.
async fn portal_on_localhost() -> (TestApp, String) {
    let app = spawn_app_with(|s| s.public_base_url = BASE_URL.into()).await;
    let address = app.address.replace("127.0.0.1", "localhost");
    (app, address)
}

/// The path of the first `prefix` link in an e-mail that points at [`BASE_URL`].
fn path_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(&format!("{BASE_URL}{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {text:?}"))
        + BASE_URL.len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_owned()
}

async fn passkey_logins(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'accesso' AND details->>'fattore' = 'passkey'",
    )
    .fetch_one(pool)
    .await
    .expect("audit")
}

/// From Sicurezza: the password, then the passkey page; ends on the recovery codes.
async fn add_passkey(page: &Page, name: &str) {
    page.goto("/area-clienti/sicurezza").await;
    page.fill("#passkey-password", PASSWORD).await;
    page.click_button("Aggiungi una passkey").await;
    page.wait_for_heading("Aggiungi una passkey").await;
    page.find("form[data-passkey='registra']:not([hidden])")
        .await;
    page.check("sicurezza-passkey").await;
    page.fill("#passkey-name", name).await;
    page.click_button("Crea la passkey").await;
}

/// The legal representative's browser, with a virtual authenticator, right after the
/// activation (logged in).
async fn activated_with_an_authenticator(
    app: &TestApp,
    driver: &Driver,
    address: &str,
) -> (Page, VirtualAuthenticator) {
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let page = driver.open(address, Js::Enabled).await;
    let authenticator = VirtualAuthenticator::add(&page).await;
    let link = path_in(&mail.text, "/attivazione/");
    complete_link(app, &page, &link, LR_MOBILE, PASSWORD, None).await;
    (page, authenticator)
}

#[tokio::test]
async fn a_passkey_is_added_then_logs_in_alone_and_as_the_second_step() {
    let (app, address) = portal_on_localhost().await;
    let driver = Driver::start();
    let (page, authenticator) = activated_with_an_authenticator(&app, &driver, &address).await;

    add_passkey(&page, "Portatile dell'ufficio").await;
    page.wait_for_heading("Codici di recupero").await;
    let stored = authenticator.credentials(&page).await;
    assert_eq!(stored.len(), 1, "one credential in the authenticator");
    assert_eq!(stored[0]["isResidentCredential"], true, "{stored:?}");
    assert_eq!(stored[0]["rpId"], "localhost");
    page.goto("/area-clienti/sicurezza").await;
    assert!(
        page.text(".passkeys")
            .await
            .contains("Portatile dell'ufficio")
    );

    // Without a username: the discoverable credential names the account.
    log_out(&page).await;
    page.find("form[data-passkey='accedi']:not([hidden])").await;
    page.check("accedi-con-passkey").await;
    page.click_button("Accedi con una passkey").await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.wait_for_heading("Benvenuto").await;
    assert_eq!(passkey_logins(&app.pool).await, 1);

    // After the password, the passkey is the second step (no SMS is sent).
    log_out(&page).await;
    let sms_before = app.sms.count_to(LR_MOBILE).await;
    page.fill("#username", LR_EMAIL).await;
    page.fill("#password", PASSWORD).await;
    page.click_button("Accedi").await;
    page.wait_for_heading("Verifica l'accesso").await;
    page.find("form[data-passkey='verifica']:not([hidden])")
        .await;
    page.check("accedi-verifica-passkey").await;
    page.click_button("Usa la passkey").await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    assert_eq!(passkey_logins(&app.pool).await, 2);
    assert_eq!(app.sms.count_to(LR_MOBILE).await, sms_before);
    page.close().await;
}

#[tokio::test]
async fn a_lost_passkey_is_refused_with_a_message_and_a_recovery_code_still_gets_in() {
    let (app, address) = portal_on_localhost().await;
    let driver = Driver::start();
    let (page, authenticator) = activated_with_an_authenticator(&app, &driver, &address).await;
    add_passkey(&page, "Telefono").await;
    page.wait_for_heading("Codici di recupero").await;
    let recovery_code = page.text("#codici-recupero li").await;

    // The device is lost: the browser has no passkey to offer, the page says so.
    authenticator.clear(&page).await;
    log_out(&page).await;
    page.fill("#username", LR_EMAIL).await;
    page.fill("#password", PASSWORD).await;
    page.click_button("Accedi").await;
    page.wait_for_heading("Verifica l'accesso").await;
    page.click_button("Usa la passkey").await;
    page.find("[data-passkey-error]:not([hidden])").await;
    page.check("errori-accedi-verifica-passkey").await;
    assert_eq!(passkey_logins(&app.pool).await, 0);

    page.fill("#code", recovery_code.trim()).await;
    page.click_button("Verifica e accedi").await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.close().await;
}

#[tokio::test]
async fn a_legal_representative_without_mobile_enrols_a_passkey_right_after_activation() {
    let (app, address) = portal_on_localhost().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, None).await;
    let page = driver.open(&address, Js::Enabled).await;
    VirtualAuthenticator::add(&page).await;
    page.goto(&path_in(&mail.text, "/attivazione/")).await;
    page.click_button("Invia il codice di verifica").await;
    page.find("#code").await;
    let code = app.code_for(LR_EMAIL, None).await;
    page.fill("#code", &code).await;
    page.click_button("Conferma il codice").await;
    page.find("#password_confirm").await;
    page.fill("#password", PASSWORD).await;
    page.fill("#password_confirm", PASSWORD).await;
    page.click_button("Conferma la password").await;
    page.wait_for_path("the enrolment page", |p| {
        p == "/area-clienti/sicurezza/attiva"
    })
    .await;

    page.click_link("Aggiungi invece una passkey").await;
    page.wait_for_heading("Aggiungi una passkey").await;
    page.check("sicurezza-attiva-passkey").await;
    page.click_button("Crea la passkey").await;
    page.wait_for_heading("Codici di recupero").await;
    // Enrolled: the whole Area Clienti opens.
    page.goto("/area-clienti/gestione-utenze").await;
    page.wait_for_path("Gestione Utenze", |p| p == "/area-clienti/gestione-utenze")
        .await;
    page.close().await;
}
