//! Every user changes their own email, mobile and password, re-authenticating first.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, hidden_input, location, spawn_app, texts};

const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";
const PASSWORD: &str = "Tramonto sul lago di Garda 2026";
const NEW_PASSWORD: &str = "Nebbia sulle risaie di Vercelli";

async fn logged_in(app: &TestApp) {
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    assert_eq!(
        location(
            &app.activate(&app.browser, &mail, Some(MOBILE), PASSWORD)
                .await
        ),
        "/area-clienti"
    );
}

#[tokio::test]
async fn changing_email_and_mobile_needs_the_current_password_and_tells_the_old_address() {
    let app = spawn_app().await;
    logged_in(&app).await;
    let form = |password: &'static str| {
        vec![
            ("email", "maria@nuova-azienda.it"),
            ("mobile", "340 555 1234"),
            ("current_password", password),
        ]
    };

    let wrong = app
        .browser
        .post_form("/area-clienti/profilo/contatti", &form("non è lei"))
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong.text().await.unwrap();
    assert!(texts(&html, "#current_password-error")[0].contains("non è corretta"));
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'maria@nuova-azienda.it'")
            .await,
        0
    );

    let right = app
        .browser
        .post_form("/area-clienti/profilo/contatti", &form(PASSWORD))
        .await;

    // Both wait for their proof: a code to the new number, a link to the new address.
    assert_eq!(location(&right), "/area-clienti/profilo/contatti");
    let stored = || async {
        let row: (String, Option<String>) = sqlx::query_as("SELECT email, mobile FROM users")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        row
    };
    assert_eq!(stored().await, (EMAIL.to_owned(), Some(MOBILE.to_owned())));
    let code = crate::support::sms_gateway::code_in(&app.sms_to("+393405551234").await.text);
    let confirmed = app
        .browser
        .post_form(
            "/area-clienti/profilo/contatti/cellulare",
            &[("code", &code)],
        )
        .await;
    assert_eq!(location(&confirmed), "/area-clienti/profilo/contatti");
    let link = app
        .mail_matching("the link to the new address", |m| {
            m.to[0] == "maria@nuova-azienda.it" && m.subject.contains("conferma")
        })
        .await;
    let link = crate::helpers::activation_path(&link);
    assert_eq!(
        location(&app.browser.post_form(&link, &[]).await),
        "/conferma-email"
    );
    assert_eq!(
        stored().await,
        (
            "maria@nuova-azienda.it".to_owned(),
            Some("+393405551234".to_owned())
        )
    );
    app.mail_matching("the expected email", |m| {
        m.to[0] == EMAIL && m.subject.contains("contatto")
    })
    .await;
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'contatti_modificati' AND details->'prima'->>'email' = 'maria.rossi@example.it'").await, 1);
}

#[tokio::test]
async fn an_invalid_mobile_is_refused_keeping_what_was_typed() {
    let app = spawn_app().await;
    logged_in(&app).await;

    let response = app
        .browser
        .post_form(
            "/area-clienti/profilo/contatti",
            &[
                ("email", EMAIL),
                ("mobile", "06 1234"),
                ("current_password", PASSWORD),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(!texts(&html, "#mobile-error").is_empty());
    assert!(html.contains(r#"value="06 1234""#));
    assert!(
        hidden_input(&html, "current_password").is_none(),
        "the password is never sent back"
    );
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_but_keeps_this_one() {
    let app = spawn_app().await;
    logged_in(&app).await;
    let other = Browser::new(&app.address);
    assert_eq!(
        location(&app.log_in(&other, EMAIL, PASSWORD).await),
        "/area-clienti"
    );

    let changed = app
        .browser
        .post_form(
            "/area-clienti/profilo/password",
            &[
                ("current_password", PASSWORD),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;

    assert_eq!(location(&changed), "/area-clienti/profilo");
    assert_eq!(
        app.browser.get("/area-clienti").await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        location(&other.get("/area-clienti").await),
        "/accedi",
        "the other session ended"
    );
    app.mail_matching("the expected email", |m| {
        m.to[0] == EMAIL && m.subject.contains("password cambiata")
    })
    .await;
    let fresh = Browser::new(&app.address);
    assert_eq!(
        app.log_in(&fresh, EMAIL, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        location(&app.log_in(&fresh, EMAIL, NEW_PASSWORD).await),
        "/area-clienti"
    );
    let (_, security) = app.browser.get_html("/area-clienti/sicurezza").await;
    assert_eq!(
        texts(&security, "tr[data-session][data-current]").len(),
        1,
        "this session is still listed, in the new epoch: {security}"
    );
    assert_eq!(
        app.new_login_notices_to(EMAIL).await.len(),
        2,
        "`other` and `fresh` are browsers Maria had not used"
    );
}

#[tokio::test]
async fn a_new_password_needs_the_current_one_and_the_policy() {
    let app = spawn_app().await;
    logged_in(&app).await;

    let wrong = app
        .browser
        .post_form(
            "/area-clienti/profilo/password",
            &[
                ("current_password", "no"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    let weak = app
        .browser
        .post_form(
            "/area-clienti/profilo/password",
            &[
                ("current_password", PASSWORD),
                ("password", "password1234"),
                ("password_confirm", "password1234"),
            ],
        )
        .await;

    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(texts(&weak.text().await.unwrap(), "#password-error")[0].contains("facile"));
    assert_eq!(
        location(
            &app.log_in(&Browser::new(&app.address), EMAIL, PASSWORD)
                .await
        ),
        "/area-clienti"
    );
    assert_eq!(app.new_login_notices_to(EMAIL).await.len(), 1);
}

#[tokio::test]
async fn a_profile_change_ends_the_employee_sessions_so_the_next_login_gets_a_new_session() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    let employee = app
        .employee_logged_in(
            &lr,
            "anna.neri@example.it",
            Some("+393401112233"),
            "utilizzatore",
        )
        .await;
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);
    let id = app.user_id("anna.neri@example.it").await;

    let changed = lr
        .post_form(
            &format!("/area-clienti/gestione-utenze/utenti/{id}/modifica"),
            &[
                ("email", "anna.neri@example.it"),
                ("mobile", "+393401112233"),
                ("profile", "amministratore_full"),
            ],
        )
        .await;

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&employee.get("/area-clienti").await), "/accedi");
}

#[tokio::test]
async fn an_active_employee_is_told_at_the_old_address_when_their_contacts_are_changed_for_them() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    app.employee_logged_in(
        &lr,
        "anna.neri@example.it",
        Some("+393401112233"),
        "utilizzatore",
    )
    .await;
    let id = app.user_id("anna.neri@example.it").await;

    lr.post_form(
        &format!("/area-clienti/gestione-utenze/utenti/{id}/modifica"),
        &[
            ("email", "anna@altra.it"),
            ("mobile", "+393401112233"),
            ("profile", "utilizzatore"),
        ],
    )
    .await;

    app.mail_matching("the expected email", |m| {
        m.to[0] == "anna.neri@example.it" && m.subject.contains("contatto")
    })
    .await;
}
