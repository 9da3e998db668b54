//! Issue 17, as properties: generated hostile values (see `values`) in every form field,
//! query parameter and path segment of the portal, in the internal API's JSON and in the
//! headers it reads, never answer 5xx and never write a row (`WRITTEN`). The fixed table of
//! `hostile_input` names the cases; these mix them, one spawned app per property.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reqwest::{Method, StatusCode};

use crate::helpers::{Browser, LINES_A, TestApp, spawn_app};
use crate::hostile_input::{WRITTEN, post_raw_body};
use crate::seeds::COMPANY_A;
use values::{hostile, run_cases};

mod api;
mod public;
mod support;
mod values;

/// A form: where it posts, and a valid raw value for each of its fields.
type Form = (String, Vec<(&'static str, String)>);

/// Cases per form, per path with a segment, per page with a query: enough to mix the
/// pieces of `values` with every field, few enough to keep each property under seconds.
const CASES_PER_FORM: usize = 16;
const CASES_PER_SEGMENT: usize = 6;
const CASES_PER_PAGE: usize = 24;

/// Up to this many fields per form, hostile values drawn for each.
const MAX_FIELDS: usize = 8;

/// `fields` as a raw body after the CSRF field: field `target` gets `sure`, any other field
/// its drawn hostile value, if any, else its valid one.
fn form_body(
    csrf: &str,
    fields: &[(&str, String)],
    target: usize,
    sure: &str,
    drawn: &[String],
) -> String {
    let mut body = format!("csrf_token={csrf}");
    for (i, (name, valid)) in fields.iter().enumerate() {
        let value = match (i == target, drawn[i].as_str()) {
            (true, _) => sure,
            (false, "") => valid,
            (false, value) => value,
        };
        body.push_str(&format!("&{name}={value}"));
    }
    body
}

/// A form, the field that is surely hostile and its value, and for each field a hostile
/// value or `""` (keep the valid one).
fn form_case(forms: usize) -> impl Strategy<Value = (usize, usize, String, Vec<String>)> {
    let drawn = prop::collection::vec(
        prop::option::weighted(0.25, hostile()).prop_map(Option::unwrap_or_default),
        MAX_FIELDS,
    );
    (0..forms, 0..MAX_FIELDS, hostile(), drawn)
}

/// Property: every form of `forms`, posted by `browser` with generated hostile values,
/// answers below 500 and writes nothing.
pub(crate) fn forms_refuse_hostile_values(
    app: &TestApp,
    browser: &Browser,
    csrf: &str,
    forms: &[Form],
) {
    run_cases(
        CASES_PER_FORM * forms.len(),
        form_case(forms.len()),
        |(form, target, sure, drawn)| async move {
            let (path, fields) = &forms[form];
            let before = app.count(WRITTEN).await;
            let body = form_body(csrf, fields, target % fields.len(), &sure, &drawn);
            let status = post_raw_body(browser, path, body.clone()).await;
            prop_assert!(
                !status.is_server_error(),
                "POST {path} {body:.300}: {status}"
            );
            written_nothing(app, before, &format!("POST {path} {body:.300}")).await
        },
    );
}

/// Fails the case when a row was written since `before`.
pub(crate) async fn written_nothing(
    app: &TestApp,
    before: i64,
    what: &str,
) -> Result<(), TestCaseError> {
    app.run_pending_work().await;
    let after = app.count(WRITTEN).await;
    prop_assert_eq!(before, after, "{} wrote rows", what);
    Ok(())
}

/// Property: `method path` with a hostile value in place of `{}` answers below 500 and
/// writes nothing (a POST carries `csrf`).
pub(crate) fn segments_refuse_hostile_values(
    app: &TestApp,
    browser: &Browser,
    csrf: &str,
    routes: &[(Method, &str)],
) {
    run_cases(
        CASES_PER_SEGMENT * routes.len(),
        (0..routes.len(), hostile()),
        |(route, value)| async move {
            let (method, template) = &routes[route];
            let path = template.replace("{}", &value);
            let before = app.count(WRITTEN).await;
            let response = browser
                .client
                .request(method.clone(), format!("{}{path}", browser.address))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf_token={csrf}"))
                .send()
                .await
                .unwrap();
            let status = response.status();
            prop_assert!(!status.is_server_error(), "{method} {path:.300}: {status}");
            written_nothing(app, before, &format!("{method} {path:.300}")).await
        },
    );
}

/// Property: GET `path` with hostile values in `params` (the first drawn surely, the
/// others sometimes) answers below 500.
pub(crate) fn queries_refuse_hostile_values(browser: &Browser, pages: &[(&str, &[&str])]) {
    let values = prop::collection::vec(prop::option::weighted(0.5, hostile()), 3);
    run_cases(
        CASES_PER_PAGE * pages.len(),
        (0..pages.len(), hostile(), values),
        |(page, first, others)| async move {
            let (path, params) = pages[page];
            let mut query = format!("{}={first}", params[0]);
            for (param, value) in params[1..].iter().zip(others.iter()) {
                if let Some(value) = value {
                    query.push_str(&format!("&{param}={value}"));
                }
            }
            let status = browser.get(&format!("{path}?{query}")).await.status();
            prop_assert!(
                !status.is_server_error(),
                "GET {path}?{query:.300}: {status}"
            );
            Ok(())
        },
    );
}

fn valid(fields: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    fields.iter().map(|(n, v)| (*n, (*v).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_forms_refuse_generated_hostile_values_without_5xx_or_writes() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let employee = app
        .seed_user(
            company.company_id,
            "luca@example.it",
            None,
            "utilizzatore",
            "da_registrare",
        )
        .await;
    let line = app.line_id(LINES_A[1]).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    let csrf = browser.csrf().await;
    let gu = "/area-clienti/gestione-utenze";
    let forms: Vec<Form> = vec![
        (
            format!("{gu}/aggiungi"),
            valid(&[
                ("first_name", "Luca"),
                ("last_name", "Bianchi"),
                ("email", "luca.bianchi%40example.it"),
                ("mobile", "%2B393471234567"),
                ("username", "luca.bianchi"),
                ("profile", "utilizzatore"),
                ("action", "register"),
            ]),
        ),
        (
            format!("{gu}/utenti/{}/modifica", employee.id),
            valid(&[
                ("email", "nuova%40example.it"),
                ("mobile", "%2B393479876543"),
                ("profile", "amministratore_light"),
            ]),
        ),
        (
            format!("{gu}/linee/{line}/aggiorna"),
            valid(&[
                ("email", "anna%40example.it"),
                ("username", "anna"),
                ("profile", "utilizzatore"),
            ]),
        ),
        (
            format!("{gu}/registra"),
            valid(&[
                ("user_id", &employee.id.to_string()),
                ("line_id", &line.to_string()),
            ]),
        ),
        (
            "/area-clienti/profilo/contatti".to_owned(),
            valid(&[
                ("email", "nuova%40example.it"),
                ("mobile", "%2B393479876543"),
                ("current_password", "sbagliata"),
            ]),
        ),
        (
            "/area-clienti/profilo/contatti/cellulare".to_owned(),
            valid(&[("code", "123456")]),
        ),
        (
            "/area-clienti/profilo/password".to_owned(),
            valid(&[
                ("current_password", "sbagliata"),
                ("password", "Cavallo-batteria-graffetta-8"),
                ("password_confirm", "Cavallo-batteria-graffetta-8"),
            ]),
        ),
    ];
    forms_refuse_hostile_values(&app, &browser, &csrf, &forms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_queries_and_path_ids_refuse_generated_hostile_values() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let browser = app.logged_in_as(&company.legal_rep).await;
    let csrf = browser.csrf().await;
    let gu = "/area-clienti/gestione-utenze";
    queries_refuse_hostile_values(
        &browser,
        &[
            (gu, &["q", "stato", "pagina"]),
            ("/area-clienti/gestione-utenze/registro", &["pagina"]),
        ],
    );
    let routes: Vec<(Method, String)> = [
        (Method::GET, "utenti/{}/modifica"),
        (Method::POST, "utenti/{}/modifica"),
        (Method::POST, "utenti/{}/registra"),
        (Method::POST, "utenti/{}/reinvia"),
        (Method::POST, "utenti/{}/disabilita"),
        (Method::POST, "utenti/{}/riabilita"),
        (Method::POST, "utenti/{}/azzera-fattori"),
        (Method::POST, "utenti/{}/termina-sessioni"),
        (Method::GET, "linee/{}/aggiorna"),
        (Method::POST, "linee/{}/aggiorna"),
    ]
    .into_iter()
    .map(|(m, p)| (m, format!("{gu}/{p}")))
    .collect();
    let routes: Vec<(Method, &str)> = routes
        .iter()
        .map(|(m, p)| (m.clone(), p.as_str()))
        .collect();
    segments_refuse_hostile_values(&app, &browser, &csrf, &routes);
    assert_eq!(
        browser.get(gu).await.status(),
        StatusCode::OK,
        "the legal representative is still logged in"
    );
}
