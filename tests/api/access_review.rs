//! The access review (CONTRACT.md §4c, issue 14): the page, its one submit, what support
//! sees, and the reminder every `ACCESS_REVIEW_DAYS`.

use reqwest::StatusCode;
use serde_json::json;

use crate::contract_events::{mails, post_event};
use crate::helpers::{
    GU, LINES_A, LR_B_EMAIL, LR_EMAIL, TestApp, VAT_B, hidden_input, location, shown, spawn_app,
    texts,
};
use crate::legal_representative_change::sheet;
use crate::seeds::{COMPANY_A, COMPANY_B};
use crate::servizio_clienti::staff_browser;

const REVIEW: &str = "/area-clienti/gestione-utenze/revisione";
const LUCA: &str = "luca.bianchi@example.it";
const ANNA: &str = "anna.neri@example.it";
const GIULIA: &str = "giulia.blu@example.it";

/// The text of the review row of `username`.
fn row_of(page: &str, username: &str) -> String {
    texts(page, "tr[data-review-user]")
        .into_iter()
        .find(|t| t.contains(username))
        .unwrap_or_else(|| panic!("no review row for {username}: {page}"))
}

async fn submit(
    lr: &crate::helpers::Browser,
    confirm: &[uuid::Uuid],
    disable: &[uuid::Uuid],
) -> reqwest::Response {
    let (_, page) = lr.get_html(REVIEW).await;
    let csrf = hidden_input(&page, "csrf_token").expect("csrf field on the review");
    let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf)];
    form.extend(confirm.iter().map(|id| ("confirm", id.to_string())));
    form.extend(disable.iter().map(|id| ("disable", id.to_string())));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    lr.post_raw(REVIEW, &form).await
}

async fn state_of(app: &TestApp, username: &str) -> String {
    app.user_state(username).await
}

#[tokio::test]
async fn the_review_points_out_the_never_activated_and_the_dormant_and_disables_in_one_submit() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let b = app.seed_company(&COMPANY_B).await;
    let luca = app
        .seed_user(company.company_id, LUCA, None, "utilizzatore", "attivo")
        .await;
    sqlx::query("UPDATE mobile_lines SET user_id = $1 WHERE number = $2")
        .bind(luca.id)
        .bind(LINES_A[0])
        .execute(&app.pool)
        .await
        .unwrap();
    let anna = app
        .seed_user(
            company.company_id,
            ANNA,
            None,
            "amministratore_light",
            "in_attesa",
        )
        .await;
    let giulia = app
        .seed_user(company.company_id, GIULIA, None, "utilizzatore", "attivo")
        .await;
    // Luca logs in now, Giulia activated now and never logs in; then 91 days pass.
    app.logged_in_as(&luca).await;
    app.advance_clock(time::Duration::days(91));
    let lr = app.logged_in_as(&company.legal_rep).await;

    let (status, page) = lr.get_html(REVIEW).await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Nessuna revisione ancora registrata"),
        "{page}"
    );
    let luca_row = row_of(&page, LUCA);
    assert!(
        luca_row.contains(&shown(LINES_A[0])) && luca_row.contains("Utilizzatore"),
        "{luca_row}"
    );
    assert!(
        !luca_row.contains("mai") && luca_row.contains("inattivo da 91 giorni"),
        "{luca_row}"
    );
    let anna_row = row_of(&page, ANNA);
    assert!(
        anna_row.contains("mai attivato") && !anna_row.contains("inattivo"),
        "{anna_row}"
    );
    let giulia_row = row_of(&page, GIULIA);
    assert!(
        giulia_row.contains("mai") && giulia_row.contains("inattivo da 91 giorni"),
        "{giulia_row}"
    );
    // The legal representative keeps no choice over themself.
    assert!(!page.contains(&format!(r#"value="{}""#, company.legal_rep.id)));

    // Both choices for one user: refused, nothing changed.
    let snapshot = app.state_snapshot().await;
    let both = submit(&lr, &[anna.id], &[anna.id]).await;
    assert_eq!(both.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another company's user: 404, nothing changed.
    let foreign = submit(&lr, &[luca.id], &[b.legal_rep.id]).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.state_snapshot().await, snapshot);

    let done = submit(&lr, &[luca.id], &[anna.id, giulia.id]).await;

    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), REVIEW);
    assert_eq!(state_of(&app, LUCA).await, "attivo");
    assert_eq!(state_of(&app, ANNA).await, "disabilitato");
    assert_eq!(state_of(&app, GIULIA).await, "disabilitato");
    let (_, page) = lr.get_html(REVIEW).await;
    assert!(
        page.contains("1 utente confermato, 2 disabilitati"),
        "{page}"
    );
    let last = texts(&page, "[data-ultima-revisione]");
    assert!(
        last[0].contains("Ultima revisione") && last[0].contains(LR_EMAIL),
        "{last:?}"
    );
    let staff = staff_browser(&app).await;
    let on_sheet = texts(
        &sheet(&staff, company.company_id).await,
        "[data-ultima-revisione]",
    );
    assert!(on_sheet[0].contains(LR_EMAIL), "{on_sheet:?}");
    app.assert_holds(
        "SELECT count(*) = 1 FROM audit_events WHERE action = 'revisione_accessi'
            AND (details->>'disabilitati')::int = 2",
    )
    .await;
    app.run_pending_work().await;
}

#[tokio::test]
async fn only_the_legal_representative_reviews() {
    let app = spawn_app().await;
    app.seed_company(&COMPANY_A).await;
    let admin = app
        .seeded_employee_logged_in(LR_EMAIL, LUCA, Some("+393471234567"), "amministratore_full")
        .await;
    assert_eq!(admin.get(GU).await.status(), StatusCode::OK);
    assert_eq!(admin.get(REVIEW).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_legal_representative_is_reminded_every_access_review_days() {
    let app = spawn_app().await;
    app.seed_company(&COMPANY_A).await;
    app.seed_company(&COMPANY_B).await;
    let reminders = |email: &'static str| {
        let app = &app;
        async move { mails(app, email, "revisione degli accessi").await }
    };

    app.advance_clock(time::Duration::days(89));
    assert!(reminders(LR_EMAIL).await.is_empty(), "not due yet");
    app.advance_clock(time::Duration::days(2));
    let sent = reminders(LR_EMAIL).await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].contains("http://portale.test/area-clienti/gestione-utenze/revisione"),
        "{}",
        sent[0]
    );
    assert_eq!(reminders(LR_B_EMAIL).await.len(), 1);
    app.advance_clock(time::Duration::minutes(5));
    assert_eq!(reminders(LR_EMAIL).await.len(), 1, "once per period");

    // A closed company is not asked again; an open one is, a period later.
    let closed = post_event(
        &app,
        &format!("/aziende/{VAT_B}/cessazione"),
        &json!({ "event_id": "EVT-C" }),
    )
    .await;
    assert_eq!(closed.status(), StatusCode::OK);
    app.advance_clock(time::Duration::days(91));
    assert_eq!(reminders(LR_EMAIL).await.len(), 2);
    assert_eq!(reminders(LR_B_EMAIL).await.len(), 1);
}
