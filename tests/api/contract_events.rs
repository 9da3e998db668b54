//! The events after the first contract (CONTRACT.md §3b, issue 14), through the API:
//! idempotency by `event_id`, validation, and what each event changes, for whom, and what
//! it leaves alone.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    API_TOKEN, Browser, GU, LINES_A, LR_B_EMAIL, LR_B_MOBILE, LR_EMAIL, TestApp, VAT_B,
    contract_body, data_count, is_to, location, rows, shown, spawn_app, texts,
};
use crate::servizio_clienti::staff_browser;

pub(crate) const LUCA: &str = "luca.bianchi@example.it";

pub(crate) async fn post_event(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.browser
        .client
        .post(format!("{}/api/v1{path}", app.address))
        .bearer_auth(API_TOKEN)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub(crate) fn cessation_path(number: &str) -> String {
    format!("/linee/{}/cessazione", number.replace('+', "%2B"))
}

/// Company A seeded with its legal representative logged in, and an active user tied to
/// `LINES_A[0]` with `profile`, logged in too.
pub(crate) async fn company_with_line_user(app: &TestApp, profile: &str) -> (Browser, Browser) {
    let lr = app.seeded_legal_representative().await;
    let employee = app
        .seeded_employee_logged_in(LR_EMAIL, LUCA, None, profile)
        .await;
    sqlx::query("UPDATE mobile_lines SET user_id = $1 WHERE number = $2")
        .bind(app.user_id(LUCA).await)
        .bind(LINES_A[0])
        .execute(&app.pool)
        .await
        .unwrap();
    (lr, employee)
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// E-mails to `email` whose subject contains `subject`, after running the pending work.
pub(crate) async fn mails(app: &TestApp, email: &str, subject: &str) -> Vec<String> {
    app.run_pending_work().await;
    app.smtp
        .messages()
        .await
        .into_iter()
        .filter(|m| is_to(m, email) && m.subject.contains(subject))
        .map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn a_ceased_line_leaves_gestione_utenze_and_the_sheet_and_its_utilizzatore_is_disabled_and_logged_out()
 {
    let app = spawn_app().await;
    let (lr, employee) = company_with_line_user(&app, "utilizzatore").await;
    let luca = app.user_id(LUCA).await;
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);
    let (_, before) = lr.get_html(GU).await;
    assert!(rows(&before).iter().any(|r| r.shows(&shown(LINES_A[0]))));
    assert_eq!(data_count(&before, "attivo"), 2);

    let body = json!({ "event_id": "EVT-1", "reason": "cessazione", "channel": "negozio" });
    let (status, answer) =
        json_of(post_event(&app, &cessation_path(LINES_A[0]), &body).await).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["number"], LINES_A[0]);
    assert_eq!(answer["untied_user_id"], luca.to_string());
    assert_eq!(answer["user_disabled"], true);
    // The Utilizzatore is disabled and their open session is over.
    assert_eq!(app.user_state(LUCA).await, "disabilitato");
    let next = employee.get("/area-clienti").await;
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&next), "/accedi");
    // Gone from the roster, its counts and its search.
    let (_, after) = lr.get_html(GU).await;
    assert!(
        !rows(&after).iter().any(|r| r.shows(&shown(LINES_A[0]))),
        "{after}"
    );
    assert!(rows(&after).iter().any(|r| r.shows(&shown(LINES_A[1]))));
    // Luca stays listed as a user without a line, disabled; the other line is still there.
    assert_eq!(data_count(&after, "attivo"), 1);
    assert_eq!(data_count(&after, "disabilitato"), 1);
    assert_eq!(data_count(&after, "da_registrare"), 1);
    let (_, searched) = lr.get_html(&format!("{GU}?q=3401112233")).await;
    assert!(rows(&searched).is_empty(), "{searched}");
    app.assert_holds(
        "SELECT (SELECT n FROM roster_counts WHERE state = 'da_registrare') = 1
            AND NOT EXISTS (SELECT 1 FROM users WHERE holds_line)",
    )
    .await;
    // Gone from the support sheet's lines, kept in its audit and in the history.
    let company_id: Uuid = app.count_uuid("SELECT id FROM companies").await;
    let staff = staff_browser(&app).await;
    let (_, sheet) = staff
        .get_html(&format!("/assistenza/aziende/{company_id}"))
        .await;
    let lines = texts(&sheet, ".line-list li");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&shown(LINES_A[1])), "{lines:?}");
    // In words on the sheet (issue 15: no codes or JSON where people read).
    assert!(sheet.contains("la cessazione della linea"), "{sheet}");
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM audit_events WHERE action = 'linea_cessata'
            AND subject_user_id = '{luca}' AND details->>'event_id' = 'EVT-1'
            AND details->>'channel' = 'negozio' AND details->>'numero' = '{}'",
        LINES_A[0]
    ))
    .await;
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM ceased_lines WHERE number = '{}' AND reason = 'cessazione'
            AND user_id = '{luca}' AND company_id = '{company_id}'",
        LINES_A[0]
    ))
    .await;
    // One e-mail to the legal representative, naming the line and the user.
    let notices = mails(&app, LR_EMAIL, "non più attiva").await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains(&shown(LINES_A[0])) && notices[0].contains(LUCA),
        "{}",
        notices[0]
    );
    assert!(notices[0].contains("disabilitato"), "{}", notices[0]);
}

#[tokio::test]
async fn the_same_event_id_again_answers_the_same_and_changes_or_sends_nothing() {
    let app = spawn_app().await;
    company_with_line_user(&app, "utilizzatore").await;
    let body = json!({ "event_id": "EVT-1", "reason": "portabilita_uscente" });
    let (first_status, first) =
        json_of(post_event(&app, &cessation_path(LINES_A[0]), &body).await).await;
    assert_eq!(first_status, StatusCode::OK);
    app.run_pending_work().await;
    let snapshot = app.state_snapshot().await;
    let sent = app.smtp.messages().await.len();

    // A retry, and a retry written with the number in another form.
    for path in [cessation_path(LINES_A[0]), cessation_path("3401112233")] {
        let (status, again) = json_of(post_event(&app, &path, &body).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again, first);
    }

    app.run_pending_work().await;
    assert_eq!(app.state_snapshot().await, snapshot, "nothing changed");
    assert_eq!(app.smtp.messages().await.len(), sent, "nothing sent");
    // The same event_id for another event, or with other data, is refused.
    let other = json!({ "event_id": "EVT-1", "reason": "cessazione" });
    let (status, refused) =
        json_of(post_event(&app, &cessation_path(LINES_A[0]), &other).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(fields(&refused), ["event_id"]);
    let (status, _) = json_of(post_event(&app, &cessation_path(LINES_A[1]), &body).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.state_snapshot().await, snapshot);
}

#[tokio::test]
async fn an_event_is_validated_like_a_contract_and_an_unknown_number_is_404() {
    let app = spawn_app().await;
    app.seed_company(&crate::seeds::COMPANY_A).await;
    let path = cessation_path(LINES_A[0]);

    let (status, body) =
        json_of(post_event(&app, "/linee/12/cessazione", &json!({ "reason": "furto" })).await)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["number", "event_id", "reason"]);
    assert!(
        body["errors"][2]["message"]
            .as_str()
            .unwrap()
            .contains("portabilita_uscente")
    );
    let (status, body) = json_of(
        post_event(
            &app,
            &path,
            &json!({ "event_id": "E", "reason": "cessazione", "extra": 1 }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["extra"], "the unknown field is named");
    let (status, body) = json_of(
        post_event(
            &app,
            &cessation_path("+393409999999"),
            &json!({ "event_id": "E", "reason": "cessazione" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(fields(&body), ["number"]);
    let unauthorized = app
        .browser
        .client
        .post(format!("{}/api/v1{path}", app.address))
        .json(&json!({ "event_id": "E", "reason": "cessazione" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);

    // Nothing of the refused requests was kept: the same event_id then applies normally.
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM contract_events)")
        .await;
    app.assert_holds("SELECT count(*) = 2 FROM mobile_lines")
        .await;
    let (status, _) = json_of(
        post_event(
            &app,
            &path,
            &json!({ "event_id": "E", "reason": "cessazione" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.assert_holds("SELECT count(*) = 1 FROM mobile_lines")
        .await;
    app.run_pending_work().await;
}

#[tokio::test]
async fn an_administrator_keeps_access_when_their_line_ceases() {
    let app = spawn_app().await;
    let (_, employee) = company_with_line_user(&app, "amministratore_light").await;

    let body = json!({ "event_id": "EVT-9", "reason": "cessazione" });
    let (status, answer) =
        json_of(post_event(&app, &cessation_path(LINES_A[0]), &body).await).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["user_disabled"], false);
    assert_eq!(app.user_state(LUCA).await, "attivo");
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM mobile_lines WHERE user_id IS NOT NULL)")
        .await;
    let notices = mails(&app, LR_EMAIL, "non più attiva").await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("resta attivo"), "{}", notices[0]);
}

#[tokio::test]
async fn a_ceased_number_is_sold_again_to_another_company_and_starts_clean_there() {
    let app = spawn_app().await;
    company_with_line_user(&app, "utilizzatore").await;
    let body = json!({ "event_id": "EVT-1", "reason": "portabilita_uscente" });
    assert_eq!(
        post_event(&app, &cessation_path(LINES_A[0]), &body)
            .await
            .status(),
        StatusCode::OK
    );
    let company_a: Uuid = app.count_uuid("SELECT id FROM companies").await;
    let a_before = app.company_rows(company_a).await;

    let contract = contract_body("CTR-B", VAT_B, LR_B_EMAIL, Some(LR_B_MOBILE), &[LINES_A[0]]);
    let (status, answer) = json_of(app.post_contract(&contract).await).await;

    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["lines_added"], 1);
    let company_b = answer["company_id"].as_str().unwrap();
    app.assert_holds(&format!(
        "SELECT company_id = '{company_b}' AND user_id IS NULL AND referent_email IS NULL
         FROM mobile_lines WHERE number = '{}'",
        LINES_A[0]
    ))
    .await;
    assert_eq!(
        app.company_rows(company_a).await,
        a_before,
        "company A untouched"
    );
    app.assert_holds(&format!(
        "SELECT count(*) = 1 FROM ceased_lines WHERE number = '{}' AND company_id = '{company_a}'",
        LINES_A[0]
    ))
    .await;
    app.mail_to(LR_B_EMAIL).await;
}

impl TestApp {
    pub(crate) async fn count_uuid(&self, sql: &str) -> Uuid {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Everything of one company, as one comparable text (to show no event touched it).
    pub(crate) async fn company_rows(&self, company_id: Uuid) -> String {
        sqlx::query_scalar(
            "SELECT concat_ws(E'\\n',
                (SELECT string_agg(concat_ws('|', c.id, c.name, c.vat_number, c.closed_at), ',') FROM companies c WHERE id = $1),
                (SELECT string_agg(concat_ws('|', id, username, email, mobile, first_name, last_name, profile,
                                             state, session_epoch, password_hash, retired_at), E'\\n' ORDER BY id)
                 FROM users WHERE company_id = $1),
                (SELECT string_agg(concat_ws('|', id, number, user_id), E'\\n' ORDER BY id)
                 FROM mobile_lines WHERE company_id = $1),
                (SELECT string_agg(concat_ws('|', id, number, reason), E'\\n' ORDER BY id)
                 FROM ceased_lines WHERE company_id = $1),
                'outbox ' || (SELECT count(*) FROM outbox WHERE company_id = $1),
                'tokens ' || (SELECT count(*) FROM credential_tokens WHERE company_id = $1 AND superseded_at IS NULL),
                'audit ' || (SELECT string_agg(concat_ws('|', id, actor_label, client_addr, details::text), E'\\n' ORDER BY id)
                             FROM audit_events WHERE company_id = $1))",
        )
        .bind(company_id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn hostile_text_in_an_event_is_a_422_naming_the_field_and_nothing_is_recorded() {
    let app = spawn_app().await;
    app.seed_company(&crate::seeds::COMPANY_A).await;
    let snapshot = app.state_snapshot().await;
    for hostile in [
        "\\u0000",
        "a\\u0000b",
        "\\ud800",
        "\\u202egpj",
        "\\u001b[31m",
    ] {
        let requests = [
            (
                cessation_path(LINES_A[0]),
                format!(r#"{{"event_id":"E-1","reason":"cessazione","channel":"web{hostile}"}}"#),
            ),
            (
                "/aziende/IT01234567897/rappresentante-legale".to_owned(),
                format!(
                    r#"{{"event_id":"E-2","legal_representative":{{"first_name":"Anna{hostile}","last_name":"Neri","email":"anna@example.it"}}}}"#
                ),
            ),
            (
                "/aziende/IT01234567897/cessazione".to_owned(),
                format!(r#"{{"event_id":"E-3{hostile}"}}"#),
            ),
        ];
        for (path, raw) in requests {
            let response = app
                .browser
                .client
                .post(format!("{}/api/v1{path}", app.address))
                .bearer_auth(API_TOKEN)
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert!(
                status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
                "{path} {hostile}: {status} {body}"
            );
            assert!(!fields(&body).is_empty(), "{path} {hostile}: {body}");
        }
    }
    assert_eq!(app.state_snapshot().await, snapshot);
    app.assert_holds("SELECT NOT EXISTS (SELECT 1 FROM contract_events)")
        .await;
}
