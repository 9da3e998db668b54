//! `POST /api/v1/aziende/{vat_number}/cessazione` (CONTRACT.md §3b, issue 14): a company
//! with no contract left, the erasure of its personal data after `RETENTION_DAYS` (on the
//! test clock), and a later first contract that reopens it cleanly.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::contract_events::{LUCA, cessation_path, post_event};
use crate::helpers::{
    Browser, GU, LINES_A, LR_EMAIL, LR_MOBILE, PASSWORD, TestApp, VAT_A, activation_path,
    contract_body, data_count, is_to, location, location_path, spawn_app, spawn_app_with,
};
use crate::legal_representative_change::{handover, handover_path, sheet};
use crate::seeds::{COMPANY_A, COMPANY_B};
use crate::servizio_clienti::staff_browser;

const ANNA: &str = "anna.neri@example.it";

fn closure_path(vat: &str) -> String {
    format!("/aziende/{vat}/cessazione")
}

async fn close(app: &TestApp, event_id: &str) -> Value {
    let response = post_event(app, &closure_path(VAT_A), &json!({ "event_id": event_id })).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_closed_company_has_every_user_disabled_links_dead_and_nothing_more_sent() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let b = app.seed_company(&COMPANY_B).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    // One employee's username e-mail delivered, another one's still queued.
    let added = app
        .add_employee(&lr, None, ANNA, ANNA, "utilizzatore", "register")
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let anna_mail = app.username_email(ANNA).await;
    app.add_employee(&lr, None, LUCA, LUCA, "utilizzatore", "register")
        .await;
    let b_before = app.company_rows(b.company_id).await;

    let first = close(&app, "EVT-CLOSE-1").await;

    assert_eq!(first["company_id"], company.company_id.to_string());
    assert_eq!(first["users_disabled"], 3);
    assert_eq!(first["lines_ceased"], 2);
    app.assert_holds(&format!(
        "SELECT bool_and(state = 'disabilitato' AND retired_at IS NOT NULL) FROM users
         WHERE company_id = '{}'",
        company.company_id
    ))
    .await;
    let next = lr.get(GU).await;
    assert_eq!(location_path(&next), "/accedi", "the session ended");
    assert_eq!(
        Browser::new(&app.address)
            .login(LR_EMAIL, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = Browser::new(&app.address)
        .get_html(&activation_path(&anna_mail))
        .await;
    assert!(
        matches!(status, StatusCode::GONE | StatusCode::NOT_FOUND),
        "{status}"
    );
    // The queued username e-mail is never sent.
    app.run_pending_work().await;
    assert!(!app.smtp.messages().await.iter().any(|m| is_to(m, LUCA)));
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued')")
        .await;
    // Support still sees the company, closed.
    let staff = staff_browser(&app).await;
    let page = sheet(&staff, company.company_id).await;
    assert!(
        page.contains("data-closure") && page.contains("EVT-CLOSE-1"),
        "{page}"
    );
    assert!(page.contains(LR_EMAIL));
    app.assert_holds(
        "SELECT count(*) = 1 FROM audit_events WHERE action = 'azienda_cessata'
            AND details->>'event_id' = 'EVT-CLOSE-1'",
    )
    .await;
    // A repeat answers the same; later events on the closed company find nothing.
    assert_eq!(close(&app, "EVT-CLOSE-1").await, first);
    let ceased = post_event(
        &app,
        &cessation_path(LINES_A[0]),
        &json!({ "event_id": "EVT-L", "reason": "cessazione" }),
    )
    .await;
    assert_eq!(ceased.status(), StatusCode::NOT_FOUND);
    let handed = post_event(&app, &handover_path(VAT_A), &handover("EVT-H", ANNA, None)).await;
    assert_eq!(handed.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.company_rows(b.company_id).await,
        b_before,
        "company B untouched"
    );
}

#[tokio::test]
async fn after_retention_days_the_worker_erases_the_personal_data_and_keeps_ids_and_counts() {
    // No access-review reminder for company B within the year this test moves through.
    let app = spawn_app_with(|s| s.access_review_days = 10_000).await;
    let company = app.seed_company(&COMPANY_A).await;
    let b = app.seed_company(&COMPANY_B).await;
    // A login leaves a client address and a session.
    app.logged_in_as(&company.legal_rep).await;
    // A line ceased before the closure: its answer, kept for repeats, names the number.
    let ceased = post_event(
        &app,
        &cessation_path(LINES_A[0]),
        &json!({ "event_id": "EVT-L", "reason": "cessazione" }),
    )
    .await;
    assert_eq!(ceased.status(), StatusCode::OK);
    app.run_pending_work().await;
    let b_before = app.company_rows(b.company_id).await;
    close(&app, "EVT-CLOSE-1").await;
    let id = company.company_id;
    let audit_before = app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE company_id = '{id}'"
        ))
        .await;
    let personal = format!(
        "SELECT (SELECT count(*) FROM users WHERE company_id = '{id}'
                   AND (email LIKE '%example.it' OR mobile IS NOT NULL OR first_name <> ''))
              + (SELECT count(*) FROM audit_events WHERE company_id = '{id}'
                   AND (client_addr IS NOT NULL OR details::text LIKE '%example.it%'
                        OR details::text LIKE '%+39%' OR actor_label LIKE '%example.it%'))
              + (SELECT count(*) FROM ceased_lines WHERE company_id = '{id}' AND number IS NOT NULL)
              + (SELECT count(*) FROM outbox WHERE company_id = '{id}' AND recipient <> 'cancellato')
              + (SELECT count(*) FROM contract_events WHERE company_id = '{id}'
                   AND response::text LIKE '%+39%')
              + (SELECT count(*) FROM user_sessions s JOIN users u ON u.id = s.user_id
                   WHERE u.company_id = '{id}')"
    );
    assert!(app.count(&personal).await > 0);

    app.advance_clock(time::Duration::days(364));
    app.run_pending_work().await;
    assert!(
        app.count(&personal).await > 0,
        "kept during the retention period"
    );

    app.advance_clock(time::Duration::days(2));
    app.run_pending_work().await;

    assert_eq!(app.count(&personal).await, 0, "personal data erased");
    // Ids, counts and the facts remain.
    app.assert_holds(&format!(
        "SELECT (SELECT count(*) FROM users WHERE company_id = '{id}') = 1
            AND (SELECT count(*) FROM ceased_lines WHERE company_id = '{id}') = 2
            AND (SELECT count(*) FROM audit_events WHERE company_id = '{id}') = {}
            AND EXISTS (SELECT 1 FROM users WHERE id = '{}')
            AND EXISTS (SELECT 1 FROM audit_events WHERE company_id = '{id}'
                          AND action = 'azienda_cessata' AND details->>'event_id' = 'EVT-CLOSE-1'
                          AND (details->>'linee_cessate')::int = 1)
            AND EXISTS (SELECT 1 FROM audit_events WHERE company_id = '{id}'
                          AND action = 'dati_personali_cancellati')",
        audit_before + 1,
        company.legal_rep.id
    ))
    .await;
    assert_eq!(
        app.company_rows(b.company_id).await,
        b_before,
        "company B untouched"
    );
    // The trail is append-only again outside the erasure.
    let refused = sqlx::query("UPDATE audit_events SET client_addr = NULL")
        .execute(&app.pool)
        .await;
    assert!(refused.is_err());
    let staff = staff_browser(&app).await;
    assert!(
        sheet(&staff, id)
            .await
            .contains("Dati personali cancellati")
    );
    // Once only.
    let erased: Uuid = sqlx::query_scalar("SELECT id FROM companies WHERE erased_at IS NOT NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(erased, id);
}

/// Servizio Clienti 191 sent a failed username e-mail again: the operator's own trail names
/// the address. The erasure scrubs it there too, keeping which message and what was done.
#[tokio::test]
async fn the_erasure_also_scrubs_the_addresses_that_the_operators_trail_names() {
    let app = spawn_app_with(|s| s.access_review_days = 10_000).await;
    app.smtp.set_reject(Some("550 5.1.1 casella inesistente"));
    let contract = contract_body("CTR-1", VAT_A, LR_EMAIL, Some(LR_MOBILE), &LINES_A);
    assert_eq!(
        app.post_contract(&contract).await.status(),
        StatusCode::CREATED
    );
    app.run_pending_work().await;
    app.smtp.set_reject(None);
    let failed: Uuid = sqlx::query_scalar("SELECT id FROM outbox WHERE state = 'failed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let staff = staff_browser(&app).await;
    let sent_again = staff
        .post_staff_form(&format!("/assistenza/messaggi/{failed}/reinvia"), &[])
        .await;
    assert_eq!(sent_again.status(), StatusCode::SEE_OTHER);
    app.run_pending_work().await;
    let naming = format!(
        "SELECT count(*) FROM staff_events
         WHERE action = 'assistenza_messaggio_reinviato' AND details::text LIKE '%{LR_EMAIL}%'"
    );
    assert_eq!(app.count(&naming).await, 1, "the trail names the address");
    close(&app, "EVT-CLOSE-1").await;

    app.advance_clock(time::Duration::days(366));
    app.run_pending_work().await;

    app.assert_holds("SELECT EXISTS (SELECT 1 FROM companies WHERE erased_at IS NOT NULL)")
        .await;
    assert_eq!(app.count(&naming).await, 0, "the address is erased");
    app.assert_holds(
        "SELECT NOT EXISTS (SELECT 1 FROM staff_events
                            WHERE details::text LIKE '%example.it%' OR details::text LIKE '%+39%')",
    )
    .await;
    // What the operator did stays: the event, its message and its kind.
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM staff_events WHERE action = 'assistenza_messaggio_reinviato'
            AND details->>'messaggio' = '{failed}' AND details->>'tipo' = 'username'"
    ))
    .await;
    // And the operators' trail is append-only again outside the erasure.
    let refused = sqlx::query("UPDATE staff_events SET details = '{}'")
        .execute(&app.pool)
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_first_contract_after_the_closure_reopens_the_company_cleanly() {
    let app = spawn_app().await;
    let old = app.seed_company(&COMPANY_A).await;
    close(&app, "EVT-CLOSE-1").await;
    let old_rows = app.company_rows(old.company_id).await;

    let contract = contract_body("CTR-2", VAT_A, LR_EMAIL, Some(LR_MOBILE), &LINES_A);
    let response = app.post_contract(&contract).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    assert_ne!(
        answer["company_id"],
        old.company_id.to_string(),
        "a new company"
    );
    assert_eq!(answer["lines_added"], 2);
    assert_ne!(
        answer["legal_representative_user_id"],
        old.legal_rep.id.to_string()
    );
    assert_eq!(
        app.company_rows(old.company_id).await,
        old_rows,
        "the closed one stays as it was"
    );
    // The new legal representative, with the same username, activates and sees only the
    // new company's lines.
    let mail = app.username_email(LR_EMAIL).await;
    let browser = Browser::new(&app.address);
    let done = app
        .activate(&browser, &mail, Some(LR_MOBILE), PASSWORD)
        .await;
    assert_eq!(location(&done), "/area-clienti");
    let (status, page) = browser.get_html(GU).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data_count(&page, "da_registrare"), 2);
    assert_eq!(data_count(&page, "disabilitato"), 0);
    assert_eq!(data_count(&page, "attivo"), 1);
    // The next contract of the company adds to the reopened one.
    let more = contract_body("CTR-3", VAT_A, LR_EMAIL, None, &["+393401119999"]);
    let added: Value = app.post_contract(&more).await.json().await.unwrap();
    assert_eq!(added["company_id"], answer["company_id"]);
    app.run_pending_work().await;
}
