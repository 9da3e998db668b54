//! `MFA_REQUIRED_FOR` (CONTRACT.md §4b): the legal representative and Amministratore Full
//! never get in with a password alone. With a mobile the code comes by SMS; without one
//! an app is enrolled before any other page opens. Other profiles choose.

use reqwest::StatusCode;

use crate::helpers::{
    Browser, GU, LR_MOBILE, TestApp, location, location_path, spawn_app, spawn_app_with,
};
use crate::seeds::{COMPANY_A, CompanySeed, SeededUser};
use crate::support::sms_gateway::code_in;

const SECURITY_ENROL: &str = "/area-clienti/sicurezza/attiva";

async fn password_step(app: &TestApp, user: &SeededUser) -> (Browser, reqwest::Response) {
    let browser = Browser::new(&app.address);
    let response = browser.login(&user.username, user.password).await;
    (browser, response)
}

#[tokio::test]
async fn a_legal_representative_with_a_mobile_needs_the_sms_code_and_the_audit_says_sms() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let (browser, response) = password_step(&app, &company.legal_rep).await;
    assert_eq!(location(&response), "/accedi/verifica");
    assert_eq!(location(&browser.get("/area-clienti").await), "/accedi");
    let (_, page) = browser.get_html("/accedi/verifica").await;
    assert!(page.contains("Invia il codice via SMS"), "{page}");

    let sent = browser.post_form("/accedi/verifica/sms", &[]).await;
    assert_eq!(location(&sent), "/accedi/verifica");
    let (_, page) = browser.get_html("/accedi/verifica").await;
    assert!(page.contains("+39 333 ••• 4567"), "{page}");
    let code = code_in(&app.sms_to(LR_MOBILE).await.text);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = browser
        .post_form("/accedi/verifica", &[("code", wrong)])
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let done = browser
        .post_form("/accedi/verifica", &[("code", &code)])
        .await;
    assert_eq!(location(&done), "/area-clienti");
    assert_eq!(browser.get(GU).await.status(), StatusCode::OK);
    app.assert_holds(
        "SELECT details->>'fattore' = 'sms' FROM audit_events WHERE action = 'accesso'
         ORDER BY created_at DESC LIMIT 1",
    )
    .await;
}

#[tokio::test]
async fn without_a_mobile_every_page_leads_to_enrolling_an_app_until_it_is_done() {
    let app = spawn_app().await;
    let company = app
        .seed_company(&CompanySeed {
            lr_mobile: None,
            ..COMPANY_A
        })
        .await;
    let (browser, response) = password_step(&app, &company.legal_rep).await;
    assert_eq!(location(&response), SECURITY_ENROL);
    for page in [
        "/area-clienti",
        GU,
        "/area-clienti/profilo",
        "/area-clienti/sicurezza",
    ] {
        let answer = browser.get(page).await;
        assert_eq!(location(&answer), SECURITY_ENROL, "{page}");
    }
    let (_, page) = browser.get_html(SECURITY_ENROL).await;
    assert!(page.contains("non hai un cellulare registrato"), "{page}");
    assert!(!page.contains("Annulla"), "no way around it but Esci");

    let secret = app.enrol_required_app(&browser).await;
    assert_eq!(browser.get(GU).await.status(), StatusCode::OK);
    assert_eq!(
        location(&browser.get(SECURITY_ENROL).await),
        "/area-clienti/sicurezza"
    );

    // From now on the app is asked after the password, and SMS is not offered.
    app.advance_clock(time::Duration::seconds(30));
    let (again, response) = password_step(&app, &company.legal_rep).await;
    assert_eq!(location(&response), "/accedi/verifica");
    let (_, page) = again.get_html("/accedi/verifica").await;
    assert!(!page.contains("/accedi/verifica/sms"), "{page}");
    let now = app.clock().now().unix_timestamp();
    let code = area_clienti::auth::factors::totp::code_at(&secret, now);
    let done = again
        .post_form("/accedi/verifica", &[("code", &code)])
        .await;
    assert_eq!(location(&done), "/area-clienti");
    let notices = app.new_login_notices_to(&company.legal_rep.email).await;
    assert_eq!(
        notices.len(),
        1,
        "a second browser, after the enrolling one"
    );
}

#[tokio::test]
async fn an_utilizzatore_logs_in_with_the_password_alone_unless_they_enrolled_a_factor() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let user = app
        .seed_user(
            company.company_id,
            "luca@example.it",
            Some("+393471234567"),
            "utilizzatore",
            "attivo",
        )
        .await;
    let (_, response) = password_step(&app, &user).await;
    assert_eq!(location(&response), "/area-clienti");
    assert_eq!(
        app.sms.sent().await.len(),
        0,
        "no SMS for an optional factor"
    );
}

#[tokio::test]
async fn an_empty_mfa_required_for_makes_the_second_factor_optional_for_everyone() {
    let app = spawn_app_with(|s| s.mfa_required_for = String::new()).await;
    let company = app.seed_company(&COMPANY_A).await;
    let (_, response) = password_step(&app, &company.legal_rep).await;
    assert_eq!(location(&response), "/area-clienti");
}

#[tokio::test]
async fn a_password_step_on_a_logged_in_browser_ends_the_previous_login() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let user = app
        .seed_user(
            company.company_id,
            "luca@example.it",
            None,
            "utilizzatore",
            "attivo",
        )
        .await;
    let browser = app.logged_in_as(&user).await;
    assert_eq!(browser.get("/area-clienti").await.status(), StatusCode::OK);

    let rep = &company.legal_rep;
    let response = browser.login(&rep.username, rep.password).await;
    assert_eq!(location(&response), "/accedi/verifica");
    assert_eq!(location(&browser.get("/area-clienti").await), "/accedi");
}

/// Two browsers of a legal representative without a mobile are both only allowed to enrol;
/// the first one to enrol wins, and the other, which proved the password only, does not get
/// in on the strength of the first one's app.
#[tokio::test]
async fn an_app_enrolled_in_another_browser_does_not_open_a_password_only_session() {
    let app = spawn_app().await;
    let company = app
        .seed_company(&CompanySeed {
            lr_mobile: None,
            ..COMPANY_A
        })
        .await;
    let (first, _) = password_step(&app, &company.legal_rep).await;
    let (second, _) = password_step(&app, &company.legal_rep).await;
    let (_, second_page) = second.get_html(SECURITY_ENROL).await;
    let second_secret = crate::helpers::totp_secret_on(&second_page);
    app.enrol_required_app(&first).await;

    let now = app.clock().now().unix_timestamp();
    let code = area_clienti::auth::factors::totp::code_at(&second_secret, now);
    let late = second
        .post_form("/area-clienti/sicurezza/app/conferma", &[("code", &code)])
        .await;
    assert_eq!(location(&late), "/accedi");
    let (_, login) = second.get_html("/accedi").await;
    assert!(login.contains("da un altro browser"), "{login}");
    assert_eq!(
        location_path(&second.get(GU).await),
        "/accedi",
        "logged out"
    );
    assert_eq!(first.get(GU).await.status(), StatusCode::OK);
    // The second browser was new to the account: its login was told by e-mail.
    let email = &company.legal_rep.email;
    assert_eq!(app.new_login_notices_to(email).await.len(), 1);
}
