//! Issue 12, passkeys: the rules around the WebAuthn ceremonies (the ceremonies themselves
//! run in a real browser with a virtual authenticator: tests/browser/passkeys.rs). The
//! JSON endpoints need the session's CSRF token, adding a passkey needs the password
//! first, a forged answer is refused and changes nothing, and on an IP-address host
//! passkeys are not offered at all.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, PASSWORD, TestApp, hidden_input, spawn_app, spawn_app_with};
use crate::seeds::{COMPANY_A, SeededUser};

const SECURITY: &str = "/area-clienti/sicurezza";

/// A JSON POST as `static/js/passkey.js` sends it; `csrf: None` leaves the header out.
async fn post_json(
    browser: &Browser,
    path: &str,
    body: Value,
    csrf: Option<&str>,
) -> reqwest::Response {
    let mut request = browser
        .client
        .post(format!("{}{path}", browser.address))
        .json(&body);
    if let Some(token) = csrf {
        request = request.header("X-CSRF-Token", token);
    }
    request.send().await.unwrap()
}

/// An Amministratore Light of company A: not in `MFA_REQUIRED_FOR`, in on the password.
async fn light_admin(app: &TestApp) -> SeededUser {
    let company = app.seed_company(&COMPANY_A).await;
    let email = "anna.neri@example.it";
    app.seed_user(
        company.company_id,
        email,
        None,
        "amministratore_light",
        "attivo",
    )
    .await
}

async fn passkeys_stored(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM passkeys")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// An answer shaped like a browser's but signed by nobody.
fn forged_assertion() -> Value {
    json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": {"authenticatorData": "AAAA", "clientDataJSON": "e30", "signature": "AAAA",
                     "userHandle": "AAAAAAAAAAAAAAAAAAAAAA"}
    })
}

#[tokio::test]
async fn a_login_ceremony_needs_the_csrf_token_and_asks_for_user_verification_on_the_site() {
    let app = spawn_app().await;
    let browser = Browser::new(&app.address);
    let (_, login) = browser.get_html("/accedi").await;
    assert!(login.contains("Accedi con una passkey"));
    let csrf = browser.csrf().await;

    let without = post_json(&browser, "/accedi/passkey/opzioni", json!({}), None).await;
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let options = post_json(&browser, "/accedi/passkey/opzioni", json!({}), Some(&csrf)).await;
    assert_eq!(options.status(), StatusCode::OK);
    let options: Value = options.json().await.unwrap();
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rpId"], "portale.test", "{options}");
    assert_eq!(public_key["userVerification"], "required");
    assert!(
        public_key["challenge"]
            .as_str()
            .is_some_and(|c| c.len() >= 43)
    );
    assert!(options.get("mediation").is_none(), "a button, not autofill");

    let forged = post_json(
        &browser,
        "/accedi/passkey/conferma",
        forged_assertion(),
        Some(&csrf),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let refused: Value = forged.json().await.unwrap();
    assert!(refused["error"].as_str().unwrap().contains("passkey"));
    // The ceremony is used up by the attempt, and nobody is logged in.
    let replay = post_json(
        &browser,
        "/accedi/passkey/conferma",
        forged_assertion(),
        Some(&csrf),
    )
    .await;
    assert_eq!(replay.status(), StatusCode::CONFLICT);
    let home = browser.get("/area-clienti").await;
    assert_eq!(home.headers()["location"], "/accedi");
}

#[tokio::test]
async fn adding_a_passkey_needs_the_password_first_and_a_forged_answer_stores_nothing() {
    let app = spawn_app().await;
    let user = light_admin(&app).await;
    let browser = app.logged_in_as(&user).await;
    let (_, page) = browser.get_html(SECURITY).await;
    assert!(page.contains("Aggiungi una passkey"));
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let options_path = format!("{SECURITY}/passkey/opzioni");

    let early = post_json(&browser, &options_path, json!({}), Some(&csrf)).await;
    assert_eq!(
        early.status(),
        StatusCode::FORBIDDEN,
        "no password typed yet"
    );
    let wrong = browser
        .post_form(&format!("{SECURITY}/passkey"), &[("password", "non è lei")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let right = browser
        .post_form(&format!("{SECURITY}/passkey"), &[("password", PASSWORD)])
        .await;
    assert_eq!(right.headers()["location"], format!("{SECURITY}/passkey"));
    let (status, enrol_page) = browser.get_html(&format!("{SECURITY}/passkey")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(enrol_page.contains("Crea la passkey"));

    let options = post_json(&browser, &options_path, json!({}), Some(&csrf)).await;
    assert_eq!(options.status(), StatusCode::OK);
    let options: Value = options.json().await.unwrap();
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{options}");
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(options["publicKey"]["user"]["name"], user.username);

    let forged = json!({
        "name": "Falsa",
        "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
                       "response": {"attestationObject": "AAAA", "clientDataJSON": "e30"}}
    });
    let confirm_path = format!("{SECURITY}/passkey/conferma");
    let refused = post_json(&browser, &confirm_path, forged.clone(), Some(&csrf)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(passkeys_stored(&app).await, 0);
    let again = post_json(&browser, &confirm_path, forged, Some(&csrf)).await;
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "the ceremony was used up"
    );

    let unknown = browser
        .post_form(
            &format!("{SECURITY}/passkey/rimuovi"),
            &[
                ("passkey", &uuid::Uuid::new_v4().to_string()),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn on_an_ip_address_host_passkeys_are_not_offered_and_the_page_says_why() {
    let app = spawn_app_with(|s| s.public_base_url = "http://192.0.2.10:8080".into()).await;
    let user = light_admin(&app).await;
    let anonymous = Browser::new(&app.address);
    let (_, login) = anonymous.get_html("/accedi").await;
    assert!(!login.contains("Accedi con una passkey"));
    let csrf = anonymous.csrf().await;
    let options = post_json(
        &anonymous,
        "/accedi/passkey/opzioni",
        json!({}),
        Some(&csrf),
    )
    .await;
    assert_eq!(options.status(), StatusCode::NOT_FOUND);

    let browser = app.logged_in_as(&user).await;
    let (_, page) = browser.get_html(SECURITY).await;
    assert!(!page.contains("Aggiungi una passkey"));
    assert!(page.contains("non su un indirizzo IP"), "says why");
}
