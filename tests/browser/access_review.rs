//! The access review (`/area-clienti/gestione-utenze/revisione`, issue 14) in a real browser:
//! the legal representative opens it from Gestione Utenze, keeps one user and disables
//! another with the keyboard alone, and reads the outcome. Checked with axe-core at the
//! narrowest phone WCAG asks for (320 px) and at desktop size, before and after.

use fantoccini::key::Key;

use crate::chrome::{DESKTOP, NARROW_PHONE};
use crate::chrome::{Driver, Js};
use crate::helpers::{GU, LINES_A, LR_EMAIL, LR_MOBILE, PASSWORD, spawn_app};
use crate::seeds::COMPANY_A;
use crate::steps::log_in;

const LUCA: &str = "luca.bianchi@example.it";
const ANNA: &str = "anna.neri@example.it";

#[tokio::test]
async fn the_legal_representative_keeps_one_user_and_disables_another_with_the_keyboard() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let company = app.seed_company(&COMPANY_A).await;
    let luca = app
        .seed_user(company.company_id, LUCA, None, "utilizzatore", "attivo")
        .await;
    sqlx::query("UPDATE mobile_lines SET user_id = $1 WHERE number = $2")
        .bind(luca.id)
        .bind(LINES_A[0])
        .execute(&app.pool)
        .await
        .expect("Luca holds the first line");
    let anna = app
        .seed_user(
            company.company_id,
            ANNA,
            None,
            "amministratore_light",
            "attivo",
        )
        .await;
    let page = driver.open(&app.address, Js::Enabled).await;
    log_in(&app, &page, (LR_EMAIL, PASSWORD), Some(LR_MOBILE), None).await;

    page.click_link("Gestione Utenze").await;
    page.wait_for_heading("Gestione Utenze").await;
    page.click_link("Revisione degli accessi").await;
    page.wait_for_heading("Revisione degli accessi").await;
    assert_eq!(page.path().await, format!("{GU}/revisione"));
    assert!(
        page.text("[data-ultima-revisione]")
            .await
            .contains("Nessuna revisione"),
        "no review yet"
    );
    page.check_at("revisione-1-elenco", &[NARROW_PHONE, DESKTOP])
        .await;
    page.reflows_at_320_px().await;

    // Luca stays (his "Conferma" comes ticked); Anna goes: untick her "Conferma", tick her
    // "Disabilita", then send the form, all from the keyboard.
    let (keep_anna, disable_anna) = (
        format!("#confirm-{}", anna.id),
        format!("#disable-{}", anna.id),
    );
    assert_eq!(
        page.find(&format!("#confirm-{}", luca.id))
            .await
            .prop("checked")
            .await
            .expect("checked")
            .as_deref(),
        Some("true")
    );
    page.tab_to(&keep_anna, 60).await;
    page.press(Key::Space).await;
    page.tab_to(&disable_anna, 1).await;
    page.press(Key::Space).await;
    page.tab_to("main form button[type=submit]", 60).await;
    page.press(Key::Enter).await;

    page.wait_until("the outcome of the review", async || {
        let notice = page.js(
            "return document.querySelector('.notice')?.textContent",
            vec![],
        );
        notice
            .await
            .as_str()
            .filter(|t| t.contains("Revisione registrata"))
            .map(str::to_owned)
    })
    .await;
    let notice = page.text(".notice").await;
    assert!(
        notice.contains("1 utente confermato") && notice.contains("1 disabilitato"),
        "{notice}"
    );
    let state = |id: uuid::Uuid| {
        let page = &page;
        async move {
            page.attr(&format!(r#"tr[data-review-user="{id}"]"#), "data-stato")
                .await
        }
    };
    assert_eq!(state(luca.id).await.as_deref(), Some("attivo"));
    assert_eq!(state(anna.id).await.as_deref(), Some("disabilitato"));
    assert_eq!(app.user_state(ANNA).await, "disabilitato");
    assert_eq!(app.user_state(LUCA).await, "attivo");
    let last = page.text("[data-ultima-revisione]").await;
    assert!(
        last.starts_with("Ultima revisione: ")
            && last.contains(" alle ")
            && last.contains(LR_EMAIL),
        "{last}"
    );
    page.check_at("revisione-2-registrata", &[NARROW_PHONE, DESKTOP])
        .await;
    page.reflows_at_320_px().await;
    page.close().await;
}
