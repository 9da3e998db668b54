//! Issue 12, first part: the authenticator app and recovery codes. Enrolment from
//! "Sicurezza" (password, QR code and secret, a code proving the app works, 10 recovery
//! codes shown once), then every login asks for a code after the password.

use area_clienti::auth::factors::totp;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{Browser, PASSWORD, TestApp, location, spawn_app, texts, totp_secret_on};
use crate::seeds::{COMPANY_A, SeededUser};

const SECURITY: &str = "/area-clienti/sicurezza";

pub(crate) fn code_now(app: &TestApp, secret: &[u8]) -> String {
    totp::code_at(secret, app.clock().now().unix_timestamp())
}

/// Enrols an app for the logged-in `browser`; returns its secret and the recovery codes.
pub(crate) async fn enrol(app: &TestApp, browser: &Browser) -> (Vec<u8>, Vec<String>) {
    let started = browser
        .post_form(&format!("{SECURITY}/app"), &[("password", PASSWORD)])
        .await;
    assert_eq!(started.status(), StatusCode::OK);
    let page = started.text().await.unwrap();
    assert!(page.contains("<svg"), "QR code inline");
    let secret = totp_secret_on(&page);
    let confirmed = browser
        .post_form(
            &format!("{SECURITY}/app/conferma"),
            &[("code", &code_now(app, &secret))],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let codes = texts(&confirmed.text().await.unwrap(), "#codici-recupero li");
    (secret, codes)
}

async fn enrolled_representative(app: &TestApp) -> (SeededUser, Vec<u8>, Vec<String>) {
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    let (secret, codes) = enrol(app, &browser).await;
    (company.legal_rep, secret, codes)
}

/// Password step: answers 303 to `/accedi/verifica` and leaves the browser not logged in.
async fn password_step(app: &TestApp, user: &SeededUser) -> Browser {
    let browser = Browser::new(&app.address);
    let response = browser.login(&user.username, user.password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/accedi/verifica");
    browser
}

/// Each browser `password_step` opens is one the user never logged in from: each completed
/// login there is told by e-mail ("Nuovo accesso al tuo account").
async fn told_of_new_browsers(app: &TestApp, user: &SeededUser, count: usize) {
    assert_eq!(app.new_login_notices_to(&user.email).await.len(), count);
}

async fn second_step(browser: &Browser, code: &str) -> reqwest::Response {
    browser
        .post_form("/accedi/verifica", &[("code", code)])
        .await
}

#[tokio::test]
async fn enrolling_asks_the_password_and_a_working_code_then_shows_ten_recovery_codes_once() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;

    let refused = browser
        .post_form(&format!("{SECURITY}/app"), &[("password", "sbagliata")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("password attuale non è corretta")
    );

    let started = browser
        .post_form(&format!("{SECURITY}/app"), &[("password", PASSWORD)])
        .await;
    let secret = totp_secret_on(&started.text().await.unwrap());
    let wrong = browser
        .post_form(&format!("{SECURITY}/app/conferma"), &[("code", "000000")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = wrong.text().await.unwrap();
    assert!(page.contains("Il codice non corrisponde"), "{page}");
    assert_eq!(
        totp_secret_on(&page),
        secret,
        "the same secret while confirming"
    );
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM authenticator_apps)")
        .await;

    let confirmed = browser
        .post_form(
            &format!("{SECURITY}/app/conferma"),
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(
        confirmed.headers()["cache-control"].to_str().unwrap(),
        "no-store"
    );
    let codes = texts(&confirmed.text().await.unwrap(), "#codici-recupero li");
    assert_eq!(codes.len(), 10, "{codes:?}");
    let (_, overview) = browser.get_html(SECURITY).await;
    assert!(overview.contains("<strong>10</strong> su 10"), "{overview}");
    assert!(!overview.contains(&codes[0]), "codes are shown once");
    app.assert_holds("SELECT count(*) = 10 FROM recovery_codes WHERE used_at IS NULL")
        .await;
    let stored_in_clear = codes
        .iter()
        .map(|c| c.replace('-', ""))
        .map(|c| format!("position(convert_to('{c}', 'UTF8') in code_sha256) > 0"));
    let any_in_clear = stored_in_clear.collect::<Vec<_>>().join(" OR ");
    app.assert_holds(&format!(
        "SELECT NOT EXISTS (SELECT 1 FROM recovery_codes WHERE {any_in_clear})"
    ))
    .await;
    app.assert_holds(
        "SELECT array_agg(action ORDER BY created_at, action) @> ARRAY['app_autenticazione_attivata', 'codici_recupero_generati']
         FROM audit_events",
    )
    .await;
}

#[tokio::test]
async fn after_enrolment_the_password_alone_does_not_log_in_and_the_app_code_does() {
    let app = spawn_app().await;
    let (user, secret, _) = enrolled_representative(&app).await;
    app.advance_clock(Duration::seconds(30));

    let browser = password_step(&app, &user).await;
    let home = browser.get("/area-clienti").await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&home), "/accedi", "not logged in yet");

    let done = second_step(&browser, &code_now(&app, &secret)).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/area-clienti");
    assert_eq!(browser.get("/area-clienti").await.status(), StatusCode::OK);
    app.assert_holds(
        "SELECT details->>'fattore' = 'app' FROM audit_events WHERE action = 'accesso'
         ORDER BY created_at DESC LIMIT 1",
    )
    .await;
    told_of_new_browsers(&app, &user, 1).await;
}

#[tokio::test]
async fn an_app_code_is_accepted_once() {
    let app = spawn_app().await;
    let (user, secret, _) = enrolled_representative(&app).await;
    // The code that confirmed the enrolment is used up: the same step is refused.
    let browser = password_step(&app, &user).await;
    let replayed = second_step(&browser, &code_now(&app, &secret)).await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
    assert!(replayed.text().await.unwrap().contains("già usato"));

    app.advance_clock(Duration::seconds(30));
    let code = code_now(&app, &secret);
    assert_eq!(
        location(&second_step(&browser, &code).await),
        "/area-clienti"
    );
    let other = password_step(&app, &user).await;
    assert_eq!(
        second_step(&other, &code).await.status(),
        StatusCode::UNAUTHORIZED
    );
    told_of_new_browsers(&app, &user, 1).await;
}

#[tokio::test]
async fn a_recovery_code_replaces_the_app_once_and_the_count_goes_down() {
    let app = spawn_app().await;
    let (user, _, codes) = enrolled_representative(&app).await;
    let typed = codes[3].to_lowercase().replace('-', " ");

    let browser = password_step(&app, &user).await;
    assert_eq!(
        location(&second_step(&browser, &typed).await),
        "/area-clienti"
    );
    let (_, overview) = browser.get_html(SECURITY).await;
    assert!(overview.contains("<strong>9</strong> su 10"), "{overview}");

    let again = password_step(&app, &user).await;
    assert_eq!(
        second_step(&again, &codes[3]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.assert_holds(
        "SELECT details->>'fattore' = 'codice_recupero' FROM audit_events WHERE action = 'accesso'
         ORDER BY created_at DESC LIMIT 1",
    )
    .await;
    told_of_new_browsers(&app, &user, 1).await;
}

#[tokio::test]
async fn the_fifth_wrong_code_ends_the_attempt_and_the_failures_count_in_the_throttle() {
    let app = spawn_app().await;
    let (user, secret, _) = enrolled_representative(&app).await;
    app.advance_clock(Duration::seconds(30));
    let browser = password_step(&app, &user).await;
    for left in [4, 3, 2, 1] {
        let wrong = second_step(&browser, "123456").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let page = wrong.text().await.unwrap();
        assert!(page.contains(&format!("{left} tentativ")), "{left}: {page}");
    }
    let fifth = second_step(&browser, "123456").await;
    assert_eq!(fifth.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&fifth), "/accedi");
    let (_, login) = browser.get_html("/accedi").await;
    assert!(
        login.contains("annullato") || login.contains("Troppi tentativi"),
        "{login}"
    );

    // The attempt is over: even the right code no longer logs in.
    let late = second_step(&browser, &code_now(&app, &secret)).await;
    assert_eq!(location(&late), "/accedi");
    assert_eq!(
        browser.get("/area-clienti").await.status(),
        StatusCode::SEE_OTHER
    );
    // Password plus five wrong codes are failures of the account: the right password waits.
    let blocked = Browser::new(&app.address)
        .login(&user.username, user.password)
        .await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn recupera_password_changes_the_password_but_the_app_is_still_asked() {
    let app = spawn_app().await;
    let (user, secret, _) = enrolled_representative(&app).await;
    let browser = Browser::new(&app.address);
    browser
        .post_form("/recupera-password", &[("username", &user.username)])
        .await;
    let mail = app.mail_to(&user.email).await;
    let link = crate::helpers::activation_path(&mail);
    assert!(link.starts_with("/recupera-password/"), "{link}");
    browser.post_form(&format!("{link}/codice"), &[]).await;
    let code = app
        .code_for(&user.email, Some(crate::helpers::LR_MOBILE))
        .await;
    assert_eq!(
        browser.post_form(&link, &[("code", &code)]).await.status(),
        StatusCode::SEE_OTHER
    );
    let new_password = "Nuvole basse sulla Maiella 2026";
    let set = browser
        .post_form(
            &format!("{link}/password"),
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(location(&set), "/accedi/verifica");
    assert_eq!(
        browser.get("/area-clienti").await.status(),
        StatusCode::SEE_OTHER
    );

    app.advance_clock(Duration::seconds(30));
    let done = second_step(&browser, &code_now(&app, &secret)).await;
    assert_eq!(location(&done), "/area-clienti");
    app.run_pending_work().await; // the "password cambiata" notice

    // The app stays enrolled: the next login asks for it after the new password too.
    app.assert_holds("SELECT count(*) = 1 FROM authenticator_apps")
        .await;
    let again = Browser::new(&app.address);
    let response = again.login(&user.username, new_password).await;
    assert_eq!(location(&response), "/accedi/verifica");
    assert_eq!(location(&again.get("/area-clienti").await), "/accedi");
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_takes_the_recovery_codes_with_it() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    enrol(&app, &browser).await;

    let refused = browser
        .post_form(&format!("{SECURITY}/app/rimuovi"), &[("password", "no")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.assert_holds("SELECT count(*) = 1 FROM authenticator_apps")
        .await;

    let removed = browser
        .post_form(
            &format!("{SECURITY}/app/rimuovi"),
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&removed), SECURITY);
    app.assert_holds(
        "SELECT NOT EXISTS (SELECT 1 FROM authenticator_apps)
         AND NOT EXISTS (SELECT 1 FROM recovery_codes)",
    )
    .await;
    // Password-only again.
    let again = app.logged_in_as(&company.legal_rep).await;
    assert_eq!(again.get("/area-clienti").await.status(), StatusCode::OK);
    told_of_new_browsers(&app, &company.legal_rep, 1).await;
}
