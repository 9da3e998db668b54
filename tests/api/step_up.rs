//! Step-up (issue 12): a Gestione Utenze action, a factor change or an own-account change
//! more than 15 minutes after the login (the test clock moves) asks to confirm at
//! `/accedi/conferma` — the password, then the factor as at login — and then gives the
//! form back as it was sent, never with a password in it.

use reqwest::StatusCode;
use scraper::{Html, Selector};
use time::Duration;

use crate::helpers::{Browser, PASSWORD, TestApp, location};
use crate::seeds::COMPANY_A;
use crate::support::sms_gateway::code_in;

const ADD: &str = "/area-clienti/gestione-utenze/aggiungi";
const NEW_EMAIL: &str = "giulia.verdi@example.it";

fn new_user() -> [(&'static str, &'static str); 5] {
    [
        ("mobile", "+393471234567"),
        ("email", NEW_EMAIL),
        ("username", "giulia.verdi"),
        ("profile", "utilizzatore"),
        ("action", "save"),
    ]
}

async fn users_named(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The hidden fields of the kept form on the resume page (without the CSRF token), and
/// where it posts.
fn kept_form(html: &str) -> (String, Vec<(String, String)>) {
    let doc = Html::parse_document(html);
    let form = doc
        .select(&Selector::parse("main form[method=post]").unwrap())
        .find(|f| f.value().attr("action") != Some("/esci"))
        .expect("the kept form");
    let fields = form
        .select(&Selector::parse("input[type=hidden]").unwrap())
        .filter_map(|i| Some((i.value().attr("name")?, i.value().attr("value")?)))
        .filter(|(name, _)| *name != "csrf_token")
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    (form.value().attr("action").unwrap().to_owned(), fields)
}

/// The legal representative, logged in (SMS second step) `minutes` ago.
async fn representative_logged_in_ago(app: &TestApp, minutes: i64) -> (Browser, String) {
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    app.clock().advance(Duration::minutes(minutes));
    let mobile: String = sqlx::query_scalar("SELECT mobile FROM users WHERE id = $1")
        .bind(company.legal_rep.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (browser, mobile)
}

#[tokio::test]
async fn an_action_after_fifteen_minutes_is_confirmed_with_password_and_factor_and_the_form_is_kept()
 {
    let app = crate::helpers::spawn_app().await;
    let (lr, mobile) = representative_logged_in_ago(&app, 16).await;

    let asked = lr.post_form(ADD, &new_user()).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&asked), "/accedi/conferma");
    assert_eq!(users_named(&app, NEW_EMAIL).await, 0, "nothing done yet");

    let (status, page) = lr.get_html("/accedi/conferma").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Conferma la tua identità"));
    let wrong = lr
        .post_form("/accedi/conferma", &[("password", "non è la password")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = lr
        .post_form("/accedi/conferma", &[("password", PASSWORD)])
        .await;
    assert_eq!(
        location(&right),
        "/accedi/verifica",
        "the factor, as at login"
    );
    lr.post_form("/accedi/verifica/sms", &[]).await;
    let code = code_in(&app.sms_to(&mobile).await.text);
    let verified = lr.post_form("/accedi/verifica", &[("code", &code)]).await;
    assert_eq!(location(&verified), "/accedi/conferma/riprendi");

    let (_, resume) = lr.get_html("/accedi/conferma/riprendi").await;
    let (action, fields) = kept_form(&resume);
    assert_eq!(action, ADD);
    let sent: Vec<(String, String)> = new_user()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(fields, sent, "the form as it was typed");
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let done = lr.post_form(&action, &fields).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_ne!(
        location(&done),
        "/accedi/conferma",
        "confirmed: it goes through"
    );
    assert_eq!(users_named(&app, NEW_EMAIL).await, 1);
    // Shown once: the kept form is gone.
    let again = lr.get("/accedi/conferma/riprendi").await;
    assert_eq!(location(&again), "/area-clienti");
}

#[tokio::test]
async fn within_fifteen_minutes_of_the_login_nothing_more_is_asked() {
    let app = crate::helpers::spawn_app().await;
    let (lr, _) = representative_logged_in_ago(&app, 14).await;
    let added = lr.post_form(ADD, &new_user()).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_ne!(location(&added), "/accedi/conferma");
    assert_eq!(users_named(&app, NEW_EMAIL).await, 1);
}

#[tokio::test]
async fn a_kept_form_never_keeps_a_password_and_says_to_type_it_again() {
    let app = crate::helpers::spawn_app().await;
    let (lr, mobile) = representative_logged_in_ago(&app, 20).await;
    let asked = lr
        .client
        .post(format!("{}/area-clienti/sicurezza/app", lr.address))
        .header("Referer", format!("{}/area-clienti/sicurezza", lr.address))
        .form(&[("password", PASSWORD), ("csrf_token", &lr.csrf().await)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&asked), "/accedi/conferma");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT encode(data, 'escape') FROM tower_sessions.session")
            .fetch_all(&app.pool)
            .await
            .expect("the session store");
    assert!(!stored.is_empty());
    assert!(
        stored.iter().all(|s| !s.contains(PASSWORD)),
        "no password in a session"
    );

    lr.post_form("/accedi/conferma", &[("password", PASSWORD)])
        .await;
    lr.post_form("/accedi/verifica/sms", &[]).await;
    let code = code_in(&app.sms_to(&mobile).await.text);
    lr.post_form("/accedi/verifica", &[("code", &code)]).await;
    let (_, resume) = lr.get_html("/accedi/conferma/riprendi").await;
    assert!(resume.contains("scrivila di nuovo"), "{resume}");
    assert!(resume.contains(r#"href="/area-clienti/sicurezza""#));
}

#[tokio::test]
async fn a_forged_post_without_the_session_token_is_refused_not_kept() {
    let app = crate::helpers::spawn_app().await;
    let (lr, _) = representative_logged_in_ago(&app, 20).await;
    let fields: Vec<(&str, &str)> = new_user().to_vec();
    let forged = lr.post_raw(ADD, &fields).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(users_named(&app, NEW_EMAIL).await, 0);
    let (status, _) = lr.get_html("/accedi/conferma/riprendi").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "nothing kept to resume");
}
