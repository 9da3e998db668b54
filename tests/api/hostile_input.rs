//! Issue 17: every route that takes input, given each value an attacker's tooling sends
//! (NUL, control characters, bidi overrides, CR/LF, invalid percent-encoding, invalid
//! UTF-8, a UTF-8-encoded lone surrogate, overlong text), answers without a 5xx and
//! writes nothing. Values are sent raw (already percent-encoded), one field at a time,
//! with the other fields valid, by a logged-in legal representative and a logged-in
//! operator, so each value reaches the handler past login and CSRF.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{API_TOKEN, Browser, TestApp, spawn_app};
use crate::seeds::COMPANY_A;

/// Raw, percent-encoded as they travel in a form body or a query string.
const HOSTILE: &[&str] = &[
    "%00",
    "a%00b",
    "%07%1B%5B31m",
    "%E2%80%AEgpj.exe",
    "riga%0D%0Aseconda",
    "%C3%28",
    "%FF%FE",
    "%ED%A0%80",
    "%C2%85",
];

/// Not valid percent-encoding: decoded leniently as the literal text, which may be a valid
/// value, so only "no 5xx" holds for it.
const BAD_ESCAPES: &[&str] = &["%zz%", "%", "%%41"];

/// Form routes of a logged-in legal representative, with a valid value for every field.
const CUSTOMER_FORMS: &[(&str, &[(&str, &str)])] = &[
    (
        "/area-clienti/gestione-utenze/aggiungi",
        &[
            ("first_name", "Luca"),
            ("last_name", "Bianchi"),
            ("email", "luca.bianchi%40example.it"),
            ("mobile", "%2B393471234567"),
            ("username", "luca.bianchi"),
            ("profile", "utilizzatore"),
        ],
    ),
    (
        "/area-clienti/profilo/contatti",
        &[
            ("email", "nuova%40example.it"),
            ("mobile", "%2B393479876543"),
            ("current_password", "sbagliata"),
        ],
    ),
    (
        "/area-clienti/profilo/password",
        &[
            ("current_password", "sbagliata"),
            ("password", "Cavallo-batteria-graffetta-8"),
            ("password_confirm", "Cavallo-batteria-graffetta-8"),
        ],
    ),
    ("/area-clienti/gestione-utenze/registra", &[("ids", "x")]),
    (
        "/area-clienti/gestione-utenze/importa/conferma",
        &[("id", "x"), ("action", "register")],
    ),
    (
        "/area-clienti/profilo/contatti/cellulare",
        &[("code", "123456")],
    ),
    (
        "/area-clienti/profilo/contatti/annulla",
        &[("contatto", "email")],
    ),
    ("/recupera-password", &[("username", "maria")]),
    ("/reinvio-credenziali", &[("email", "maria%40example.it")]),
    ("/accedi", &[("username", "maria"), ("password", "x")]),
];

const CUSTOMER_QUERIES: &[(&str, &[&str])] = &[
    ("/area-clienti/gestione-utenze", &["q", "stato", "pagina"]),
    ("/area-clienti/gestione-utenze/registro", &["pagina"]),
];

const STAFF_FORMS: &[(&str, &[(&str, &str)])] = &[
    (
        "/assistenza/accedi",
        &[("username", "operatore.luca"), ("password", "x")],
    ),
    ("/assistenza/accedi/verifica", &[("code", "123456")]),
    ("/assistenza/sicurezza/attiva", &[("code", "123456")]),
];

/// Rows that a refused value must leave untouched (the audit is left out: a refused
/// current password is rightly audited as a failed re-authentication).
pub(crate) const WRITTEN: &str =
    "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM mobile_lines)
    + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM jobs)
    + (SELECT count(*) FROM credential_tokens) + (SELECT count(*) FROM companies)
    + (SELECT count(*) FROM pending_contact_changes)
    + (SELECT count(*) FROM users WHERE factors_reset_at IS NOT NULL)";

/// `fields` as a raw body, with `hostile` in place of field `target`.
fn body(csrf: &str, fields: &[(&str, &str)], target: &str, hostile: &str) -> String {
    let mut parts = vec![format!("csrf_token={csrf}")];
    for (name, valid) in fields {
        let value = if *name == target { hostile } else { valid };
        parts.push(format!("{name}={value}"));
    }
    parts.join("&")
}

pub(crate) async fn post_raw_body(browser: &Browser, path: &str, body: String) -> StatusCode {
    browser
        .client
        .post(format!("{}{path}", browser.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn sweep_forms(
    browser: &Browser,
    forms: &[(&str, &[(&str, &str)])],
    csrf: &str,
    values: &[&str],
) {
    for (path, fields) in forms {
        for (target, _) in *fields {
            for hostile in values {
                let status =
                    post_raw_body(browser, path, body(csrf, fields, target, hostile)).await;
                assert!(
                    !status.is_server_error(),
                    "POST {path} with {target}={hostile} answered {status}"
                );
                // A 403 is the CSRF check: the value would never have reached the handler.
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "POST {path} with {target}={hostile} was refused before its handler"
                );
            }
        }
    }
}

async fn sweep_queries(browser: &Browser) {
    for (path, params) in CUSTOMER_QUERIES {
        for param in *params {
            for hostile in HOSTILE {
                let status = browser
                    .get(&format!("{path}?{param}={hostile}"))
                    .await
                    .status();
                assert!(
                    !status.is_server_error(),
                    "GET {path}?{param}={hostile} answered {status}"
                );
            }
        }
    }
    for hostile in HOSTILE {
        for path in [
            format!("/area-clienti/gestione-utenze/utenti/{hostile}/modifica"),
            format!("/area-clienti/gestione-utenze/linee/{hostile}/aggiorna"),
            format!("/attivazione/{hostile}"),
            format!("/recupera-password/{hostile}"),
        ] {
            let status = browser.get(&path).await.status();
            assert!(!status.is_server_error(), "GET {path} answered {status}");
        }
    }
}

/// The operator `operatore.luca`, created and logged in (app enrolled).
pub(crate) async fn staff_browser(app: &TestApp) -> Browser {
    app.staff_logged_in("operatore.luca", STAFF_PASSWORD).await
}

const STAFF_PASSWORD: &str = "Cavallo-batteria-graffetta-7";

pub(crate) async fn staff_csrf(staff: &Browser) -> String {
    staff.staff_csrf().await
}

#[tokio::test]
async fn no_hostile_value_in_any_form_query_or_path_answers_5xx_or_writes_a_row() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    let staff = staff_browser(&app).await;
    app.run_pending_work().await;
    let before = app.count(WRITTEN).await;

    let csrf = browser.csrf().await;
    sweep_forms(&browser, CUSTOMER_FORMS, &csrf, HOSTILE).await;
    sweep_queries(&browser).await;
    let staff_token = staff_csrf(&staff).await;
    sweep_forms(&staff, STAFF_FORMS, &staff_token, HOSTILE).await;
    for hostile in HOSTILE {
        let status = staff
            .get(&format!("/assistenza?q={hostile}"))
            .await
            .status();
        assert!(
            !status.is_server_error(),
            "support search {hostile}: {status}"
        );
        let path = format!("/assistenza/aziende/{hostile}");
        let status = staff.get(&path).await.status();
        assert!(!status.is_server_error(), "GET {path}: {status}");
    }
    let reason_form: &[(&str, &str)] = &[("reason", "ticket 42")];
    let resend = format!("/assistenza/utenti/{}/reinvia", company.legal_rep.id);
    sweep_forms(
        &staff,
        &[(resend.as_str(), reason_form)],
        &staff_token,
        HOSTILE,
    )
    .await;
    // Both stayed logged in throughout, so every value reached a handler past the login.
    assert_eq!(browser.get("/area-clienti").await.status(), StatusCode::OK);
    assert_eq!(staff.get("/assistenza").await.status(), StatusCode::OK);
    app.run_pending_work().await;
    let after = app.count(WRITTEN).await;
    if after != before {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT action, details::text FROM audit_events ORDER BY id DESC LIMIT 30",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();
        panic!("a refused value wrote rows: {before} -> {after}; audit: {rows:?}");
    }
}

#[tokio::test]
async fn invalid_percent_escapes_anywhere_never_answer_5xx() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    let csrf = browser.csrf().await;
    sweep_forms(&browser, CUSTOMER_FORMS, &csrf, BAD_ESCAPES).await;
    app.leaves_messages_queued();
}

#[tokio::test]
async fn the_api_answers_422_naming_the_field_for_nul_and_lone_surrogates_in_json() {
    let app = spawn_app().await;
    for hostile in [
        "\\u0000",
        "a\\u0000b",
        "\\ud800",
        "\\u202egpj",
        "\\u001b[31m",
    ] {
        let raw = format!(
            r#"{{"contract_id":"CTR-H","channel":"negozio{hostile}","company":{{"name":"Rossi{hostile}","vat_number":"IT01234567897"}},"legal_representative":{{"first_name":"Maria","last_name":"Rossi","email":"maria@example.it"}},"mobile_lines":[{{"number":"+393401112233"}}]}}"#
        );
        let response = app
            .browser
            .client
            .post(format!("{}/api/v1/contratti", app.address))
            .bearer_auth(API_TOKEN)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or(json!(null));
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{hostile}: {status} {body}"
        );
        assert!(body["errors"].is_array(), "{hostile}: {body}");
    }
    assert_eq!(app.count("SELECT count(*) FROM companies").await, 0);
}
