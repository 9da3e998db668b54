//! `POST /api/v1/aziende/{vat_number}/rappresentante-legale` (CONTRACT.md §3b, issue 14):
//! the handover of the legal representative, as the previous one, the new one and support
//! see it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::contract_events::{LUCA, mails, post_event};
use crate::helpers::{
    Browser, GU, LR_EMAIL, PASSWORD, TestApp, VAT_A, location, location_path, spawn_app,
};
use crate::seeds::{COMPANY_A, COMPANY_B};
use crate::servizio_clienti::staff_browser;

const ANNA: &str = "anna.neri@example.it";
const ANNA_MOBILE: &str = "+393351112222";

pub(crate) fn handover_path(vat: &str) -> String {
    format!("/aziende/{vat}/rappresentante-legale")
}

pub(crate) fn handover(event_id: &str, email: &str, previous: Option<&str>) -> Value {
    let mut body = json!({
        "event_id": event_id,
        "channel": "agente",
        "legal_representative": {
            "first_name": "Anna", "last_name": "Neri", "email": email, "mobile": ANNA_MOBILE
        }
    });
    if let Some(p) = previous {
        body["previous"] = json!(p);
    }
    body
}

async fn profile_and_state(app: &TestApp, username: &str) -> (String, String) {
    sqlx::query_as("SELECT profile::text, state::text FROM users WHERE lower(username) = lower($1)")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn sheet(staff: &Browser, company_id: Uuid) -> String {
    let (status, html) = staff
        .get_html(&format!("/assistenza/aziende/{company_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    html
}

#[tokio::test]
async fn a_new_legal_representative_is_created_and_the_previous_one_becomes_amministratore_full() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let old = app.logged_in_as(&company.legal_rep).await;
    assert_eq!(old.get(GU).await.status(), StatusCode::OK);

    let body = handover("EVT-LR-1", ANNA, Some("amministratore_full"));
    let response = post_event(&app, &handover_path(VAT_A), &body).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    let anna = app.user_id(ANNA).await;
    assert_eq!(answer["legal_representative_user_id"], anna.to_string());
    assert_eq!(answer["company_id"], company.company_id.to_string());
    // At once: exactly one legal representative, the new one, not yet active.
    app.assert_holds("SELECT count(*) = 1 FROM users WHERE profile = 'rappresentante_legale'")
        .await;
    assert_eq!(
        profile_and_state(&app, ANNA).await,
        ("rappresentante_legale".into(), "in_attesa".into())
    );
    assert_eq!(
        profile_and_state(&app, LR_EMAIL).await,
        ("amministratore_full".into(), "attivo".into())
    );
    // The previous one's sessions ended.
    let next = old.get(GU).await;
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    assert_eq!(location_path(&next), "/accedi");
    // Both are told.
    let told = mails(&app, LR_EMAIL, "nuovo Rappresentante Legale").await;
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains("Anna Neri") && told[0].contains("Amministratore Full"),
        "{}",
        told[0]
    );
    let mail = app.username_email(ANNA).await;
    // Support sees the handover, with its event id, pending.
    let staff = staff_browser(&app).await;
    let page = sheet(&staff, company.company_id).await;
    assert!(page.contains(r#"data-handover="in_corso""#), "{page}");
    assert!(page.contains("EVT-LR-1"));
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM audit_events WHERE action = 'rappresentante_legale_cambiato'
            AND subject_user_id = '{anna}' AND details->>'event_id' = 'EVT-LR-1'
            AND details->>'channel' = 'agente'"
    ))
    .await;

    // The new one activates from the username e-mail and manages the company.
    let browser = Browser::new(&app.address);
    let done = app
        .activate(&browser, &mail, Some(ANNA_MOBILE), PASSWORD)
        .await;
    assert_eq!(location(&done), "/area-clienti");
    assert_eq!(browser.get(GU).await.status(), StatusCode::OK);
    let page = sheet(&staff, company.company_id).await;
    assert!(page.contains(r#"data-handover="completato""#), "{page}");
    app.run_pending_work().await;
}

#[tokio::test]
async fn a_user_of_the_company_is_promoted_and_the_previous_one_is_disabled_by_default() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let old = app.logged_in_as(&company.legal_rep).await;
    let luca = app
        .seeded_employee_logged_in(LR_EMAIL, LUCA, None, "amministratore_light")
        .await;
    let before_b = {
        let b = app.seed_company(&COMPANY_B).await;
        (b.company_id, app.company_rows(b.company_id).await)
    };

    let body = handover("EVT-LR-2", LUCA, None);
    let response = post_event(&app, &handover_path(VAT_A), &body).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let first: Value = response.json().await.unwrap();
    assert_eq!(
        first["legal_representative_user_id"],
        app.user_id(LUCA).await.to_string()
    );
    assert_eq!(
        profile_and_state(&app, LUCA).await,
        ("rappresentante_legale".into(), "attivo".into())
    );
    let (_, old_state) = profile_and_state(&app, LR_EMAIL).await;
    assert_eq!(old_state, "disabilitato");
    for browser in [&old, &luca] {
        let next = browser.get("/area-clienti").await;
        assert_eq!(
            location(&next),
            "/accedi",
            "sessions end on a profile change"
        );
    }
    assert_eq!(
        Browser::new(&app.address)
            .login(LR_EMAIL, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the previous one can no longer log in"
    );
    let promoted = mails(&app, LUCA, "sei il Rappresentante Legale").await;
    assert_eq!(promoted.len(), 1);
    let told = mails(&app, LR_EMAIL, "nuovo Rappresentante Legale").await;
    assert!(told[0].contains("disabilitato"), "{}", told[0]);
    app.assert_holds("SELECT count(*) = 0 FROM outbox WHERE template = 'username'")
        .await;

    // The same event again: the same answer, nothing changed or sent.
    let snapshot = app.state_snapshot().await;
    let again = post_event(&app, &handover_path(VAT_A), &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    app.run_pending_work().await;
    assert_eq!(app.state_snapshot().await, snapshot);
    // The other company was not touched.
    assert_eq!(app.company_rows(before_b.0).await, before_b.1);
}

#[tokio::test]
async fn a_handover_is_validated_and_an_unknown_or_taken_address_changes_nothing() {
    let app = spawn_app().await;
    app.seed_company(&COMPANY_A).await;
    let b = app.seed_company(&COMPANY_B).await;
    let snapshot = app.state_snapshot().await;

    let missing =
        json!({ "legal_representative": { "email": "not an address" }, "previous": "boh" });
    let response = post_event(&app, &handover_path(VAT_A), &missing).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "event_id",
            "legal_representative.first_name",
            "legal_representative.last_name",
            "legal_representative.email",
            "previous"
        ]
    );
    let unknown = post_event(
        &app,
        &handover_path("IT98765432103"),
        &handover("E1", ANNA, None),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // Company B's legal representative cannot become company A's as a new user: the
    // username is taken.
    let taken = post_event(
        &app,
        &handover_path(VAT_A),
        &handover("E2", &b.legal_rep.email, None),
    )
    .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "legal_representative.email");

    assert_eq!(app.state_snapshot().await, snapshot, "nothing changed");
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM contract_events)")
        .await;
}
