//! Contacts are proven before they count (issue 12): a new own mobile by a code sent to it
//! by SMS, a new own e-mail by a link sent to it. Until then the old contact is the one in
//! use (logins, codes, e-mails). A password change or a confirmed contact change kills the
//! links e-mailed before.

use reqwest::StatusCode;

use crate::helpers::{
    Browser, LR_EMAIL, LR_MOBILE, PASSWORD, TestApp, activation_path, is_to, location, spawn_app,
    texts,
};
use crate::seeds::COMPANY_A;
use crate::support::sms_gateway::code_in;
use crate::support::smtp_sink::ReceivedEmail;

const CONTACTS: &str = "/area-clienti/profilo/contatti";
const CONFIRM_MOBILE: &str = "/area-clienti/profilo/contatti/cellulare";
const NEW_MOBILE: &str = "+393405551234";
const NEW_EMAIL: &str = "maria@nuova-azienda.it";

async fn contacts(app: &TestApp) -> (Option<String>, String) {
    let (mobile, email): (Option<String>, String) =
        sqlx::query_as("SELECT mobile, email FROM users WHERE profile = 'rappresentante_legale'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    (mobile, email)
}

async fn ask(browser: &Browser, email: &str, mobile: &str) -> reqwest::Response {
    browser
        .post_form(
            CONTACTS,
            &[
                ("email", email),
                ("mobile", mobile),
                ("current_password", PASSWORD),
            ],
        )
        .await
}

async fn sms_count_to(app: &TestApp, number: &str) -> usize {
    app.run_pending_work().await;
    app.sms
        .sent()
        .await
        .iter()
        .filter(|s| s.to == number)
        .count()
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[tokio::test]
async fn a_new_mobile_counts_only_after_the_code_sent_to_it() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;

    let asked = ask(&browser, LR_EMAIL, "340 555 1234").await;
    assert_eq!(location(&asked), CONTACTS);
    let (_, page) = browser.get_html(CONTACTS).await;
    assert!(page.contains("codice via SMS al nuovo numero"), "{page}");
    assert_eq!(
        texts(&page, r#"[data-pending="mobile"] strong"#),
        ["+39 340 555 1234"]
    );
    let code = code_in(&app.sms_to(NEW_MOBILE).await.text);
    assert_eq!(contacts(&app).await.0.as_deref(), Some(LR_MOBILE));

    // Until confirmed, the login's SMS goes to the old number.
    let before = sms_count_to(&app, LR_MOBILE).await;
    let other = Browser::new(&app.address);
    assert_eq!(
        location(&app.log_in(&other, LR_EMAIL, PASSWORD).await),
        "/area-clienti"
    );
    assert_eq!(sms_count_to(&app, LR_MOBILE).await, before + 1);
    assert_eq!(sms_count_to(&app, NEW_MOBILE).await, 1, "only the proof");

    let wrong = browser
        .post_form(CONFIRM_MOBILE, &[("code", other_than(&code))])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = wrong.text().await.unwrap();
    assert!(
        texts(&page, "#code-error")[0].contains("Codice errato"),
        "{page}"
    );
    assert_eq!(contacts(&app).await.0.as_deref(), Some(LR_MOBILE));

    let right = browser.post_form(CONFIRM_MOBILE, &[("code", &code)]).await;
    assert_eq!(location(&right), CONTACTS);
    assert_eq!(contacts(&app).await.0.as_deref(), Some(NEW_MOBILE));
    app.mail_matching("the notice to the address on file", |m| {
        is_to(m, LR_EMAIL) && m.subject.contains("contatto")
    })
    .await;
    for action in [
        "modifica_contatto_richiesta",
        "modifica_contatto_codice_errato",
        "contatti_modificati",
    ] {
        let n = app
            .count(&format!(
                "SELECT count(*) FROM audit_events WHERE action = '{action}'"
            ))
            .await;
        assert_eq!(n, 1, "{action}");
    }
    let last = Browser::new(&app.address);
    assert_eq!(
        location(&app.log_in(&last, LR_EMAIL, PASSWORD).await),
        "/area-clienti"
    );
    assert_eq!(
        sms_count_to(&app, NEW_MOBILE).await,
        2,
        "the login code goes there now"
    );
}

#[tokio::test]
async fn five_wrong_codes_end_a_mobile_change_and_a_cancelled_one_takes_no_code() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    ask(&browser, LR_EMAIL, NEW_MOBILE).await;
    let code = code_in(&app.sms_to(NEW_MOBILE).await.text);
    for _ in 0..4 {
        let wrong = browser
            .post_form(CONFIRM_MOBILE, &[("code", other_than(&code))])
            .await;
        assert!(!texts(&wrong.text().await.unwrap(), "#code-error").is_empty());
    }
    let last = browser
        .post_form(CONFIRM_MOBILE, &[("code", other_than(&code))])
        .await;
    assert!(last.text().await.unwrap().contains("troppe volte"));
    let late = browser.post_form(CONFIRM_MOBILE, &[("code", &code)]).await;
    assert_eq!(late.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(contacts(&app).await.0.as_deref(), Some(LR_MOBILE));

    // A new request, then «Annulla»: the change is gone and its code confirms nothing.
    ask(&browser, LR_EMAIL, NEW_MOBILE).await;
    let code = code_in(&app.sms_to(NEW_MOBILE).await.text);
    let cancelled = browser
        .post_form(
            "/area-clienti/profilo/contatti/annulla",
            &[("contatto", "cellulare")],
        )
        .await;
    assert_eq!(location(&cancelled), CONTACTS);
    let (_, page) = browser.get_html(CONTACTS).await;
    assert!(page.contains("Modifica annullata"), "{page}");
    assert!(texts(&page, "[data-pending]").is_empty(), "{page}");
    let refused = browser.post_form(CONFIRM_MOBILE, &[("code", &code)]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(contacts(&app).await.0.as_deref(), Some(LR_MOBILE));
    app.assert_holds(
        "SELECT count(*) = 2 FROM audit_events WHERE action = 'modifica_contatto_annullata'",
    )
    .await;
}

/// The e-mail that carries the link to confirm `NEW_EMAIL`.
async fn confirmation_email(app: &TestApp) -> ReceivedEmail {
    app.mail_matching("the confirmation link to the new address", |m| {
        is_to(m, NEW_EMAIL) && m.subject.contains("conferma il nuovo indirizzo")
    })
    .await
}

#[tokio::test]
async fn a_new_email_counts_only_once_its_link_is_confirmed_and_old_links_then_die() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;

    let asked = ask(&browser, NEW_EMAIL, LR_MOBILE).await;
    assert_eq!(location(&asked), CONTACTS);
    let link = activation_path(&confirmation_email(&app).await);
    assert!(link.starts_with("/conferma-email/"), "{link}");
    assert_eq!(contacts(&app).await.1, LR_EMAIL);

    // The old address is still the one in use: Recupera Password writes there.
    let visitor = Browser::new(&app.address);
    visitor
        .post_form("/recupera-password", &[("username", LR_EMAIL)])
        .await;
    let recovery = app
        .mail_matching("a recovery e-mail to the old address", |m| {
            is_to(m, LR_EMAIL) && m.subject.contains("recupera")
        })
        .await;
    let recovery_link = activation_path(&recovery);

    // Opening the link (as a mail scanner does) changes nothing.
    let opener = Browser::new(&app.address);
    let (status, page) = opener.get_html(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(NEW_EMAIL) && page.contains("Conferma"),
        "{page}"
    );
    assert_eq!(contacts(&app).await.1, LR_EMAIL);

    let confirmed = opener.post_form(&link, &[]).await;
    assert_eq!(location(&confirmed), "/conferma-email");
    let (_, page) = opener.get_html("/conferma-email").await;
    assert!(page.contains("confermato"), "{page}");
    assert_eq!(contacts(&app).await.1, NEW_EMAIL);
    app.mail_matching("the notice to the old address", |m| {
        is_to(m, LR_EMAIL) && m.subject.contains("contatto")
    })
    .await;
    assert_eq!(opener.get(&link).await.status(), StatusCode::GONE);
    let (status, _) = visitor.get_html(&recovery_link).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "the recovery link died with the change"
    );
    app.assert_holds(
        "SELECT details->'prima'->>'email' = 'maria.rossi@example.it'
            AND details->'dopo'->>'email' = 'maria@nuova-azienda.it'
         FROM audit_events WHERE action = 'contatti_modificati'",
    )
    .await;
}

#[tokio::test]
async fn a_recovery_link_requested_before_a_password_change_no_longer_works_after_it() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    let visitor = Browser::new(&app.address);
    visitor
        .post_form("/recupera-password", &[("username", LR_EMAIL)])
        .await;
    let link = activation_path(&app.mail_to(LR_EMAIL).await);
    assert_eq!(visitor.get(&link).await.status(), StatusCode::OK);

    let new_password = "Nebbia sulle risaie di Vercelli";
    let changed = browser
        .post_form(
            "/area-clienti/profilo/password",
            &[
                ("current_password", PASSWORD),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(location(&changed), "/area-clienti/profilo");
    app.mail_matching("the password notice", |m| {
        m.subject.contains("password cambiata")
    })
    .await;

    let (status, page) = visitor.get_html(&link).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
}
