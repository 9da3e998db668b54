//! Gestione Utenze on a phone (issue 15): each row is a card with its state and its next
//! step in view, every control of the list is a touch target of at least 44 × 44 px, the
//! page does not scroll sideways at 320 px, "Seleziona tutti i Da registrare" then
//! "Registra i selezionati" register a page of saved users from the keyboard alone, and
//! after an action the list comes back with the filter it had.

use fantoccini::key::Key;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::chrome::{DESKTOP, Driver, Js, NARROW_PHONE, PHONE};
use crate::helpers::{GU, LR_EMAIL, LR_MOBILE, PASSWORD, TestApp, spawn_app};
use crate::seeds::CompanySeed;
use crate::steps::log_in;

const LINES: [&str; 5] = [
    "+393401112233",
    "+393401112240",
    "+393401112241",
    "+393401112242",
    "+393401112243",
];
const SAVED: [&str; 3] = [
    "anna.neri@example.it",
    "paolo.gialli@example.it",
    "sara.blu@example.it",
];

/// The list's controls that are smaller than 44 × 44 px (visible ones only), as
/// `{text, w, h}`.
const SMALL_TARGETS: &str = "
    const controls = '.roster a, .roster button, .roster label.pick, .toolbar a, \
        .state-counts a, .pagination a, .bulk-bar a, .bulk-bar button, .search-form button';
    return [...document.querySelectorAll(controls)]
      .filter((e) => e.offsetParent !== null)
      .map((e) => { const r = e.getBoundingClientRect();
                    return { text: e.textContent.trim().slice(0, 40), w: r.width, h: r.height }; })
      .filter((t) => t.w < 44 || t.h < 44);";

/// Company A with five lines: the first held by an active Utilizzatore, the next three by
/// saved users ("Da registrare"), the last free. Returns the saved users' ids.
async fn company_with_saved_users(app: &TestApp) -> Vec<Uuid> {
    let company = app
        .seed_company(&CompanySeed {
            contract_id: "CTR-1",
            vat: crate::helpers::VAT_A,
            lr_email: LR_EMAIL,
            lr_mobile: Some(LR_MOBILE),
            lines: &LINES,
        })
        .await;
    let hold = async |user: Uuid, number: &str| {
        sqlx::query("UPDATE mobile_lines SET user_id = $1 WHERE number = $2")
            .bind(user)
            .bind(number)
            .execute(&app.pool)
            .await
            .expect("the user holds the line");
    };
    let active = app
        .seed_user(
            company.company_id,
            "luca.bianchi@example.it",
            None,
            "utilizzatore",
            "attivo",
        )
        .await;
    hold(active.id, LINES[0]).await;
    let mut saved = Vec::new();
    for (email, number) in SAVED.iter().zip(&LINES[1..]) {
        let user = app
            .seed_user(
                company.company_id,
                email,
                None,
                "utilizzatore",
                "da_registrare",
            )
            .await;
        hold(user.id, number).await;
        saved.push(user.id);
    }
    saved
}

#[tokio::test]
async fn on_a_phone_the_rows_are_cards_and_a_page_of_saved_users_is_registered_in_two_keys() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let saved = company_with_saved_users(&app).await;
    let page = driver.open(&app.address, Js::Enabled).await;
    log_in(&app, &page, (LR_EMAIL, PASSWORD), Some(LR_MOBILE), None).await;
    page.click_link("Gestione Utenze").await;
    page.wait_for_heading("Gestione Utenze").await;

    page.set_viewport(NARROW_PHONE).await;
    let display = page
        .js(
            "return getComputedStyle(document.querySelector('tr[data-stato]')).display",
            vec![],
        )
        .await;
    assert_eq!(display, json!("grid"), "a row is a card at 320 px");
    let small = page.js(SMALL_TARGETS, vec![]).await;
    assert_eq!(small, json!([]), "touch targets under 44 px at 320 px");
    // A saved user's card shows its state and its next step, drawn as a button, inside
    // the screen.
    let card = format!(r#"tr[data-user-id="{}"]"#, saved[0]);
    let next_step = page
        .js(
            "const card = document.querySelector(arguments[0]);
             const b = [...card.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Registra');
             const r = b.getBoundingClientRect();
             return { main: b.classList.contains('main'), right: r.right,
                      state: card.children[4].textContent.trim() };",
            vec![json!(card)],
        )
        .await;
    assert_eq!(next_step["main"], json!(true), "{next_step}");
    assert!(
        next_step["right"].as_f64().is_some_and(|r| r <= 320.0),
        "{next_step}"
    );
    assert_eq!(next_step["state"], json!("Da registrare"), "{next_step}");
    page.set_viewport(DESKTOP).await;
    page.reflows_at_320_px().await;
    page.check_at("gestione-utenze-schede", &[NARROW_PHONE, PHONE, DESKTOP])
        .await;

    // From the keyboard: "Seleziona tutti i Da registrare", then "Registra i selezionati".
    page.tab_to(r#"a[href*="seleziona=da_registrare"]"#, 40)
        .await;
    page.press(Key::Enter).await;
    page.wait_for_path("the list with every saved user ticked", |p| {
        p.contains("seleziona=da_registrare")
    })
    .await;
    let ticked = page
        .js(
            "return [...document.querySelectorAll('input[name=user_id]')].map((c) => [c.value, c.checked])",
            vec![],
        )
        .await;
    let mut expected: Vec<Value> = saved
        .iter()
        .map(|id| json!([id.to_string(), true]))
        .collect();
    let mut got = ticked.as_array().cloned().unwrap_or_default();
    got.sort_by_key(ToString::to_string);
    expected.sort_by_key(ToString::to_string);
    assert_eq!(
        got, expected,
        "every saved user, and only they, come ticked"
    );
    page.check_at(
        "gestione-utenze-tutti-selezionati",
        &[NARROW_PHONE, DESKTOP],
    )
    .await;
    page.tab_to(".bulk-bar button", 40).await;
    page.press(Key::Enter).await;
    let notice = page
        .wait_until("the outcome of the registration", async || {
            page.js(
                "return document.querySelector('.notice')?.textContent",
                vec![],
            )
            .await
            .as_str()
            .map(str::to_owned)
        })
        .await;
    assert!(
        notice.contains('3'),
        "the notice counts the three: {notice}"
    );
    for email in SAVED {
        assert_eq!(app.user_state(email).await, "in_attesa", "{email}");
    }
    let sent = page
        .wait_until("three username e-mails", async || {
            let mails = app.smtp.messages().await;
            let to_saved = mails
                .iter()
                .filter(|m| m.to.iter().any(|t| SAVED.contains(&t.as_str())))
                .filter(|m| m.text.contains("/attivazione/"))
                .count();
            (to_saved == 3).then_some(to_saved)
        })
        .await;
    assert_eq!(sent, 3);
    page.check_at("gestione-utenze-registrati", &[NARROW_PHONE, DESKTOP])
        .await;
    page.close().await;
}

#[tokio::test]
async fn after_an_action_the_list_comes_back_with_its_filter() {
    let app = spawn_app().await;
    let driver = Driver::start();
    let saved = company_with_saved_users(&app).await;
    let page = driver.open(&app.address, Js::Enabled).await;
    log_in(&app, &page, (LR_EMAIL, PASSWORD), Some(LR_MOBILE), None).await;
    page.goto(&format!("{GU}?stato=da_registrare")).await;
    page.wait_for_heading("Gestione Utenze").await;
    page.click_xpath(&format!(
        r#"//tr[@data-user-id="{}"]//button[normalize-space(.)="Registra"]"#,
        saved[1]
    ))
    .await;
    page.find(".notice").await;
    let path = page.path().await;
    assert_eq!(
        path,
        format!("{GU}?stato=da_registrare"),
        "the filter is kept"
    );
    assert_eq!(app.user_state(SAVED[1]).await, "in_attesa");
    // The list, still filtered, no longer holds the registered user.
    assert!(
        !page
            .exists(&format!(r#"tr[data-user-id="{}"]"#, saved[1]))
            .await
    );
    assert!(
        page.exists(&format!(r#"tr[data-user-id="{}"]"#, saved[0]))
            .await
    );
    page.close().await;
}
