//! `area-clienti demo` and the dev mailbox: a newcomer walks the journey in a browser.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PUBLIC_BASE_URL, location, spawn_app_with};

#[tokio::test]
async fn the_demo_is_idempotent_and_its_whole_journey_works_through_the_dev_mailbox() {
    let app = spawn_app_with(|s| {
        s.smtp_url = None;
        s.sms_gateway_url = None;
        s.dev_mailbox = true;
    })
    .await;
    area_clienti::demo::load(&app.pool, &app.config, app.clock())
        .await
        .unwrap();
    area_clienti::demo::load(&app.pool, &app.config, app.clock())
        .await
        .unwrap();
    assert_eq!(app.count("SELECT count(*) FROM mobile_lines").await, 25);

    app.run_pending_work().await;
    app.assert_holds("SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'sent')")
        .await;
    let (status, page) = app.browser.get_html("/dev/posta").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(area_clienti::demo::DEMO_USERNAME));
    let mails: Vec<Value> = app
        .browser
        .get("/dev/posta.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        mails.len(),
        1,
        "one username email, however many times the demo loads"
    );
    let text = mails[0]["body_text"].as_str().unwrap();
    let start = text.find(PUBLIC_BASE_URL).unwrap() + PUBLIC_BASE_URL.len();
    let link = text[start..].split_whitespace().next().unwrap().to_owned();

    app.browser.post_form(&format!("{link}/codice"), &[]).await;
    app.run_pending_work().await;
    app.assert_holds("SELECT count(*) = 2 FROM outbox WHERE state = 'sent'")
        .await;
    let mails: Vec<Value> = app
        .browser
        .get("/dev/posta.json")
        .await
        .json()
        .await
        .unwrap();
    let sms = mails
        .iter()
        .find(|m| m["channel"] == "sms")
        .expect("the SMS is in the dev mailbox");
    let code = crate::support::sms_gateway::code_in(sms["body_text"].as_str().unwrap());
    app.browser.post_form(&link, &[("code", &code)]).await;
    let password = "Una passeggiata tra gli ulivi";
    let done = app
        .browser
        .post_form(
            &format!("{link}/password"),
            &[("password", password), ("password_confirm", password)],
        )
        .await;

    assert_eq!(location(&done), "/area-clienti");
    let (status, home) = app.browser.get_html("/area-clienti").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Rossi Impianti S.r.l."));
}
