//! The internal API given hostile JSON (escaped NUL and lone surrogates, raw bytes that are
//! not UTF-8) and odd bearer tokens, and every area given headers it reads with garbage in
//! them (a forged session cookie, content types, user agents, forwarded addresses).

use proptest::prelude::*;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};

use super::values::{header_bytes, hostile_json, run_cases};
use super::written_nothing;
use crate::helpers::{API_TOKEN, TestApp, spawn_app};
use crate::hostile_input::WRITTEN;

/// String fields of a contract (CONTRACT.md section 3), in the order [`contract_json`] writes them.
const FIELDS: usize = 14;

/// The example contract as raw JSON, with `value(i, valid)` as the text of string field `i`.
fn contract_json(value: impl Fn(usize, &str) -> Vec<u8>) -> Vec<u8> {
    let parts: [(&str, &str); FIELDS] = [
        (r#"{"contract_id":""#, "CTR-H"),
        (r#"","channel":""#, "negozio"),
        (r#"","company":{"name":""#, "Rossi Impianti S.r.l."),
        (r#"","vat_number":""#, "IT01234567897"),
        (r#"","tax_code":""#, "01234567897"),
        (r#""},"legal_representative":{"first_name":""#, "Maria"),
        (r#"","last_name":""#, "Rossi"),
        (r#"","email":""#, "maria.rossi@example.it"),
        (r#"","mobile":""#, "+393331234567"),
        (r#""},"mobile_lines":[{"number":""#, "+393401112233"),
        (r#"","referent":{"first_name":""#, "Luca"),
        (r#"","last_name":""#, "Bianchi"),
        (r#"","email":""#, "luca.bianchi@example.it"),
        (r#"","profile":""#, "amministratore_light"),
    ];
    let mut json = Vec::new();
    for (i, (before, valid)) in parts.iter().enumerate() {
        json.extend_from_slice(before.as_bytes());
        json.extend(value(i, valid));
    }
    json.extend_from_slice(br#""}}]}"#);
    json
}

async fn post_contract_raw(
    app: &TestApp,
    auth: HeaderValue,
    content_type: HeaderValue,
    body: Vec<u8>,
) -> StatusCode {
    app.browser
        .client
        .post(format!("{}/api/v1/contratti", app.address))
        .header("authorization", auth)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

fn bearer() -> HeaderValue {
    HeaderValue::from_str(&format!("Bearer {API_TOKEN}")).unwrap()
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_generated_hostile_json_and_tokens_with_4xx_and_writes_nothing() {
    let app = spawn_app().await;
    let valid = &contract_json(|_, v| v.as_bytes().to_vec());
    let app = &app;
    let json_case = (
        0..FIELDS,
        hostile_json(),
        prop::option::of(hostile_json()),
        0..FIELDS,
    );
    run_cases(64, json_case, |(target, value, second, other)| async move {
        let body = contract_json(|i, v| match (i, &second) {
            (i, _) if i == target => value.clone(),
            (i, Some(second)) if i == other => second.clone(),
            _ => v.as_bytes().to_vec(),
        });
        let status = post_contract_raw(app, bearer(), JSON, body.clone()).await;
        let shown = String::from_utf8_lossy(&body);
        prop_assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{shown:.400}: {status}"
        );
        prop_assert_eq!(app.count(WRITTEN).await, 0, "{:.400} wrote rows", shown);
        Ok(())
    });
    // The token in every odd shape (prefix, suffix, alone, garbage), and odd content types.
    let token_case = (header_bytes(), 0..4usize);
    run_cases(48, token_case, |(bytes, shape)| async move {
        let mut auth = match shape {
            0 => format!("Bearer {API_TOKEN}").into_bytes(),
            1 => b"Bearer ".to_vec(),
            _ => Vec::new(),
        };
        auth.extend_from_slice(&bytes);
        if shape == 3 {
            auth.extend_from_slice(API_TOKEN.as_bytes());
        }
        let Ok(auth) = HeaderValue::from_bytes(&auth) else {
            return Ok(());
        };
        prop_assume!(auth != bearer());
        let status = post_contract_raw(app, auth.clone(), JSON, valid.clone()).await;
        prop_assert_eq!(status, StatusCode::UNAUTHORIZED, "Authorization {:?}", auth);
        let content_type = HeaderValue::from_bytes(&bytes).unwrap_or(JSON);
        prop_assume!(!bytes.starts_with(b"application/json"));
        let status = post_contract_raw(app, bearer(), content_type.clone(), valid.clone()).await;
        prop_assert!(
            status.is_client_error(),
            "Content-Type {content_type:?}: {status}"
        );
        written_nothing(app, 0, &format!("{auth:?} / {content_type:?}")).await
    });
}

/// Requests that read a session cookie, with `name=garbage` as the only cookie.
const COOKIE_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/area-clienti", "area_clienti"),
    ("GET", "/accedi", "area_clienti"),
    ("POST", "/accedi", "area_clienti"),
    ("GET", "/area-clienti/gestione-utenze", "area_clienti"),
    ("GET", "/assistenza", "area_clienti_assistenza"),
    ("POST", "/assistenza/accedi", "area_clienti_assistenza"),
];

/// Headers read or logged by some layer, given garbage.
const OTHER_HEADERS: &[&str] = &[
    "user-agent",
    "x-forwarded-for",
    "referer",
    "accept-language",
    "origin",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_cookies_and_garbage_headers_never_answer_5xx() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (app, client) = (&app, &client);
    let case = (
        0..COOKIE_ROUTES.len(),
        header_bytes(),
        0..OTHER_HEADERS.len(),
        header_bytes(),
    );
    run_cases(64, case, |(route, cookie, other, garbage)| async move {
        let (method, path, name) = COOKIE_ROUTES[route];
        let mut sent = format!("{name}=").into_bytes();
        sent.extend_from_slice(&cookie);
        let Ok(cookie) = HeaderValue::from_bytes(&sent) else {
            return Ok(());
        };
        let mut request = client
            .request(method.parse().unwrap(), format!("{}{path}", app.address))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf_token=x&username=maria&password=x");
        if let Ok(value) = HeaderValue::from_bytes(&garbage) {
            request = request.header(HeaderName::from_static(OTHER_HEADERS[other]), value);
        }
        let status = request.send().await.unwrap().status();
        prop_assert!(
            !status.is_server_error(),
            "{method} {path} Cookie {cookie:?}: {status}"
        );
        Ok(())
    });
}
