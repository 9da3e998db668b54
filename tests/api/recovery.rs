//! Recupera Password and "chiedi nuovamente l'invio": self-service that never tells whether
//! an account exists, with caps against abuse.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, activation_path, location, spawn_app, texts};
use crate::support::sms_gateway::code_in;
use crate::support::smtp_sink::ReceivedEmail;

const EMAIL: &str = "maria.rossi@example.it";
const MOBILE: &str = "+393331234567";
const PASSWORD: &str = "Tramonto sul lago di Garda 2026";
const NEW_PASSWORD: &str = "Nebbia sulle risaie di Vercelli";
/// The worker has run every queued request.
const NO_JOBS: &str = "SELECT NOT EXISTS (SELECT 1 FROM jobs)";

/// A company whose legal representative is active and logged in on `app.browser`.
/// The activation code was sent moments ago; a real user recovers later than the
/// one-code-a-minute cooldown, so move that code back in time.
/// Without a mobile the profile requires an app: its secret is returned.
async fn active_user(app: &TestApp, mobile: Option<&str>) -> Option<Vec<u8>> {
    let mail = app.onboard(EMAIL, mobile).await;
    let done = app.activate(&app.browser, &mail, mobile, PASSWORD).await;
    let secret = if mobile.is_some() {
        assert_eq!(location(&done), "/area-clienti");
        None
    } else {
        // No mobile for SMS codes: an app is enrolled before anything else.
        assert_eq!(location(&done), "/area-clienti/sicurezza/attiva");
        Some(app.enrol_required_app(&app.browser).await)
    };
    sqlx::query("UPDATE verification_codes SET created_at = created_at - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    secret
}

async fn wait_for_subject(app: &TestApp, to: &str, subject: &str) -> ReceivedEmail {
    app.mail_matching(subject, |m| {
        m.to.iter().any(|t| t == to) && m.subject.contains(subject)
    })
    .await
}

fn recovery_path(mail: &ReceivedEmail) -> String {
    let base = "http://portale.test";
    let start = mail
        .text
        .find(&format!("{base}/recupera-password/"))
        .expect("recovery link")
        + base.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn recovery_by_sms_code_sets_a_new_password_ends_other_sessions_and_tells_the_owner() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    let other = Browser::new(&app.address);

    let asked = other
        .post_form(
            "/recupera-password",
            &[("username", "Maria.Rossi@example.it")],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let mail = wait_for_subject(&app, EMAIL, "recupera").await;
    let link = recovery_path(&mail);
    other.post_form(&format!("{link}/codice"), &[]).await;
    app.run_pending_work().await;
    app.assert_holds("SELECT count(*) = 2 FROM outbox WHERE channel = 'sms' AND state = 'sent'")
        .await;
    let code = code_in(&app.sms_to(MOBILE).await.text);
    assert_eq!(
        location(&other.post_form(&link, &[("code", &code)]).await),
        format!("{link}/password")
    );
    let done = other
        .post_form(
            &format!("{link}/password"),
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;

    assert_eq!(location(&done), "/area-clienti");
    assert_eq!(
        location(&app.browser.get("/area-clienti").await),
        "/accedi",
        "the other session ended"
    );
    wait_for_subject(&app, EMAIL, "password cambiata").await;
    let fresh = Browser::new(&app.address);
    assert_eq!(
        app.log_in(&fresh, EMAIL, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        location(&app.log_in(&fresh, EMAIL, NEW_PASSWORD).await),
        "/area-clienti"
    );
    assert_eq!(
        other.get(&link).await.status(),
        StatusCode::GONE,
        "single use"
    );
    assert_eq!(
        app.new_login_notices_to(EMAIL).await.len(),
        2,
        "`other` and `fresh` are browsers Maria had not used"
    );
}

#[tokio::test]
async fn recovery_without_a_mobile_sends_the_code_by_email() {
    let app = spawn_app().await;
    let secret = active_user(&app, None)
        .await
        .expect("an app without a mobile");

    app.browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    let link = recovery_path(&wait_for_subject(&app, EMAIL, "recupera").await);
    app.browser.post_form(&format!("{link}/codice"), &[]).await;
    app.run_pending_work().await;
    app.assert_holds(
        "SELECT count(*) = 2 FROM outbox WHERE template = 'codice' AND state = 'sent'",
    )
    .await;
    let code = code_in(&wait_for_subject(&app, EMAIL, "codice").await.text);
    app.browser.post_form(&link, &[("code", &code)]).await;
    let done = app
        .browser
        .post_form(
            &format!("{link}/password"),
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;

    // The password changed; the app is still asked before the Area Clienti opens.
    assert_eq!(location(&done), "/accedi/verifica");
    app.advance_clock(time::Duration::seconds(30));
    let now = app.clock().now().unix_timestamp();
    let code = area_clienti::auth::factors::totp::code_at(&secret, now);
    let verified = app
        .browser
        .post_form("/accedi/verifica", &[("code", &code)])
        .await;
    assert_eq!(location(&verified), "/area-clienti");
    app.run_pending_work().await;
    app.assert_holds(
        "SELECT count(*) = 1 FROM outbox WHERE template = 'password_cambiata' AND state = 'sent'",
    )
    .await;
}

#[tokio::test]
async fn a_recovery_link_expires_after_an_hour() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    app.browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    let link = recovery_path(&wait_for_subject(&app, EMAIL, "recupera").await);
    let lifetime: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM credential_tokens WHERE purpose = 'recovery'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!((3590.0..=3610.0).contains(&lifetime), "{lifetime}");

    app.clock()
        .advance(area_clienti::credentials::RECOVERY_LINK_LIFETIME);

    let (status, page) = app.browser.get_html(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("Link scaduto"), "{page}");
}

#[tokio::test]
async fn recovery_for_a_user_still_waiting_sends_a_fresh_username_email() {
    let app = spawn_app().await;
    let first = app.onboard(EMAIL, Some(MOBILE)).await;

    app.browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;

    let fresh = app
        .mail_matching("the expected e-mail", |m| {
            m.to[0] == EMAIL
                && m.text.contains("/attivazione/")
                && activation_path(m) != activation_path(&first)
        })
        .await;
    assert_eq!(
        app.browser.get(&activation_path(&first)).await.status(),
        StatusCode::GONE,
        "older link dead"
    );
    assert_eq!(
        app.browser.get(&activation_path(&fresh)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn recovery_for_unknown_or_disabled_accounts_sends_nothing() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    sqlx::query("UPDATE users SET state = 'disabilitato'")
        .execute(&app.pool)
        .await
        .unwrap();
    let before = app.smtp.count().await;
    let queued = app.count("SELECT count(*) FROM outbox").await;

    for who in ["nessuno@example.it", EMAIL] {
        let response = app
            .browser
            .post_form("/recupera-password", &[("username", who)])
            .await;
        assert_eq!(location(&response), "/recupera-password?richiesta=inviata");
    }
    app.run_pending_work().await;
    app.assert_holds(NO_JOBS).await;

    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        queued,
        "nothing queued"
    );
    assert_eq!(app.smtp.count().await, before);
}

/// Status, redirect and the page behind it, with nothing of the person in it.
async fn answer(
    browser: &Browser,
    path: &str,
    field: &str,
    value: &str,
) -> (StatusCode, String, String) {
    let response = browser.post_form(path, &[(field, value)]).await;
    let status = response.status();
    let target = location(&response);
    let (_, page) = browser.get_html(&target).await;
    (status, target, texts(&page, "main").join(" "))
}

#[tokio::test]
async fn known_and_unknown_identifiers_get_identical_answers() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    let browser = Browser::new(&app.address);

    for (path, field) in [
        ("/recupera-password", "username"),
        ("/reinvio-credenziali", "email"),
    ] {
        let known = answer(&browser, path, field, EMAIL).await;
        let unknown = answer(&browser, path, field, "nessuno@example.it").await;
        assert_eq!(known, unknown, "{path}");
        assert!(!known.2.contains(EMAIL), "no per-user data in the page");
    }
}

/// The answer promises nothing the cap may break: it says how often a message goes out,
/// and is the same for a request that the cap (one a minute per account) drops.
#[tokio::test]
async fn the_answer_says_how_often_a_message_is_sent_and_is_the_same_over_the_cap() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    app.run_pending_work().await;
    let browser = Browser::new(&app.address);
    let to_the_user = format!("SELECT count(*) FROM outbox WHERE recipient = '{EMAIL}'");
    let before = app.count(&to_the_user).await;
    let cap = "inviamo al massimo un messaggio al minuto e 5 in un'ora: se l'hai appena \
               richiesto, controlla la posta";

    for (path, field) in [
        ("/recupera-password", "username"),
        ("/reinvio-credenziali", "email"),
    ] {
        let first = answer(&browser, path, field, EMAIL).await;
        app.run_pending_work().await;
        let over_the_cap = answer(&browser, path, field, EMAIL).await;
        app.run_pending_work().await;
        let unknown = answer(&browser, path, field, "nessuno@example.it").await;

        assert_eq!(first, over_the_cap, "{path}");
        assert_eq!(first, unknown, "{path}");
        let text = &first.2;
        assert!(text.contains("entro pochi minuti"), "{path}: {text}");
        assert!(text.contains(cap), "{path}: {text}");
        assert!(!text.contains("a breve"), "{path}: {text}");
    }
    // Four requests within the minute for the one account: one e-mail.
    assert_eq!(app.count(&to_the_user).await, before + 1);
}

#[tokio::test]
async fn known_and_unknown_identifiers_cost_the_request_the_same_work() {
    // No timing here (a functional test must not measure time): the request itself does
    // the same work for any identifier (a rate-limit check and one job row); the lookup,
    // which differs, happens later in the worker, where no answer waits for it.
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    app.run_pending_work().await;
    let queued_before = app.count("SELECT count(*) FROM outbox").await;

    for who in [EMAIL, "nessuno@example.it"] {
        let response = app
            .browser
            .post_form("/recupera-password", &[("username", who)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{who}");
    }

    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        queued_before,
        "nothing account-specific is written while the visitor waits"
    );
    app.run_pending_work().await;
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 0);
}

#[tokio::test]
async fn recovery_emails_are_capped_per_account_and_the_cap_resets_after_its_window() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    let sent = || app.count("SELECT count(*) FROM outbox WHERE template = 'recupero'");

    app.browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    app.run_pending_work().await;
    app.assert_holds("SELECT count(*) = 1 FROM outbox WHERE template = 'recupero'")
        .await;
    let again = app
        .browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    assert_eq!(
        location(&again),
        "/recupera-password?richiesta=inviata",
        "same answer over the cap"
    );
    app.run_pending_work().await;
    app.assert_holds(NO_JOBS).await;
    assert_eq!(sent().await, 1, "one a minute");

    sqlx::query("UPDATE rate_limit_events SET created_at = created_at - interval '61 seconds'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    app.run_pending_work().await;
    app.assert_holds("SELECT count(*) = 2 FROM outbox WHERE template = 'recupero'")
        .await;

    for _ in 0..4 {
        sqlx::query("UPDATE rate_limit_events SET created_at = created_at - interval '61 seconds'")
            .execute(&app.pool)
            .await
            .unwrap();
        app.browser
            .post_form("/recupera-password", &[("username", EMAIL)])
            .await;
        app.run_pending_work().await;
        app.assert_holds(NO_JOBS).await;
    }
    assert_eq!(sent().await, 5, "five an hour");

    sqlx::query("UPDATE rate_limit_events SET created_at = created_at - interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    app.run_pending_work().await;
    app.assert_holds("SELECT count(*) = 6 FROM outbox WHERE template = 'recupero'")
        .await;
}

#[tokio::test]
async fn the_company_daily_cap_on_codes_holds() {
    let app = spawn_app().await;
    let mail = app.onboard(EMAIL, Some(MOBILE)).await;
    sqlx::query(
        // Sent earlier today: only the company cap, not the per-user cooldown, applies.
        "INSERT INTO verification_codes (id, company_id, user_id, token_id, code_sha256, expires_at, superseded_at, created_at)
         SELECT gen_random_uuid(), t.company_id, t.user_id, t.id, '\\x00', now(), now(), now() - interval '2 hours'
         FROM credential_tokens t, generate_series(1, 1000)",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let response = app
        .browser
        .post_form(&format!("{}/codice", activation_path(&mail)), &[])
        .await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.text().await.unwrap().contains("numero massimo"));
    assert_eq!(app.sms.sent().await.len(), 0);
}

#[tokio::test]
async fn resend_gives_a_waiting_user_a_fresh_username_email_and_kills_the_old_link() {
    let app = spawn_app().await;
    let first = app.onboard(EMAIL, Some(MOBILE)).await;

    let response = app
        .browser
        .post_form(
            "/reinvio-credenziali",
            &[("email", "MARIA.ROSSI@example.it")],
        )
        .await;

    assert_eq!(
        location(&response),
        "/reinvio-credenziali?richiesta=inviata"
    );
    let fresh = app
        .mail_matching("the expected e-mail", |m| {
            m.to[0] == EMAIL && activation_path(m) != activation_path(&first)
        })
        .await;
    assert_eq!(
        app.browser.get(&activation_path(&first)).await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.browser.get(&activation_path(&fresh)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn resend_reminds_an_active_user_of_the_username_with_a_recovery_link() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;

    app.browser
        .post_form("/reinvio-credenziali", &[("email", EMAIL)])
        .await;

    let mail = app
        .mail_matching("the expected e-mail", |m| {
            m.to[0] == EMAIL && m.text.contains("/recupera-password/")
        })
        .await;
    assert!(
        mail.text.contains(EMAIL) && mail.text.contains("/recupera-password/"),
        "{}",
        mail.text
    );
    assert_eq!(
        app.browser.get(&recovery_path(&mail)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_resend_page_tells_employees_their_legal_representative_can_resend() {
    let app = spawn_app().await;
    let (status, page) = app.browser.get_html("/reinvio-credenziali").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Rappresentante Legale"));
    let empty = app
        .browser
        .post_form("/reinvio-credenziali", &[("email", "  ")])
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(texts(&empty.text().await.unwrap(), "#email-error")[0].contains("Inserisci"));
}

#[tokio::test]
async fn a_recovery_request_is_a_job_in_the_database_when_answered_and_the_worker_does_it() {
    let app = spawn_app().await;
    active_user(&app, Some(MOBILE)).await;
    // Hold the account's rate-limit lock, which the job takes first: the worker waits on
    // it, so the job is still there when we look.
    let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut holder = app.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("credenziali:utente:{user_id}"))
        .execute(&mut *holder)
        .await
        .unwrap();

    let answer = app
        .browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    // Written in the request's own transaction: it exists once answered.
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE kind = 'recupero'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE template = 'recupero'")
            .await,
        0
    );
    holder.rollback().await.unwrap();

    let mail = wait_for_subject(&app, EMAIL, "recupera").await;
    assert!(recovery_path(&mail).starts_with("/recupera-password/"));
    app.run_pending_work().await;
    app.assert_holds(NO_JOBS).await;
}

#[tokio::test]
async fn the_per_client_limit_is_checked_in_the_request_and_writes_no_job_beyond_it() {
    let app = spawn_app().await;
    for i in 0..10 {
        let who = format!("nessuno{i}@example.it");
        app.browser
            .post_form("/recupera-password", &[("username", &who)])
            .await;
    }
    app.run_pending_work().await;
    app.assert_holds(NO_JOBS).await;
    let limited = app
        .count("SELECT count(*) FROM rate_limit_events WHERE key LIKE 'recupero:client:%'")
        .await;
    assert_eq!(limited, 10);

    let eleventh = app
        .browser
        .post_form("/recupera-password", &[("username", EMAIL)])
        .await;

    assert_eq!(location(&eleventh), "/recupera-password?richiesta=inviata");
    assert_eq!(
        app.count("SELECT count(*) FROM jobs").await,
        0,
        "no job written"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM rate_limit_events WHERE key LIKE 'recupero:client:%'")
            .await,
        10
    );
}

#[tokio::test]
async fn a_control_character_in_the_identifier_is_refused_with_an_italian_message_and_nothing_queued()
 {
    let app = spawn_app().await;
    for (path, field) in [
        ("/recupera-password", "username"),
        ("/reinvio-credenziali", "email"),
    ] {
        let response = app
            .browser
            .post_form(path, &[(field, "maria\0.rossi@example.it")])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("caratteri non ammessi"), "{page}");
        assert!(
            page.contains("maria.rossi@example.it"),
            "typed value kept: {page}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM rate_limit_events").await, 0);
}
