//! Servizio Clienti 191: staff accounts, separate login, search, company sheet, resend.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::{
    Browser, TestApp, VAT_A, VAT_B, activation_path, contract_body, location, spawn_app, texts,
};

pub(crate) const STAFF: &str = "operatore.giulia";
pub(crate) const STAFF_PASSWORD: &str = "Centralino di Torino 191 turno";
const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";

/// The operator `STAFF`, created and logged in (app enrolled at this first login).
pub(crate) async fn staff_browser(app: &TestApp) -> Browser {
    app.staff_logged_in(STAFF, STAFF_PASSWORD).await
}

/// Submits a form of a staff page (the CSRF token comes from that page, as in a browser).
pub(crate) async fn staff_post(
    browser: &Browser,
    page_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, page) = browser.get_html(page_path).await;
    let csrf = crate::helpers::hidden_input(&page, "csrf_token").unwrap();
    let mut form = fields.to_vec();
    form.push(("csrf_token", &csrf));
    browser.post_raw(action, &form).await
}

fn run_staff_add(app: &TestApp, username: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_area-clienti"))
        .args(["staff", "add", username])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn staff_accounts_are_created_from_the_cli_with_the_password_policy() {
    let app = spawn_app().await;

    let weak = run_staff_add(&app, "operatore", "password");
    let ok = run_staff_add(&app, "operatore", STAFF_PASSWORD);
    let again = run_staff_add(&app, "OPERATORE", STAFF_PASSWORD);

    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        !again.status.success(),
        "usernames are unique regardless of case"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM staff_users WHERE password_hash LIKE '$argon2id$%'")
            .await,
        1
    );
}

#[tokio::test]
async fn staff_and_customer_sessions_never_open_each_others_pages() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let activated = app
        .activate(
            &app.browser,
            &mail,
            Some(MOBILE),
            "Tramonto sul lago di Garda 2026",
        )
        .await;
    assert_eq!(location(&activated), "/area-clienti", "customer logged in");
    let staff = staff_browser(&app).await;

    assert_eq!(
        location(&app.browser.get("/assistenza").await),
        "/assistenza/accedi",
        "customer session on staff pages"
    );
    assert_eq!(
        location(&staff.get("/area-clienti").await),
        "/accedi",
        "staff session on customer pages"
    );
    assert_eq!(staff.get("/assistenza").await.status(), StatusCode::OK);
    assert_eq!(
        app.browser.get("/area-clienti").await.status(),
        StatusCode::OK
    );
    let customer_on_staff_login = Browser::new(&app.address);
    let (_, page) = customer_on_staff_login.get_html("/assistenza/accedi").await;
    let csrf = crate::helpers::hidden_input(&page, "csrf_token").unwrap();
    let refused = customer_on_staff_login
        .post_raw(
            "/assistenza/accedi",
            &[
                ("username", EMAIL),
                ("password", "Tramonto sul lago di Garda 2026"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        Browser::new(&app.address)
            .login(STAFF, STAFF_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn staff_find_a_company_by_vat_name_email_username_or_mobile() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    app.post_contract(&contract_body(
        "CTR-1",
        VAT_A,
        EMAIL,
        Some(MOBILE),
        &["+393401112233"],
    ))
    .await;
    let mut other = contract_body(
        "CTR-2",
        VAT_B,
        "luca.verdi@example.it",
        None,
        &["+393409998877"],
    );
    other["company"]["name"] = serde_json::json!("Verdi Trasporti S.p.A.");
    app.post_contract(&other).await;
    let staff = staff_browser(&app).await;

    for query in [
        "IT01234567897",
        "0123456",
        "rossi impianti",
        "MARIA.ROSSI@",
        "maria.rossi@example.it",
        "340 111 2233",
        "+393331234567",
    ] {
        let path = format!("/assistenza?q={}", url_encode(query));
        let (status, page) = staff.get_html(&path).await;
        assert_eq!(status, StatusCode::OK);
        let names = texts(&page, ".result-list li strong");
        assert_eq!(names, vec!["Rossi Impianti S.r.l."], "query {query:?}");
    }
    let (_, page) = staff.get_html("/assistenza?q=verdi").await;
    assert_eq!(
        texts(&page, ".result-list li strong"),
        vec!["Verdi Trasporti S.p.A."]
    );
    let (status, page) = staff.get_html("/assistenza?q=nessuna-azienda").await;
    assert_eq!(status, StatusCode::OK);
    assert!(texts(&page, ".result-list li").is_empty());
    assert!(page.contains("Nessuna azienda trovata"), "the page says so");
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn staff_resend_the_username_email_with_a_reason_and_the_user_is_told() {
    let app = spawn_app().await;
    let first = app.onboard(EMAIL, Some(MOBILE)).await;
    let company_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let staff = staff_browser(&app).await;
    let sheet = format!("/assistenza/aziende/{company_id}");
    let action = format!("/assistenza/utenti/{user_id}/reinvia");

    let without_reason = staff_post(&staff, &sheet, &action, &[("reason", " ")]).await;
    assert_eq!(without_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        1,
        "nothing sent without a reason"
    );

    let done = staff_post(
        &staff,
        &sheet,
        &action,
        &[("reason", "Ticket 4711: e-mail non ricevuta")],
    )
    .await;

    assert_eq!(location(&done), sheet);
    let fresh = app
        .mail_matching("the expected email", |m| {
            m.to[0] == EMAIL
                && m.text.contains("/attivazione/")
                && activation_path(m) != activation_path(&first)
        })
        .await;
    assert_eq!(
        app.browser.get(&activation_path(&first)).await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.browser.get(&activation_path(&fresh)).await.status(),
        StatusCode::OK
    );
    app.mail_matching("the expected email", |m| {
        m.to[0] == EMAIL && m.subject.contains("Servizio Clienti")
    })
    .await;
    let (actor, details): (String, serde_json::Value) = sqlx::query_as(
        "SELECT actor_label, details FROM audit_events WHERE action = 'assistenza_reinvio_credenziali' AND staff_user_id IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, format!("assistenza:{STAFF}"));
    assert_eq!(details["motivo"], "Ticket 4711: e-mail non ricevuta");
}

#[tokio::test]
async fn the_company_sheet_shows_users_lines_messages_with_their_errors_and_no_secrets() {
    let app = spawn_app().await;
    app.smtp.set_reject(Some("550 5.1.1 casella inesistente"));
    app.post_contract(&contract_body(
        "CTR-1",
        VAT_A,
        EMAIL,
        Some(MOBILE),
        &["+393401112233"],
    ))
    .await;
    app.run_pending_work().await;
    app.assert_holds("SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'failed')")
        .await;
    let company_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let staff = staff_browser(&app).await;

    let (status, page) = staff
        .get_html(&format!("/assistenza/aziende/{company_id}"))
        .await;

    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Rossi Impianti S.r.l.",
        "01234567897",
        EMAIL,
        "+39 340 111 2233",
        "CTR-1",
        "550",
        "failed",
        "contratto_registrato",
    ] {
        assert!(page.contains(expected), "{expected} missing");
    }
    assert!(
        !page.contains("/attivazione/"),
        "no link token shown to staff"
    );
    assert_eq!(
        staff
            .get("/assistenza/aziende/00000000-0000-0000-0000-000000000000")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_search_matching_too_many_companies_shows_some_and_asks_to_narrow_it() {
    let app = spawn_app().await;
    // 250 companies with the same surname in their name (more than the console sorts).
    sqlx::query(
        "INSERT INTO companies (id, name, vat_number)
         SELECT gen_random_uuid(), 'Esposito Servizi ' || g, lpad(g::text, 11, '0')
         FROM generate_series(1, 250) g",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let staff = staff_browser(&app).await;

    let (status, page) = staff.get_html("/assistenza?q=esposito").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page, ".result-list li strong").len(), 20);
    assert!(
        page.contains("Troppe aziende corrispondono alla ricerca"),
        "{page}"
    );
    let (_, narrow) = staff.get_html("/assistenza?q=esposito+servizi+17").await;
    let names = texts(&narrow, ".result-list li strong");
    assert!(
        names.contains(&"Esposito Servizi 17".to_owned()),
        "{names:?}"
    );
    assert!(!narrow.contains("Troppe aziende"));
}

#[tokio::test]
async fn control_characters_in_the_search_or_the_reason_are_never_a_500() {
    let app = spawn_app().await;
    app.onboard(EMAIL, Some(MOBILE)).await;
    let company_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let staff = staff_browser(&app).await;
    let sheet = format!("/assistenza/aziende/{company_id}");
    let queued = app.count("SELECT count(*) FROM outbox").await;

    let (searched, _) = staff.get_html("/assistenza?q=ab%00cd").await;
    // Straight to the portal: a reverse proxy (nginx) answers 400 itself to a NUL in a path,
    // and the portal's own answer is what this checks.
    let (bad_company, _) = staff
        .towards(&app.direct_address)
        .get_html("/assistenza/aziende/%00")
        .await;
    let refused = staff_post(
        &staff,
        &sheet,
        &format!("/assistenza/utenti/{user_id}/reinvia"),
        &[("reason", "Ticket\u{0} 4711")],
    )
    .await;

    assert_eq!(searched, StatusCode::OK);
    assert_eq!(bad_company, StatusCode::NOT_FOUND);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains(&format!(r#"id="reason-{user_id}-error""#)));
    assert!(page.contains("caratteri non ammessi"));
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        queued,
        "nothing sent"
    );
}
