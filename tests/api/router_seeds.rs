//! Replays the router fuzz target's seeds (`fuzz/seeds/router/*`) against a spawned app,
//! split into requests by the same `area_clienti::fuzzing::split` the target uses, with the
//! same check: no answer is a 5xx. See FUZZING.md.

use std::path::Path;

use area_clienti::fuzzing::{self, Caller, Session, World};
use reqwest::StatusCode;

use crate::helpers::{
    API_TOKEN, Browser, LINES_A, LR_B_EMAIL, TestApp, VAT_B, activation_path, contract_body,
    spawn_app,
};
use crate::hostile_input::{staff_browser, staff_csrf};
use crate::seeds::COMPANY_A;

fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/router");
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("seed entry").path())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("read seed"))
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 10, "router seeds in {}", dir.display());
    seeds
}

/// The browsers of the world the seeds run in, and what the split needs to know of it.
struct Callers {
    anonymous: Browser,
    customer: Browser,
    staff: Browser,
    world: World,
}

/// A company with an employee (the `{user}` of the seeds), an operator, and a second
/// company's real activation link (the `{token}`).
async fn callers(app: &TestApp) -> Callers {
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
    let body = contract_body("CTR-B", VAT_B, LR_B_EMAIL, None, &["+393409990001"]);
    assert_eq!(app.post_contract(&body).await.status(), StatusCode::CREATED);
    let link = activation_path(&app.username_email(LR_B_EMAIL).await);
    let customer = app.logged_in_as(&company.legal_rep).await;
    let staff = staff_browser(app).await;
    let anonymous = Browser::new(&app.address);
    let world = World {
        user_id: employee.id.to_string(),
        line_id: app.line_id(LINES_A[0]).await.to_string(),
        company_id: company.company_id.to_string(),
        link_token: link.trim_start_matches("/attivazione/").to_owned(),
        anonymous: Session {
            cookie: None,
            csrf: anonymous.csrf().await,
        },
        customer: Session {
            cookie: None,
            csrf: customer.csrf().await,
        },
        staff: Session {
            cookie: None,
            csrf: staff_csrf(&staff).await,
        },
        api_token: API_TOKEN.to_owned(),
    };
    Callers {
        anonymous,
        customer,
        staff,
        world,
    }
}

#[tokio::test]
async fn every_router_fuzz_seed_answers_below_500() {
    let app = spawn_app().await;
    let callers = callers(&app).await;
    let mut failed = Vec::new();
    for (name, data) in seeds() {
        let input = fuzzing::split(&data);
        let browser = match input.route.caller {
            Caller::Anonymous => &callers.anonymous,
            Caller::Customer => &callers.customer,
            Caller::Staff => &callers.staff,
            Caller::Api => &app.browser,
        };
        let Some(request) = input.to_http(&callers.world, &app.address) else {
            failed.push(format!("{name}: no request could be built"));
            continue;
        };
        let request = reqwest::Request::try_from(request).expect("a reqwest request");
        let status = browser.client.execute(request).await.unwrap().status();
        if status.is_server_error() {
            failed.push(format!("{name} ({}): {status}", input.route.key));
        }
    }
    app.leaves_messages_queued();
    assert!(failed.is_empty(), "seeds answered 5xx: {failed:#?}");
}
