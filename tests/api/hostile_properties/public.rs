//! The public forms (login, Recupera Password, reinvio credenziali) and the emailed link's
//! pages, with a real link at its password step, given generated hostile values.

use reqwest::{Method, StatusCode};

use super::{Form, forms_refuse_hostile_values, segments_refuse_hostile_values, valid};
use crate::helpers::{Browser, LR_EMAIL, LR_MOBILE, activation_path, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_forms_and_link_pages_refuse_generated_hostile_values_without_5xx_or_writes() {
    let app = spawn_app().await;
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let link = activation_path(&mail);
    let browser = Browser::new(&app.address);
    browser.post_form(&format!("{link}/codice"), &[]).await;
    let code = app.code_for(LR_EMAIL, Some(LR_MOBILE)).await;
    let at_password = browser.post_form(&link, &[("code", &code)]).await;
    assert_eq!(at_password.status(), StatusCode::SEE_OTHER, "code accepted");
    let csrf = browser.csrf().await;
    let strong = "Cavallo-batteria-graffetta-8";
    let forms: Vec<Form> = vec![
        (
            "/accedi".to_owned(),
            valid(&[("username", LR_EMAIL), ("password", strong)]),
        ),
        (
            "/recupera-password".to_owned(),
            valid(&[("username", LR_EMAIL)]),
        ),
        (
            "/reinvio-credenziali".to_owned(),
            valid(&[("email", LR_EMAIL)]),
        ),
        (
            format!("{link}/password"),
            valid(&[("password", strong), ("password_confirm", strong)]),
        ),
        (link.clone(), valid(&[("code", &code)])),
    ];
    forms_refuse_hostile_values(&app, &browser, &csrf, &forms);
    let routes = [
        (Method::GET, "/attivazione/{}"),
        (Method::POST, "/attivazione/{}"),
        (Method::POST, "/attivazione/{}/codice"),
        (Method::GET, "/attivazione/{}/password"),
        (Method::POST, "/attivazione/{}/password"),
        (Method::GET, "/recupera-password/{}"),
        (Method::POST, "/recupera-password/{}/codice"),
        (Method::POST, "/recupera-password/{}/password"),
    ];
    segments_refuse_hostile_values(&app, &browser, &csrf, &routes);
    // The real link still works: no hostile value consumed or broke it.
    let done = browser
        .post_form(
            &format!("{link}/password"),
            &[("password", strong), ("password_confirm", strong)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "activation completes");
}
