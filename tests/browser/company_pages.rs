//! The pages issue 15 added, in a real browser: the company's lines and the Profili page
//! for an Amministratore Light, the question before Disabilita (on the user's Modifica
//! page) answered from the keyboard,
//! the login page after Esci, and a login that brings the person back to the page they had
//! asked for. Each page is checked with axe-core and screenshotted at 320, 390 and 1280 px.

use fantoccini::key::Key;

use crate::chrome::{Driver, Js};
use crate::helpers::{GU, LINES_A, LR_EMAIL, LR_MOBILE, PASSWORD, spawn_app};
use crate::seeds::COMPANY_A;
use crate::steps::{log_in, log_out, sms_code_after};

const ANNA: &str = "anna.neri@example.it";
const LUCA: &str = "luca.bianchi@example.it";

#[tokio::test]
async fn an_amministratore_light_reads_the_company_s_lines_and_what_each_profile_may_do() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let company = app.seed_company(&COMPANY_A).await;
    app.seed_user(
        company.company_id,
        ANNA,
        None,
        "amministratore_light",
        "attivo",
    )
    .await;
    let page = driver.open(&app.address, Js::Enabled).await;
    log_in(&app, &page, (ANNA, PASSWORD), None, None).await;

    page.click_link("Visualizza profilo e dati azienda").await;
    page.wait_for_heading("Profilo e dati azienda").await;
    page.click_link("Vedi tutte le linee").await;
    page.wait_for_heading("Linee mobili di").await;
    let numbers = page
        .js(
            "return [...document.querySelectorAll('td[data-label=Numero]')].map((c) => c.textContent.trim())",
            vec![],
        )
        .await;
    assert_eq!(
        numbers.as_array().map(Vec::len),
        Some(LINES_A.len()),
        "{numbers}"
    );
    page.check("linee-azienda").await;

    page.goto("/area-clienti/profilo").await;
    page.click_link("Che cosa può fare questo profilo").await;
    page.wait_for_heading("I profili dell'Area Clienti").await;
    assert!(
        page.text(".profile-list")
            .await
            .contains("Amministratore Light (il tuo profilo)"),
        "the reader's own profile is pointed out"
    );
    page.check("profili").await;
    page.click_link("Torna alla pagina di prima").await;
    page.wait_for_heading("Profilo e dati azienda").await;
    page.close().await;
}

#[tokio::test]
async fn disabilita_asks_first_and_a_login_comes_back_to_the_page_asked_for() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let company = app.seed_company(&COMPANY_A).await;
    let luca = app
        .seed_user(company.company_id, LUCA, None, "utilizzatore", "attivo")
        .await;
    let page = driver.open(&app.address, Js::Enabled).await;
    log_in(&app, &page, (LR_EMAIL, PASSWORD), Some(LR_MOBILE), None).await;

    // From the filtered list, by keyboard: Modifica, then its Disabilita opens the question.
    page.goto(&format!("{GU}?stato=attivo")).await;
    page.wait_for_heading("Gestione Utenze").await;
    page.tab_to(
        &format!(r#"a[href^="gestione-utenze/utenti/{}/modifica"]"#, luca.id),
        60,
    )
    .await;
    page.press(Key::Enter).await;
    page.wait_for_heading("Modifica").await;
    page.tab_to(r#"a[href*="/disabilita"]"#, 40).await;
    page.press(Key::Enter).await;
    page.wait_for_heading("Disabilitare").await;
    assert_eq!(
        app.user_state(LUCA).await,
        "attivo",
        "asking changes nothing"
    );
    page.check("disabilita-conferma").await;
    page.tab_to("button.danger", 30).await;
    page.press(Key::Enter).await;
    page.wait_for_path("the list, with its filter", |p| {
        p == format!("{GU}?stato=attivo")
    })
    .await;
    assert!(page.text(".notice").await.contains("disabilitata"));
    assert_eq!(app.user_state(LUCA).await, "disabilitato");

    log_out(&page).await;
    page.check("accedi-dopo-esci").await;

    // A bookmarked page without a session: the login, then that page.
    let asked = format!("{GU}?stato=disabilitato");
    page.goto(&asked).await;
    page.wait_for_path("the login page that comes back", |p| {
        p.starts_with("/accedi?dopo=")
    })
    .await;
    assert!(page.text(".notice").await.contains("Accedi per continuare"));
    page.check("accedi-per-continuare").await;
    page.fill("#username", LR_EMAIL).await;
    page.fill("#password", PASSWORD).await;
    page.click_button("Accedi").await;
    page.wait_for_heading("Verifica l'accesso").await;
    let sent_before = app.sms.count_to(LR_MOBILE).await;
    page.click_button("Invia il codice via SMS").await;
    let code = sms_code_after(&app, &page, LR_MOBILE, sent_before).await;
    page.fill("#code", &code).await;
    page.click_button("Verifica e accedi").await;
    page.wait_for_path("the page asked for", |p| p == asked)
        .await;
    page.wait_for_heading("Gestione Utenze").await;
    page.close().await;
}
