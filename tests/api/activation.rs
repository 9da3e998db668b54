//! The legal representative's activation: link → code → password → logged in.

use reqwest::StatusCode;

use crate::helpers::{Browser, activation_path, hidden_input, is_to, location, spawn_app, texts};

const MOBILE: &str = "+393331234567";
const EMAIL: &str = "maria.rossi@example.it";
const PASSWORD: &str = "Tramonto sul lago di Garda 2026";

#[tokio::test]
async fn legal_representative_activates_with_the_sms_code_and_is_logged_in() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);

    let (status, page) = app.browser.get_html(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(EMAIL), "the page shows the username");
    assert!(
        page.contains("+39 333 ••• 4567"),
        "the page shows where the code goes"
    );
    assert!(page.contains("Invia il codice di verifica"));

    let sent = app.browser.post_form(&format!("{link}/codice"), &[]).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let sms = app.sms_to(MOBILE).await;
    assert!(!sms.text.contains("http"), "no link in the SMS");
    let (_, page) = app.browser.get_html(&link).await;
    assert!(
        page.contains(r#"autocomplete="one-time-code""#),
        "code form shown while a code is pending"
    );

    let code = crate::support::sms_gateway::code_in(&sms.text);
    let checked = app.browser.post_form(&link, &[("code", &code)]).await;
    assert_eq!(checked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&checked), format!("{link}/password"));

    let done = app
        .browser
        .post_form(
            &format!("{link}/password"),
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/area-clienti");
    let (status, home) = app.browser.get_html("/area-clienti").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Rossi Impianti S.r.l."));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE state = 'attivo' AND password_hash LIKE '$argon2id$%'"
        )
        .await,
        1
    );

    let (status, _) = app.browser.get_html(&link).await;
    assert_eq!(status, StatusCode::GONE, "the link is consumed");

    let fresh = Browser::new(&app.address);
    assert_eq!(
        location(&app.log_in(&fresh, "MARIA.ROSSI@example.it", PASSWORD).await),
        "/area-clienti",
        "username is case-insensitive"
    );
    let notices = app.new_login_notices_to(EMAIL).await;
    assert_eq!(
        notices.len(),
        1,
        "the activation's browser was the first; this one is new"
    );
}

#[tokio::test]
async fn without_a_mobile_the_code_arrives_by_a_second_email() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, None).await;
    let link = activation_path(&mail);
    let (_, page) = app.browser.get_html(&link).await;
    assert!(page.contains("via e-mail"));

    let done = app.activate(&app.browser, &mail, None, PASSWORD).await;

    // No mobile for SMS codes: the legal representative enrols an app before anything else.
    assert_eq!(location(&done), "/area-clienti/sicurezza/attiva");
    assert_eq!(app.sms.sent().await.len(), 0, "no SMS without a mobile");
    assert_eq!(
        app.smtp.count_to(EMAIL).await,
        2,
        "username email, then code email"
    );
}

#[tokio::test]
async fn opening_the_link_changes_nothing() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);

    for _ in 0..3 {
        assert_eq!(app.browser.get(&link).await.status(), StatusCode::OK);
        assert_eq!(
            app.browser.get(&format!("{link}/password")).await.status(),
            StatusCode::SEE_OTHER
        );
    }

    assert_eq!(
        app.count("SELECT count(*) FROM verification_codes").await,
        0,
        "no code sent by a GET"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM credential_tokens WHERE used_at IS NULL AND superseded_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE state = 'in_attesa'")
            .await,
        1
    );
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code_and_a_new_one_is_needed() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    app.browser.post_form(&format!("{link}/codice"), &[]).await;
    let code = app.code_for(EMAIL, Some(MOBILE)).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    for remaining in (1..=4).rev() {
        let response = app.browser.post_form(&link, &[("code", wrong)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(
            texts(&html, ".field-error")[0].contains(&remaining.to_string()),
            "remaining tries shown"
        );
    }
    let fifth = app.browser.post_form(&link, &[("code", wrong)]).await;
    assert!(fifth.text().await.unwrap().contains("troppe volte"));
    let right_too_late = app.browser.post_form(&link, &[("code", &code)]).await;

    assert_eq!(
        right_too_late.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the right code no longer works"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM credential_tokens WHERE code_verified_at IS NOT NULL")
            .await,
        0
    );
    app.advance_clock(time::Duration::minutes(1));
    app.browser.post_form(&format!("{link}/codice"), &[]).await;
    let new_code = app.code_for(EMAIL, Some(MOBILE)).await;
    let checked = app.browser.post_form(&link, &[("code", &new_code)]).await;
    assert_eq!(
        location(&checked),
        format!("{link}/password"),
        "a new code works"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    app.browser.post_form(&format!("{link}/codice"), &[]).await;
    let code = app.code_for(EMAIL, Some(MOBILE)).await;
    app.clock()
        .advance(area_clienti::credentials::CODE_LIFETIME);

    let response = app.browser.post_form(&link, &[("code", &code)]).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("scaduto"));
}

#[tokio::test]
async fn a_second_code_within_a_minute_is_refused() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    app.browser.post_form(&format!("{link}/codice"), &[]).await;

    let again = app.browser.post_form(&format!("{link}/codice"), &[]).await;

    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(again.text().await.unwrap().contains("attendi un minuto"));
    assert_eq!(
        app.count("SELECT count(*) FROM verification_codes").await,
        1
    );
    app.run_pending_work().await;
    assert_eq!(app.sms.count_to(MOBILE).await, 1, "one SMS sent");
}

#[tokio::test]
async fn a_used_link_is_gone() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    app.activate(&app.browser, &mail, Some(MOBILE), PASSWORD)
        .await;

    let (status, page) = Browser::new(&app.address)
        .get_html(&activation_path(&mail))
        .await;

    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Link già usato"));
}

#[tokio::test]
async fn a_link_from_an_older_email_is_dead_once_a_newer_one_is_sent() {
    let app = spawn_app().await;
    let old = app.onboard(EMAIL, Some(MOBILE)).await;
    let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    resend_username_email(&app, user_id).await;
    let newer = app
        .mail_matching("a newer username email", |m| {
            is_to(m, EMAIL) && activation_path(m) != activation_path(&old)
        })
        .await;

    let (status, page) = app.browser.get_html(&activation_path(&old)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("e-mail più recente"));
    assert_eq!(
        app.browser.get(&activation_path(&newer)).await.status(),
        StatusCode::OK
    );
}

/// Sends a fresh username email the way every resend path of the portal does.
async fn resend_username_email(app: &crate::helpers::TestApp, user_id: uuid::Uuid) {
    let mut tx = app.pool.begin().await.unwrap();
    let user = area_clienti::db::users::find(&mut tx, user_id)
        .await
        .unwrap()
        .unwrap();
    area_clienti::credentials::send_username_email(
        &mut tx,
        &app.config,
        app.clock().now(),
        &user,
        &area_clienti::actor::Actor::system(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_expired_link_says_so() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    // Opened just before the end of its lifetime it still works; at the end it is dead.
    app.clock()
        .advance(area_clienti::credentials::ACTIVATION_LINK_LIFETIME - time::Duration::minutes(1));
    let (status, _) = app.browser.get_html(&activation_path(&mail)).await;
    assert_eq!(status, StatusCode::OK);
    app.clock().advance(time::Duration::minutes(1));

    let (status, page) = app.browser.get_html(&activation_path(&mail)).await;

    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Link scaduto"));
}

#[tokio::test]
async fn an_unknown_link_is_not_found() {
    let app = spawn_app().await;
    let (status, page) = app
        .browser
        .get_html("/attivazione/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Link non valido"));
    assert_eq!(
        app.browser.get("/attivazione/%3Cscript%3E").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_weak_password_is_refused_with_an_italian_message() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;

    let response = app
        .activate(&app.browser, &mail, Some(MOBILE), "password1234")
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        texts(&html, ".field-error")[0].contains("facile da indovinare"),
        "{html}"
    );
    assert!(
        hidden_input(&html, "password").is_none(),
        "the password is never sent back"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE state = 'attivo'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_password_containing_the_username_or_too_short_is_refused() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    let too_short = app
        .activate(&app.browser, &mail, Some(MOBILE), "corta")
        .await;

    assert_eq!(too_short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_short
            .text()
            .await
            .unwrap()
            .contains("almeno 12 caratteri")
    );
    let with_name = app
        .browser
        .post_form(
            &format!("{link}/password"),
            &[
                ("password", "maria.rossi e il lago 77"),
                ("password_confirm", "maria.rossi e il lago 77"),
            ],
        )
        .await;

    assert_eq!(with_name.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        with_name
            .text()
            .await
            .unwrap()
            .contains("username o il tuo nome")
    );
}

#[tokio::test]
async fn a_mismatched_confirmation_is_refused() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    app.activate(&app.browser, &mail, Some(MOBILE), "corta")
        .await;

    let response = app
        .browser
        .post_form(
            &format!("{link}/password"),
            &[
                ("password", PASSWORD),
                ("password_confirm", "Tramonto sul lago di Como 2026"),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(texts(&html, "#password_confirm-error")[0].contains("non coincidono"));
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE state = 'attivo'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_post_without_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    let link = activation_path(&mail);
    app.browser.get(&link).await;

    let response = app.browser.post_raw(&format!("{link}/codice"), &[]).await;
    let forged = app
        .browser
        .post_raw(&format!("{link}/codice"), &[("csrf_token", "forged")])
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM verification_codes").await,
        0
    );
}

#[tokio::test]
async fn token_pages_are_not_cached_and_send_no_referrer() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;

    let response = app.browser.get(&activation_path(&mail)).await;

    let headers = response.headers();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
}
