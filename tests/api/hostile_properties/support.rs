//! The Servizio Clienti console (login, search, company sheet, resend with a reason), given
//! generated hostile values by a logged-in operator.

use reqwest::{Method, StatusCode};

use super::{
    Form, forms_refuse_hostile_values, queries_refuse_hostile_values,
    segments_refuse_hostile_values, valid,
};
use crate::helpers::spawn_app;
use crate::hostile_input::{staff_browser, staff_csrf};
use crate::seeds::COMPANY_A;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_console_refuses_generated_hostile_values_without_5xx_or_writes() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let staff = staff_browser(&app).await;
    let csrf = staff_csrf(&staff).await;
    let forms: Vec<Form> = vec![
        (
            "/assistenza/accedi".to_owned(),
            valid(&[("username", "operatore.luca"), ("password", "x")]),
        ),
        (
            format!("/assistenza/utenti/{}/reinvia", company.legal_rep.id),
            valid(&[("reason", "ticket+42%0D%0Arichiamato")]),
        ),
        (
            format!("/assistenza/utenti/{}/azzera-fattori", company.legal_rep.id),
            valid(&[("motivo", "telefono+perso%0D%0Aticket+42")]),
        ),
    ];
    forms_refuse_hostile_values(&app, &staff, &csrf, &forms);
    queries_refuse_hostile_values(&staff, &[("/assistenza", &["q", "pagina"])]);
    let routes = [
        (Method::GET, "/assistenza/aziende/{}"),
        (Method::POST, "/assistenza/utenti/{}/reinvia"),
        (Method::POST, "/assistenza/utenti/{}/azzera-fattori"),
    ];
    segments_refuse_hostile_values(&app, &staff, &csrf, &routes);
    let sheet = format!("/assistenza/aziende/{}", company.company_id);
    assert_eq!(
        staff.get(&sheet).await.status(),
        StatusCode::OK,
        "the operator is still logged in"
    );
}
