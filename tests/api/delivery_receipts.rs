//! Issue 15: delivery receipts (`POST /api/v1/notifiche/esiti`) from the SMS gateway and the
//! mail system, and the history of each user's username e-mail in Gestione Utenze, on the
//! user's Modifica page and on the support sheet.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    API_TOKEN, Browser, GU, LR_EMAIL, LR_MOBILE, TestApp, VAT_A, activation_path, location,
    row_of_user, spawn_app, spawn_app_with, targets, texts,
};
use crate::seeds::COMPANY_A;
use crate::servizio_clienti::staff_browser;

const EMPLOYEE: &str = "luca.bianchi@example.it";

impl TestApp {
    /// The mail system or the SMS gateway reports what became of a message.
    async fn post_receipt(&self, body: &Value) -> reqwest::Response {
        self.browser
            .client
            .post(format!("{}/api/v1/notifiche/esiti", self.address))
            .bearer_auth(API_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The receipt's answer: status and JSON body.
    async fn receipt(
        &self,
        message_id: &str,
        status: &str,
        detail: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut body = json!({ "message_id": message_id, "status": status });
        if let Some(detail) = detail {
            body["detail"] = json!(detail);
        }
        let response = self.post_receipt(&body).await;
        (response.status(), response.json().await.unwrap())
    }

    /// Receipts recorded for a message, and what the message carries as its newest.
    async fn receipts_of(&self, message_id: Uuid) -> (i64, Option<String>) {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM delivery_receipts WHERE message_id = $1),
                    (SELECT receipt_status::text FROM outbox WHERE id = $1)",
        )
        .bind(message_id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

/// The part of the e-mail's `Message-ID` before `@`: what a mail system's bounce names.
fn message_id_of(mail: &crate::support::smtp_sink::ReceivedEmail) -> String {
    let start = mail.raw.find("Message-ID: <").expect("a Message-ID") + "Message-ID: <".len();
    let rest = &mail.raw[start..];
    rest[..rest.find('@').expect("id@domain")].to_owned()
}

/// The legal representative of company A, logged in, with `EMPLOYEE` registered and their
/// username e-mail delivered to the SMTP sink; returns the browser, the employee's id and
/// the e-mail's message id.
async fn registered_employee(app: &TestApp) -> (Browser, Uuid, String) {
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    registered_by(app, lr).await
}

async fn registered_by(app: &TestApp, lr: Browser) -> (Browser, Uuid, String) {
    app.outbox_settled().await;
    let added = app
        .add_employee(&lr, None, EMPLOYEE, EMPLOYEE, "utilizzatore", "register")
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let mail = app.username_email(EMPLOYEE).await;
    (lr, app.user_id(EMPLOYEE).await, message_id_of(&mail))
}

async fn list(browser: &Browser) -> String {
    let (status, html) = browser.get_html(GU).await;
    assert_eq!(status, StatusCode::OK, "the list opens");
    html
}

#[tokio::test]
async fn a_receipt_for_an_id_the_portal_never_gave_is_404() {
    let app = spawn_app().await;

    for unknown in [Uuid::new_v4().to_string(), "CTR-1".to_owned()] {
        let (status, body) = app.receipt(&unknown, "delivered", None).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        assert_eq!(body["errors"][0]["field"], "message_id", "{body}");
    }
    assert_eq!(app.count("SELECT count(*) FROM delivery_receipts").await, 0);
}

#[tokio::test]
async fn receipts_need_the_internal_api_token() {
    let app = spawn_app().await;
    let (_, _, message_id) = registered_employee(&app).await;
    let url = format!("{}/api/v1/notifiche/esiti", app.address);
    let body = json!({ "message_id": message_id, "status": "bounced" });

    let anonymous = app
        .browser
        .client
        .post(&url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let wrong = app
        .browser
        .client
        .post(&url)
        .bearer_auth("not-the-token")
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT count(*) FROM delivery_receipts").await, 0);
    app.assert_holds("SELECT bool_and(receipt_status IS NULL) FROM outbox")
        .await;
}

#[tokio::test]
async fn a_receipt_with_a_wrong_status_or_body_is_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, _, message_id) = registered_employee(&app).await;
    let cases = [
        (
            json!({ "message_id": message_id, "status": "sent" }),
            "status",
        ),
        (
            json!({ "message_id": message_id, "status": "consegnato" }),
            "status",
        ),
        (json!({ "status": "delivered" }), "message_id"),
        (
            json!({ "message_id": "a\u{0}b", "status": "delivered" }),
            "message_id",
        ),
        (
            json!({ "message_id": message_id, "status": "delivered", "extra": 1 }),
            "extra",
        ),
        (json!({ "message_id": message_id, "status": 3 }), "status"),
    ];

    for (body, field) in cases {
        let response = app.post_receipt(&body).await;

        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let answer: Value = response.json().await.unwrap();
        let fields: Vec<&str> = answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.iter().any(|f| f.contains(field)), "{body}: {answer}");
    }
    assert_eq!(app.count("SELECT count(*) FROM delivery_receipts").await, 0);
}

#[tokio::test]
async fn a_repeated_receipt_changes_nothing_and_the_newest_receipt_wins() {
    let app = spawn_app().await;
    let (_, _, message_id) = registered_employee(&app).await;
    let id: Uuid = message_id.parse().unwrap();
    let bounce = Some("550 5.1.1 <luca.bianchi@example.it>: user unknown");

    let (first, body) = app.receipt(&message_id, "bounced", bounce).await;
    let (again, repeat) = app.receipt(&message_id, "bounced", bounce).await;

    assert_eq!((first, again), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        (body["recorded"].clone(), body["status"].clone()),
        (json!(true), json!("bounced"))
    );
    assert_eq!(repeat["recorded"], json!(false), "{repeat}");
    assert_eq!(app.receipts_of(id).await, (1, Some("bounced".into())));

    // The mail system retried and got through: the newest receipt is what is shown.
    let (_, delivered) = app.receipt(&message_id, "delivered", None).await;
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(app.receipts_of(id).await, (2, Some("delivered".into())));
    // The first bounce sent again late (a retry of that call) is not news.
    let (status, late) = app.receipt(&message_id, "bounced", bounce).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (late["recorded"].clone(), late["status"].clone()),
        (json!(false), json!("delivered"))
    );
    assert_eq!(app.receipts_of(id).await, (2, Some("delivered".into())));

    let metrics = app.browser.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("delivery_receipts_total{") && metrics.contains(r#"outcome="repeated""#),
        "receipts counted by status and outcome"
    );
}

#[tokio::test]
async fn an_sms_receipt_updates_the_sms_and_an_email_receipt_the_email() {
    let app = spawn_app().await;
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    app.browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;
    let sms = app.sms_to(LR_MOBILE).await;
    let email_id: Uuid = message_id_of(&mail).parse().unwrap();
    let sms_id: Uuid = sms.id.parse().unwrap();

    let (sms_status, _) = app
        .receipt(&sms.id, "failed", Some("numero non raggiungibile"))
        .await;
    // A bounce processor may pass the whole Message-ID: it names the same message.
    let whole = format!("<{email_id}@portale.test>");
    let (email_status, _) = app.receipt(&whole, "delivered", None).await;

    assert_eq!((sms_status, email_status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(app.receipts_of(sms_id).await, (1, Some("failed".into())));
    assert_eq!(
        app.receipts_of(email_id).await,
        (1, Some("delivered".into()))
    );
    let staff = staff_browser(&app).await;
    let company: Uuid = sqlx::query_scalar("SELECT id FROM companies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (_, sheet) = staff
        .get_html(&format!("/assistenza/aziende/{company}"))
        .await;
    let shown: Vec<String> = texts(&sheet, "tr[data-messaggio]");
    let sms_row = shown.iter().find(|r| r.contains("(sms)")).expect("the SMS");
    let email_row = shown
        .iter()
        .find(|r| r.contains("(email)"))
        .expect("the e-mail");
    assert!(
        sms_row.contains("Non consegnata") && sms_row.contains("numero non raggiungibile"),
        "{sms_row}"
    );
    assert!(
        email_row.contains("Consegnata") && !email_row.contains("Non consegnata"),
        "{email_row}"
    );
}

#[tokio::test]
async fn a_bounced_username_email_asks_the_legal_representative_to_correct_the_address() {
    let app = spawn_app().await;
    let (lr, id, message_id) = registered_employee(&app).await;
    let row = row_of_user(&list(&lr).await, id);
    assert_eq!(row.consegna, "sent", "{}", row.text);
    assert!(row.shows("Inviata il "), "{}", row.text);

    let (status, _) = app
        .receipt(&message_id, "bounced", Some("550 5.1.1 user unknown"))
        .await;

    assert_eq!(status, StatusCode::OK);
    let html = list(&lr).await;
    let row = row_of_user(&html, id);
    assert_eq!(row.consegna, "bounced");
    assert!(
        row.shows("Non consegnata: indirizzo rifiutato") && row.shows("correggi l'e-mail"),
        "{}",
        row.text
    );
    let edit = format!("{GU}/utenti/{id}/modifica");
    assert!(
        targets(&html).contains(&edit),
        "the prompt links the edit form"
    );
    let (_, page) = lr.get_html(&edit).await;
    let sends = texts(&page, "tr[data-invio]");
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert!(
        sends[0].contains(EMPLOYEE) && sends[0].contains("indirizzo rifiutato"),
        "{sends:?}"
    );

    let corrected = "luca.bianchi@example.com";
    let saved = lr
        .post_form(
            &edit,
            &[
                ("email", corrected),
                ("mobile", ""),
                ("profile", "utilizzatore"),
            ],
        )
        .await;

    assert_eq!(location(&saved), GU);
    app.username_email(corrected).await;
    let row = row_of_user(&list(&lr).await, id);
    assert_eq!(row.consegna, "sent", "the new e-mail, not yet reported on");
    assert!(!row.shows("correggi"), "{}", row.text);
    let (_, page) = lr.get_html(&edit).await;
    let sends = texts(&page, "tr[data-invio]");
    assert_eq!(sends.len(), 2, "every send is listed: {sends:?}");
    assert!(
        sends[0].contains(corrected) && sends[0].contains("Il link scade il"),
        "{sends:?}"
    );
    assert!(
        sends[1].contains(EMPLOYEE) && sends[1].contains("Sostituito"),
        "{sends:?}"
    );
}

#[tokio::test]
async fn an_expired_link_reads_link_scaduto_with_reinvia_and_a_fresh_one_is_valid_again() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    let (lr, id, message_id) = registered_by(&app, lr).await;
    app.receipt(&message_id, "delivered", None).await;
    let row = row_of_user(&list(&lr).await, id);
    assert_eq!(row.consegna, "delivered");
    assert!(
        row.shows("· Consegnata") && row.shows("Il link scade il"),
        "{}",
        row.text
    );
    assert!(!row.shows("Link scaduto"));

    app.advance_clock(time::Duration::days(7) + time::Duration::minutes(1));

    let html = list(&lr).await;
    let row = row_of_user(&html, id);
    assert_eq!(row.stato, "in_attesa");
    assert!(
        row.shows("Link scaduto") && !row.shows("Il link scade"),
        "{}",
        row.text
    );
    let resend = format!("{GU}/utenti/{id}/reinvia");
    assert!(targets(&html).contains(&resend), "Reinvia on the row");

    // A week later the legal representative logs in again (a fresh login: no step-up).
    let lr = app.logged_in_as(&company.legal_rep).await;
    let resent = lr.post_form(&resend, &[]).await;
    assert_eq!(location(&resent), GU);
    app.username_email(EMPLOYEE).await;
    let row = row_of_user(&list(&lr).await, id);
    assert_eq!(row.consegna, "sent", "the fresh e-mail");
    assert!(
        row.shows("Il link scade il") && !row.shows("Link scaduto"),
        "{}",
        row.text
    );
}

#[tokio::test]
async fn the_support_sheet_shows_each_users_username_email_and_its_receipt() {
    let app = spawn_app().await;
    let (_, id, message_id) = registered_employee(&app).await;
    app.receipt(&message_id, "bounced", Some("550 5.1.1 user unknown"))
        .await;
    let staff = staff_browser(&app).await;
    let company: Uuid = sqlx::query_scalar("SELECT company_id FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let (_, sheet) = staff
        .get_html(&format!("/assistenza/aziende/{company}"))
        .await;

    let user_row = texts(
        &sheet,
        &format!(r#"tr[data-user-id="{id}"][data-consegna="bounced"]"#),
    );
    assert_eq!(user_row.len(), 1, "{sheet}");
    assert!(
        user_row[0].contains("indirizzo rifiutato")
            && user_row[0].contains("Chiedi al Rappresentante Legale")
            && user_row[0].contains("Il link scade il"),
        "{}",
        user_row[0]
    );
    let messages = texts(&sheet, r#"tr[data-messaggio][data-consegna="bounced"]"#);
    assert_eq!(messages.len(), 1, "{sheet}");
    assert!(
        messages[0].contains("550 5.1.1 user unknown"),
        "{}",
        messages[0]
    );
}

#[tokio::test]
async fn erasing_a_closed_company_blanks_the_receipts_diagnostics_and_keeps_the_receipts() {
    // No access-review reminder within the year this test moves through.
    let app = spawn_app_with(|s| s.access_review_days = 10_000).await;
    let (_, _, message_id) = registered_employee(&app).await;
    let detail = format!("550 5.1.1 <{EMPLOYEE}>: user unknown");
    app.receipt(&message_id, "bounced", Some(&detail)).await;
    let closed = crate::contract_events::post_event(
        &app,
        &format!("/aziende/{VAT_A}/cessazione"),
        &json!({ "event_id": "EVT-CLOSE" }),
    )
    .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let quoted = "SELECT (SELECT count(*) FROM delivery_receipts WHERE detail LIKE '%example.it%')
                       + (SELECT count(*) FROM outbox WHERE receipt_detail LIKE '%example.it%')";
    assert_eq!(app.count(quoted).await, 2);

    app.advance_clock(time::Duration::days(366));
    app.run_pending_work().await;

    assert_eq!(
        app.count(quoted).await,
        0,
        "the address quoted by the bounce is erased"
    );
    let id: Uuid = message_id.parse().unwrap();
    assert_eq!(
        app.receipts_of(id).await,
        (1, Some("bounced".into())),
        "the fact remains"
    );
}
