//! Lost factors (CONTRACT.md §4b, issue 12): the legal representative (for the company's
//! users, from Gestione Utenze) or Servizio Clienti 191 (with a reason) reset them; the user
//! is logged out, told by e-mail, and re-enrols after link + code as at activation — never
//! with the password alone.

use reqwest::StatusCode;

use crate::helpers::{
    Browser, GU, LR_EMAIL, PASSWORD, TestApp, activation_path, is_to, location, spawn_app,
};
use crate::second_factor::{code_now, enrol};
use crate::seeds::COMPANY_A;
use crate::support::smtp_sink::ReceivedEmail;

pub(crate) const ENROL: &str = "/area-clienti/sicurezza/attiva";
const EMPLOYEE: &str = "anna.neri@example.it";
const EMPLOYEE_MOBILE: &str = "+393401112233";

/// The "fattori azzerati" e-mail to `email`.
pub(crate) async fn reset_email(app: &TestApp, email: &str) -> ReceivedEmail {
    app.mail_matching("the factors-reset e-mail", |m| {
        is_to(m, email) && m.subject.contains("fattori di accesso sono stati azzerati")
    })
    .await
}

pub(crate) async fn apps_of(app: &TestApp, user_id: uuid::Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM authenticator_apps WHERE user_id = $1)
              + (SELECT count(*) FROM recovery_codes WHERE user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Opens the re-enrolment link of `mail` at a new browser, asks for the code and types it:
/// the browser ends up logged in only to enrol, a login like the others (a browser new to
/// the user: "Nuovo accesso al tuo account").
pub(crate) async fn link_and_code(
    app: &TestApp,
    mail: &ReceivedEmail,
    mobile: Option<&str>,
) -> Browser {
    let notices = app.new_login_notices_to(&mail.to[0]).await.len();
    let link = activation_path(mail);
    assert!(link.starts_with("/nuovo-fattore/"), "{link}");
    // One code a minute per user: the activation's code may have just gone.
    app.advance_clock(time::Duration::minutes(1));
    let browser = Browser::new(&app.address);
    let (status, page) = browser.get_html(&link).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Invia il codice di verifica"), "{page}");
    let sent = browser.post_form(&format!("{link}/codice"), &[]).await;
    assert_eq!(location(&sent), link);
    let code = app.code_for(&mail.to[0], mobile).await;
    let typed = browser.post_form(&link, &[("code", &code)]).await;
    assert_eq!(location(&typed), ENROL);
    assert_eq!(location(&browser.get("/area-clienti").await), ENROL);
    let (again, _) = browser.get_html(&link).await;
    assert_eq!(again, StatusCode::GONE, "the link is used up");
    assert_eq!(
        app.new_login_notices_to(&mail.to[0]).await.len(),
        notices + 1,
        "the link's browser is new to the user"
    );
    browser
}

#[tokio::test]
async fn the_legal_representative_resets_an_employee_s_factors_and_link_and_code_re_enrol_them() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    let employee = app
        .employee_logged_in(&lr, EMPLOYEE, Some(EMPLOYEE_MOBILE), "utilizzatore")
        .await;
    let (old_secret, _) = enrol(&app, &employee).await;
    let id = app.user_id(EMPLOYEE).await;

    let (_, form) = lr.get_html(&format!("{GU}/utenti/{id}/modifica")).await;
    let action = format!("{GU}/utenti/{id}/azzera-fattori");
    assert!(form.contains(&format!(r#"action="{action}""#)), "{form}");
    let reset = lr.post_form(&action, &[]).await;
    assert_eq!(location(&reset), GU);
    let (_, list) = lr.get_html(GU).await;
    assert!(list.contains("Fattori di accesso di "), "{list}");

    assert_eq!(apps_of(&app, id).await, 0, "app and recovery codes gone");
    assert_eq!(
        location(&employee.get("/area-clienti").await),
        "/accedi",
        "the employee's session ended"
    );
    app.assert_holds(
        "SELECT actor_label = 'maria.rossi@example.it' AND details->>'da' = 'rappresentante_legale'
         FROM audit_events WHERE action = 'fattori_azzerati'",
    )
    .await;
    let mail = reset_email(&app, EMPLOYEE).await;
    assert!(
        mail.text.contains("Maria Rossi"),
        "who did it: {}",
        mail.text
    );
    assert!(mail.text.contains("Recupera Password"), "{}", mail.text);

    let browser = link_and_code(&app, &mail, Some(EMPLOYEE_MOBILE)).await;
    let (_, page) = browser.get_html(ENROL).await;
    assert!(page.contains("sostituisce i fattori di accesso"), "{page}");
    let secret = app.enrol_required_app(&browser).await;
    assert_ne!(secret, old_secret);
    assert_eq!(browser.get("/area-clienti").await.status(), StatusCode::OK);

    app.advance_clock(time::Duration::seconds(30));
    let next = Browser::new(&app.address);
    assert_eq!(
        location(&next.login(EMPLOYEE, PASSWORD).await),
        "/accedi/verifica"
    );
    let notices = app.new_login_notices_to(EMPLOYEE).await.len();
    let done = next
        .post_form("/accedi/verifica", &[("code", &code_now(&app, &secret))])
        .await;
    assert_eq!(location(&done), "/area-clienti");
    assert_eq!(
        app.new_login_notices_to(EMPLOYEE).await.len(),
        notices + 1,
        "one more new browser"
    );
}

#[tokio::test]
async fn only_the_legal_representative_resets_factors_and_not_their_own() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    let full = app
        .seeded_employee_logged_in(
            LR_EMAIL,
            "full@example.it",
            Some("+393471000001"),
            "amministratore_full",
        )
        .await;
    let user = app
        .seed_user(company.company_id, EMPLOYEE, None, "utilizzatore", "attivo")
        .await;
    let employee = app.logged_in_as(&user).await;
    enrol(&app, &employee).await;
    let snapshot = app.state_snapshot().await;

    for (who, browser, target) in [
        ("Amministratore Full", &full, user.id),
        (
            "the legal representative on themself",
            &lr,
            company.legal_rep.id,
        ),
    ] {
        let (status, _) = browser
            .get_html(&format!("{GU}/utenti/{target}/modifica"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: no Modifica page");
        let refused = browser
            .post_form(&format!("{GU}/utenti/{target}/azzera-fattori"), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{who}");
    }
    assert_eq!(app.state_snapshot().await, snapshot, "nothing changed");
    assert_eq!(
        apps_of(&app, user.id).await,
        11,
        "app and ten recovery codes kept"
    );
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn after_a_reset_sicurezza_refuses_a_new_app_until_the_link_is_used() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    let user = app
        .seed_user(
            company.company_id,
            EMPLOYEE,
            Some(EMPLOYEE_MOBILE),
            "utilizzatore",
            "attivo",
        )
        .await;
    enrol(&app, &app.logged_in_as(&user).await).await;
    let reset = lr
        .post_form(&format!("{GU}/utenti/{}/azzera-fattori", user.id), &[])
        .await;
    assert_eq!(location(&reset), GU);

    // An Utilizzatore may log in with the password alone, but not enrol with it.
    let employee = app.logged_in_as(&user).await;
    let started = employee
        .post_form("/area-clienti/sicurezza/app", &[("password", PASSWORD)])
        .await;
    assert_eq!(location(&started), "/area-clienti/sicurezza");
    let (_, page) = employee.get_html("/area-clienti/sicurezza").await;
    assert!(
        page.contains("apri il link che ti abbiamo inviato per e-mail"),
        "{page}"
    );
    assert_eq!(apps_of(&app, user.id).await, 0);

    let mail = reset_email(&app, EMPLOYEE).await;
    let enrolling = link_and_code(&app, &mail, Some(EMPLOYEE_MOBILE)).await;
    app.enrol_required_app(&enrolling).await;
    assert_eq!(apps_of(&app, user.id).await, 11);
}

/// A passkey as `db::passkeys` stores it; a reset only counts and deletes the rows.
async fn add_passkey(app: &TestApp, user_id: uuid::Uuid) {
    sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, passkey, name, created_at)
         VALUES (gen_random_uuid(), $1, '\\x0102'::bytea, '{}'::jsonb, 'Telefono', now())",
    )
    .bind(user_id)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_reset_removes_passkeys_ends_session_rows_and_adds_no_passkey_before_the_link() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    let user = app
        .seed_user(company.company_id, EMPLOYEE, None, "utilizzatore", "attivo")
        .await;
    let first = app.logged_in_as(&user).await;
    let second = app.logged_in_as(&user).await;
    add_passkey(&app, user.id).await;
    let open_rows = format!(
        "SELECT count(*) FROM user_sessions WHERE user_id = '{}' AND ended_at IS NULL",
        user.id
    );
    let open: i64 = sqlx::query_scalar(&open_rows)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(open, 2);

    let reset = lr
        .post_form(&format!("{GU}/utenti/{}/azzera-fattori", user.id), &[])
        .await;
    assert_eq!(location(&reset), GU);

    app.assert_holds(&format!(
        "SELECT NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = '{}')",
        user.id
    ))
    .await;
    let open: i64 = sqlx::query_scalar(&open_rows)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(open, 0, "every session row ended");
    app.assert_holds(
        "SELECT details->>'sessioni' = '2' AND details->>'fattori_presenti' = 'true'
         FROM audit_events WHERE action = 'fattori_azzerati'",
    )
    .await;
    for browser in [&first, &second] {
        assert_eq!(location(&browser.get("/area-clienti").await), "/accedi");
    }

    // The password alone logs an Utilizzatore in, but adds no passkey either.
    let again = app.logged_in_as(&user).await;
    let started = again
        .post_form("/area-clienti/sicurezza/passkey", &[("password", PASSWORD)])
        .await;
    assert_eq!(location(&started), "/area-clienti/sicurezza");
    let (_, page) = again.get_html("/area-clienti/sicurezza").await;
    assert!(
        page.contains("apri il link che ti abbiamo inviato per e-mail"),
        "{page}"
    );
    assert_eq!(
        location(&again.get("/area-clienti/sicurezza/passkey").await),
        "/area-clienti/sicurezza",
        "the passkey page does not open"
    );
    reset_email(&app, EMPLOYEE).await;
    assert_eq!(
        app.new_login_notices_to(EMPLOYEE).await.len(),
        2,
        "the second and third browsers were new"
    );
}
