//! The journeys of issue 7, one test each, in a real browser: every page on the way is
//! checked with axe-core at phone and desktop size and screenshotted (`Page::check`).

use serde_json::json;

use area_clienti::auth::factors::totp;

use crate::chrome::{Driver, Js, xpath_literal};
use crate::helpers::{
    GU, LR_EMAIL, LR_MOBILE, PASSWORD, VAT_A, activation_path, contract_body, spawn_app,
};
use crate::steps::{complete_link, link_path, log_in, log_out, secret_on};

/// A new employee, added through "Aggiungi".
const EMPLOYEE: &str = "giulia.verdi@example.it";
const EMPLOYEE_MOBILE: &str = "+393471234567";

#[tokio::test]
async fn the_legal_representative_goes_from_the_username_email_to_the_home_page() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    assert!(
        mail.text.contains(LR_EMAIL),
        "the e-mail states the username"
    );
    let page = driver.open(&app.address, Js::Enabled).await;

    complete_link(
        &app,
        &page,
        &activation_path(&mail),
        LR_MOBILE,
        PASSWORD,
        Some("attivazione"),
    )
    .await;

    assert_eq!(page.text("h1").await, "Benvenuto, Maria");
    assert!(
        page.text("main").await.contains("Rossi Impianti S.r.l."),
        "the home page names the company"
    );
    log_out(&page).await;
    page.check("accedi").await;
    let username = LR_EMAIL.to_uppercase();
    let sms_step = Some("accedi-verifica-sms");
    log_in(
        &app,
        &page,
        (&username, PASSWORD),
        Some(LR_MOBILE),
        sms_step,
    )
    .await;
    assert_eq!(page.text("h1").await, "Benvenuto, Maria");
    page.close().await;
}

#[tokio::test]
async fn an_employee_added_with_aggiungi_e_registra_activates_in_another_browser() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let lr = driver.open(&app.address, Js::Enabled).await;
    complete_link(
        &app,
        &lr,
        &activation_path(&mail),
        LR_MOBILE,
        PASSWORD,
        None,
    )
    .await;

    lr.click_link("Gestione Utenze").await;
    lr.wait_for_heading("Gestione Utenze").await;
    lr.check("utenze-1-elenco").await;
    lr.click_link("Aggiungi").await;
    lr.find("#email").await;
    lr.check("utenze-2-aggiungi").await;
    lr.click_button("Aggiungi e Registra").await;
    lr.find(".error-summary").await;
    lr.check("utenze-3-aggiungi-errori").await;
    lr.fill("#mobile", EMPLOYEE_MOBILE).await;
    lr.fill("#email", EMPLOYEE).await;
    lr.fill("#username", EMPLOYEE).await;
    lr.click("#profile-utilizzatore").await;
    lr.click_button("Aggiungi e Registra").await;
    lr.wait_for_path("Gestione Utenze", |p| {
        p.starts_with(GU) && !p.contains("aggiungi")
    })
    .await;
    lr.find(".notice").await;
    lr.check("utenze-4-aggiunto").await;
    let employee_id = app.user_id(EMPLOYEE).await;
    let row = format!(r#"tr[data-user-id="{employee_id}"]"#);
    assert_eq!(
        lr.attr(&row, "data-stato").await.as_deref(),
        Some("in_attesa")
    );

    // The employee, at their own computer: the username e-mail, the code by SMS.
    let mail = app.username_email(EMPLOYEE).await;
    assert!(
        mail.text.contains(EMPLOYEE),
        "the e-mail states the username"
    );
    let employee = driver.open(&app.address, Js::Enabled).await;
    complete_link(
        &app,
        &employee,
        &activation_path(&mail),
        EMPLOYEE_MOBILE,
        PASSWORD,
        None,
    )
    .await;
    employee.check("utenze-5-home-utilizzatore").await;
    assert!(
        !employee
            .exists(r#"a[href="/area-clienti/gestione-utenze"]"#)
            .await,
        "an utilizzatore has no Gestione Utenze"
    );

    lr.goto(GU).await;
    assert_eq!(lr.attr(&row, "data-stato").await.as_deref(), Some("attivo"));
    employee.close().await;
    lr.close().await;
}

#[tokio::test]
async fn a_line_da_registrare_is_updated_with_aggiorna_then_registered() {
    const NUMBER: &str = "+393401112299";
    const LUCA: &str = "luca.bianchi@example.it";
    let app = spawn_app().await;
    let driver = Driver::start();
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let mut body = contract_body("CTR-2", VAT_A, LR_EMAIL, None, &[]);
    body["mobile_lines"] = json!([{
        "number": NUMBER,
        "referent": {"first_name": "Luca", "last_name": "Bianchi", "email": LUCA, "profile": "amministratore_light"}
    }]);
    assert_eq!(app.post_contract(&body).await.status().as_u16(), 201);
    let line = app.line_id(NUMBER).await;
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

    page.click_link("Gestione Utenze").await;
    page.wait_for_heading("Gestione Utenze").await;
    page.find("#stato")
        .await
        .select_by_value("da_registrare")
        .await
        .expect("choose Da registrare");
    page.click_button("Cerca").await;
    page.wait_for_path("the filtered list", |p| p.contains("stato=da_registrare"))
        .await;
    let row = format!(r#"tr[data-line-id="{line}"]"#);
    assert_eq!(
        page.attr(&row, "data-stato").await.as_deref(),
        Some("da_registrare")
    );
    page.check("linee-1-da-registrare").await;

    let in_row = |what: &str, label: &str| {
        format!(
            r#"//tr[@data-line-id="{line}"]//{what}[normalize-space(.)={}]"#,
            xpath_literal(label)
        )
    };
    page.click_xpath(&in_row("a", "Aggiorna")).await;
    page.wait_for_path("Aggiorna", |p| p.contains("/aggiorna"))
        .await;
    assert_eq!(
        page.value("#email").await,
        LUCA,
        "prefilled from the referent"
    );
    page.check("linee-2-aggiorna").await;
    page.click_button("Conferma").await;
    // Back on the list as it was left: still filtered on "Da registrare".
    page.wait_for_path("Gestione Utenze", |p| {
        p == format!("{GU}?stato=da_registrare")
    })
    .await;
    let luca = app.user_id(LUCA).await;
    page.find(&format!(
        r#"tr[data-line-id="{line}"][data-user-id="{luca}"][data-stato="da_registrare"]"#
    ))
    .await;
    page.check("linee-3-aggiornata").await;

    page.click_xpath(&in_row("button", "Registra")).await;
    // The page before had a message too (Aggiorna's): wait for the registration's.
    page.wait_until("the registration's message", async || {
        let said = page
            .js(
                "return document.querySelector('.notice')?.textContent",
                vec![],
            )
            .await;
        said.as_str()
            .filter(|t| t.contains("Registrazione avviata"))
            .map(str::to_owned)
    })
    .await;
    // The list keeps its filter, so the registered line has left it; unfiltered, it waits
    // for Luca's activation.
    assert_eq!(page.path().await, format!("{GU}?stato=da_registrare"));
    assert!(!page.exists(&row).await, "no longer Da registrare");
    page.check("linee-4-registrata").await;
    page.goto(GU).await;
    page.find(&format!(r#"{row}[data-stato="in_attesa"]"#))
        .await;
    let mail = app.username_email(LUCA).await;
    assert!(mail.text.contains(LUCA), "Luca gets his username");
    page.close().await;
}

#[tokio::test]
async fn recupera_password_from_the_login_page_to_a_new_password() {
    const NEW_PASSWORD: &str = "Nebbia in Val Padana a novembre";
    let app = spawn_app().await;
    let driver = Driver::start();
    app.logged_in_legal_representative().await;
    // A person recovers a password days after activating, not within the minute that
    // must pass between two codes: the activation code is made two minutes old.
    sqlx::query("UPDATE verification_codes SET created_at = created_at - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .expect("age the activation code");
    let page = driver.open(&app.address, Js::Enabled).await;

    page.goto("/accedi").await;
    page.click_link("Recupera Password").await;
    page.wait_for_heading("Recupera Password").await;
    page.check("recupera-1-richiesta").await;
    page.fill("#username", LR_EMAIL).await;
    page.click_button("Invia").await;
    page.find(".notice").await;
    page.check("recupera-2-inviata").await;

    let mail = app
        .smtp
        .wait_for(
            |m| m.to.iter().any(|t| t == LR_EMAIL) && m.text.contains("/recupera-password/"),
            std::time::Duration::from_secs(10),
        )
        .await;
    let link = link_path(&mail, "/recupera-password/");
    complete_link(
        &app,
        &page,
        &link,
        LR_MOBILE,
        NEW_PASSWORD,
        Some("recupera-3"),
    )
    .await;

    log_out(&page).await;
    log_in(&app, &page, (LR_EMAIL, NEW_PASSWORD), Some(LR_MOBILE), None).await;
    page.close().await;
}

#[tokio::test]
async fn servizio_clienti_finds_the_company_and_resends_the_username_email_with_a_reason() {
    const STAFF: &str = "operatore.giulia";
    const STAFF_PASSWORD: &str = "Centralino di Torino 191 turno";
    let app = spawn_app().await;
    let driver = Driver::start();
    let first = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let hasher = area_clienti::auth::PasswordHasher::new(1).expect("hasher");
    area_clienti::support::add_staff(&app.pool, &hasher, STAFF, STAFF_PASSWORD)
        .await
        .expect("staff account");
    let lr = app.user_id(LR_EMAIL).await;
    let page = driver.open(&app.address, Js::Enabled).await;

    page.goto("/assistenza/accedi").await;
    page.check("assistenza-1-accedi").await;
    page.fill("#username", STAFF).await;
    page.fill("#password", STAFF_PASSWORD).await;
    page.click_button("Accedi").await;
    // The first login enrols the operator's app before the console opens.
    page.wait_for_path("the enrolment", |p| p == "/assistenza/sicurezza/attiva")
        .await;
    page.find(".qr svg").await;
    page.check("assistenza-1-attiva-app").await;
    let secret = secret_on(&page).await;
    page.fill(
        "#code",
        &totp::code_at(&secret, app.clock().now().unix_timestamp()),
    )
    .await;
    page.click_button("Conferma e attiva").await;
    page.wait_for_heading("Codici di recupero").await;
    page.check("assistenza-1-codici-recupero").await;
    page.click_link("Ho salvato i codici, vai alla console")
        .await;
    page.wait_for_path("the search page", |p| p == "/assistenza")
        .await;
    page.wait_for_heading("Ricerca aziende").await;
    page.check("assistenza-2-ricerca").await;
    page.fill("#q", "Rossi").await;
    page.click_button("Cerca").await;
    page.find("[data-company-id]").await;
    page.check("assistenza-3-risultati").await;
    page.click_link("Rossi Impianti S.r.l.").await;
    page.wait_for_heading("Rossi Impianti S.r.l.").await;
    page.check("assistenza-4-azienda").await;

    page.fill(
        &format!("#reason-{lr}"),
        "Ticket 4521: la cliente non trova la e-mail",
    )
    .await;
    page.click_xpath(&format!(r#"//tr[@data-user-id="{lr}"]//button"#))
        .await;
    page.find(".notice").await;
    page.check("assistenza-5-reinviata").await;

    let again = page
        .wait_until("a second username e-mail", async || {
            let mails = app.smtp.messages().await;
            mails
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == LR_EMAIL) && m.text.contains("/attivazione/"))
                .nth(1)
        })
        .await;
    assert_ne!(
        activation_path(&again),
        activation_path(&first),
        "a fresh link"
    );

    // Every later login asks the app's code after the password (the next step's: the
    // current one confirmed the enrolment).
    page.click_button("Esci").await;
    page.wait_for_path("the login page", |p| p == "/assistenza/accedi")
        .await;
    page.fill("#username", STAFF).await;
    page.fill("#password", STAFF_PASSWORD).await;
    page.click_button("Accedi").await;
    page.wait_for_heading("Verifica l'accesso").await;
    page.check("assistenza-6-verifica").await;
    let next_step = app.clock().now().unix_timestamp() + 30;
    page.fill("#code", &totp::code_at(&secret, next_step)).await;
    page.click_button("Verifica e accedi").await;
    page.wait_for_heading("Ricerca aziende").await;
    page.close().await;
}
