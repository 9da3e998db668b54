//! What a person does in the browser, in the steps several journeys share.

use crate::chrome::Page;
use crate::helpers::{PUBLIC_BASE_URL, TestApp};
use crate::support::sms_gateway::code_in;
use crate::support::smtp_sink::ReceivedEmail;

/// The path of the first link to the portal in `mail` that starts with `prefix`
/// (e.g. `/attivazione/`): the e-mail points at `PUBLIC_BASE_URL`, the browser opens the
/// same path on the test app.
pub fn link_path(mail: &ReceivedEmail, prefix: &str) -> String {
    let start = mail
        .text
        .find(&format!("{PUBLIC_BASE_URL}{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in e-mail {:?}", mail.text))
        + PUBLIC_BASE_URL.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_owned()
}

/// From a credentials link (`/attivazione/…` or `/recupera-password/…`): asks for the
/// code, types the one the SMS to `mobile` brings, chooses `password` twice and lands on
/// the home page, logged in. With `check = Some(prefix)` each page is checked (axe and
/// screenshots) as `{prefix}-1-link`, `-2-codice`, `-3-password`, `-4-home`.
pub async fn complete_link(
    app: &TestApp,
    page: &Page,
    link: &str,
    mobile: &str,
    password: &str,
    check: Option<&str>,
) {
    let check_as = async |step: &str| {
        if let Some(prefix) = check {
            page.check(&format!("{prefix}-{step}")).await;
        }
    };
    page.goto(link).await;
    page.find(r#"form[action$="/codice"] button"#).await;
    check_as("1-link").await;

    let sent_before = app.sms.count_to(mobile).await;
    page.click_button("Invia il codice di verifica").await;
    page.find("#code").await;
    check_as("2-codice").await;

    let code = sms_code_after(app, page, mobile, sent_before).await;
    page.fill("#code", &code).await;
    page.click_button("Conferma il codice").await;
    page.find("#password_confirm").await;
    check_as("3-password").await;

    page.fill("#password", password).await;
    page.fill("#password_confirm", password).await;
    page.click_button("Conferma la password").await;
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.wait_for_heading("Benvenuto").await;
    check_as("4-home").await;
}

/// The code of the first SMS to `mobile` after the first `sent_before` ones.
pub async fn sms_code_after(
    app: &TestApp,
    page: &Page,
    mobile: &str,
    sent_before: usize,
) -> String {
    page.wait_until(&format!("an SMS to {mobile}"), async || {
        let sent = app.sms.sent().await;
        let to_mobile: Vec<_> = sent.iter().filter(|s| s.to == mobile).collect();
        to_mobile.get(sent_before).map(|sms| code_in(&sms.text))
    })
    .await
}

/// Logs in at `/accedi` with the form, as a person: ends on the home page. A legal
/// representative (`MFA_REQUIRED_FOR`) asks for the SMS code to `mobile` and types it; with
/// `check = Some(name)` that step is checked with axe as `name`.
pub async fn log_in(
    app: &TestApp,
    page: &Page,
    (username, password): (&str, &str),
    mobile: Option<&str>,
    check: Option<&str>,
) {
    page.goto("/accedi").await;
    page.fill("#username", username).await;
    page.fill("#password", password).await;
    page.click_button("Accedi").await;
    if let Some(mobile) = mobile {
        page.wait_for_heading("Verifica l'accesso").await;
        let sent_before = app.sms.count_to(mobile).await;
        page.click_button("Invia il codice via SMS").await;
        let code = sms_code_after(app, page, mobile, sent_before).await;
        page.find("#code").await;
        if let Some(name) = check {
            page.check(name).await;
        }
        page.fill("#code", &code).await;
        page.click_button("Verifica e accedi").await;
    }
    page.wait_for_path("the home page", |p| p == "/area-clienti")
        .await;
    page.wait_for_heading("Benvenuto").await;
}

/// "Esci" in the header: ends on the login page, which says so.
pub async fn log_out(page: &Page) {
    page.click_button("Esci").await;
    page.wait_for_path("the login page, after Esci", |p| p == "/accedi?uscito=1")
        .await;
    page.wait_for_heading("Accedi").await;
    assert!(
        page.text(".notice").await.contains("Sei uscito"),
        "the login page says the person is out"
    );
}

/// The authenticator-app secret an enrolment page shows in `#totp-secret`, as bytes.
pub async fn secret_on(page: &Page) -> Vec<u8> {
    let shown = page.text("#totp-secret").await;
    totp_rs::Secret::try_from_base32(shown.replace(' ', ""))
        .expect("base32 secret on the page")
        .as_bytes()
        .to_vec()
}
