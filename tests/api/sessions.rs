//! Sessions on Sicurezza (issue 12, CONTRACT.md §4b): each browser's session listed with
//! "questa sessione" on the right one, ended one by one or all but this one, by the legal
//! representative from Gestione Utenze, the last accesses from the audit, and "Nuovo
//! accesso al tuo account" for a browser the user never logged in from.

use reqwest::StatusCode;
use scraper::{Html, Selector};
use uuid::Uuid;

use crate::helpers::{
    Browser, GU, LR_EMAIL, LR_MOBILE, PASSWORD, PUBLIC_BASE_URL, TestApp, location, spawn_app,
    texts,
};
use crate::seeds::{COMPANY_A, COMPANY_B, SeededUser};
use crate::support::sms_gateway::code_in;

const SECURITY: &str = "/area-clienti/sicurezza";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// One row of "Sessioni attive".
#[derive(Debug)]
struct Listed {
    id: String,
    current: bool,
    text: String,
}

fn sessions_on(html: &str) -> Vec<Listed> {
    let doc = Html::parse_document(html);
    let rows = Selector::parse("tr[data-session]").unwrap();
    doc.select(&rows)
        .map(|tr| Listed {
            id: tr.value().attr("data-session").unwrap().to_owned(),
            current: tr.value().attr("data-current").is_some(),
            text: tr.text().collect::<Vec<_>>().join(" "),
        })
        .collect()
}

async fn sessions_seen_by(browser: &Browser) -> Vec<Listed> {
    let (status, html) = browser.get_html(SECURITY).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    sessions_on(&html)
}

async fn logged_in(app: &TestApp, user: &SeededUser, user_agent: &str) -> Browser {
    let browser = Browser::with_user_agent(&app.address, user_agent);
    let done = app.log_in(&browser, &user.username, user.password).await;
    assert_eq!(
        location(&done),
        "/area-clienti",
        "{} logs in",
        user.username
    );
    browser
}

#[tokio::test]
async fn the_list_shows_each_browser_with_questa_sessione_on_its_own() {
    let app = spawn_app().await;
    let luca = app.seed_employee().await;
    let firefox = logged_in(&app, &luca, FIREFOX_LINUX).await;
    let chrome = logged_in(&app, &luca, CHROME_WINDOWS).await;

    for (browser, mine, other) in [
        (&firefox, "Firefox su Linux", "Chrome su Windows"),
        (&chrome, "Chrome su Windows", "Firefox su Linux"),
    ] {
        let listed = sessions_seen_by(browser).await;
        assert_eq!(listed.len(), 2, "{listed:#?}");
        let current: Vec<_> = listed.iter().filter(|s| s.current).collect();
        assert_eq!(current.len(), 1, "{listed:#?}");
        assert!(current[0].text.contains(mine), "{listed:#?}");
        assert!(current[0].text.contains("questa sessione"), "{listed:#?}");
        let others: Vec<_> = listed.iter().filter(|s| !s.current).collect();
        assert!(others[0].text.contains(other), "{listed:#?}");
        assert!(others[0].text.contains("127.0.0.1"), "{listed:#?}");
        assert!(!others[0].text.contains("questa sessione"), "{listed:#?}");
    }
    // Chrome was a browser Luca had not used: the notice is the subject of its own test.
    assert_eq!(app.new_login_notices_to(&luca.email).await.len(), 1);
}

#[tokio::test]
async fn a_session_ended_from_another_browser_is_logged_out_at_its_next_request() {
    let app = spawn_app().await;
    let luca = app.seed_employee().await;
    let firefox = logged_in(&app, &luca, FIREFOX_LINUX).await;
    let chrome = logged_in(&app, &luca, CHROME_WINDOWS).await;
    let other = sessions_seen_by(&firefox)
        .await
        .into_iter()
        .find(|s| !s.current)
        .unwrap();

    let ended = firefox
        .post_form(&format!("{SECURITY}/sessioni/{}/termina", other.id), &[])
        .await;

    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ended), SECURITY);
    let (_, page) = firefox.get_html(SECURITY).await;
    assert!(
        texts(&page, "[role=status]")
            .join(" ")
            .contains("Sessione terminata"),
        "{page}"
    );
    assert_eq!(sessions_on(&page).len(), 1, "only this session is left");
    assert_eq!(location(&chrome.get("/area-clienti").await), "/accedi");
    assert_eq!(firefox.get("/area-clienti").await.status(), StatusCode::OK);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'sessione_terminata'")
            .await,
        1
    );
    let again = firefox
        .post_form(&format!("{SECURITY}/sessioni/{}/termina", other.id), &[])
        .await;
    assert_eq!(location(&again), SECURITY, "a second click is no error");
    app.run_pending_work().await;
}

#[tokio::test]
async fn termina_altre_ends_every_other_session_and_keeps_this_one() {
    let app = spawn_app().await;
    let luca = app.seed_employee().await;
    let here = logged_in(&app, &luca, FIREFOX_LINUX).await;
    let phone = logged_in(&app, &luca, CHROME_WINDOWS).await;
    let laptop = logged_in(&app, &luca, "").await;
    assert_eq!(sessions_seen_by(&here).await.len(), 3);

    let ended = here
        .post_form(&format!("{SECURITY}/sessioni/termina-altre"), &[])
        .await;

    assert_eq!(location(&ended), SECURITY);
    let (_, page) = here.get_html(SECURITY).await;
    let listed = sessions_on(&page);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(listed[0].current);
    assert!(
        texts(&page, "[role=status]")
            .join(" ")
            .contains("Hai terminato 2 altre sessioni"),
        "{page}"
    );
    for other in [&phone, &laptop] {
        assert_eq!(location(&other.get("/area-clienti").await), "/accedi");
    }
    assert_eq!(here.get("/area-clienti").await.status(), StatusCode::OK);
    app.assert_holds(
        "SELECT details->>'sessioni' = '2' FROM audit_events WHERE action = 'altre_sessioni_terminate'",
    )
    .await;
    app.run_pending_work().await;
}

#[tokio::test]
async fn another_users_session_this_session_or_a_bad_id_is_404_and_nothing_changes() {
    let app = spawn_app().await;
    let luca = app.seed_employee().await;
    let luca_browser = logged_in(&app, &luca, FIREFOX_LINUX).await;
    let b = app.seed_company(&COMPANY_B).await;
    let other_user = app
        .seed_user(
            b.company_id,
            "anna@example.it",
            None,
            "utilizzatore",
            "attivo",
        )
        .await;
    let anna = logged_in(&app, &other_user, CHROME_WINDOWS).await;
    let annas: Uuid = sqlx::query_scalar("SELECT id FROM user_sessions WHERE user_id = $1")
        .bind(other_user.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let own = sessions_seen_by(&luca_browser).await.remove(0).id;
    let before = app.state_snapshot().await;

    for id in [annas.to_string(), own, "non-un-id".to_owned()] {
        let refused = luca_browser
            .post_form(&format!("{SECURITY}/sessioni/{id}/termina"), &[])
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{id}");
    }

    assert_eq!(app.state_snapshot().await, before);
    assert_eq!(anna.get("/area-clienti").await.status(), StatusCode::OK);
    assert_eq!(
        luca_browser.get("/area-clienti").await.status(),
        StatusCode::OK
    );
    app.assert_holds("SELECT count(*) = 0 FROM user_sessions WHERE ended_at IS NOT NULL")
        .await;
}

#[tokio::test]
async fn the_legal_representative_ends_an_employees_sessions_and_a_light_admin_cannot_end_theirs() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    let employee = app
        .seeded_employee_logged_in(LR_EMAIL, "luca@example.it", None, "utilizzatore")
        .await;
    let light = app
        .seeded_employee_logged_in(LR_EMAIL, "sara@example.it", None, "amministratore_light")
        .await;
    let luca_id = app.user_id("luca@example.it").await;
    // On Luca's own page (Modifica), not on the list's row.
    let (_, page) = lr
        .get_html(&format!("{GU}/utenti/{luca_id}/modifica"))
        .await;
    assert!(
        page.contains(&format!(
            r#"action="{GU}/utenti/{luca_id}/termina-sessioni""#
        )),
        "{page}"
    );

    let refused = light
        .post_form(
            &format!("{GU}/utenti/{}/termina-sessioni", company.legal_rep.id),
            &[],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(lr.get("/area-clienti").await.status(), StatusCode::OK);

    let ended = lr
        .post_form(&format!("{GU}/utenti/{luca_id}/termina-sessioni"), &[])
        .await;

    assert_eq!(location(&ended), GU);
    let (_, list) = lr.get_html(GU).await;
    assert!(
        texts(&list, "[role=status]")
            .join(" ")
            .contains("terminate"),
        "{list}"
    );
    assert_eq!(location(&employee.get("/area-clienti").await), "/accedi");
    assert_eq!(lr.get("/area-clienti").await.status(), StatusCode::OK);
    assert_eq!(light.get("/area-clienti").await.status(), StatusCode::OK);
    app.assert_holds(&format!(
        "SELECT actor_user_id = '{}' AND details->>'sessioni' = '1' FROM audit_events \
         WHERE action = 'sessioni_utente_terminate' AND subject_user_id = '{luca_id}'",
        company.legal_rep.id
    ))
    .await;
    app.run_pending_work().await;
}

#[tokio::test]
async fn last_accesses_show_failures_and_the_factor_of_a_login() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = &company.legal_rep;
    let browser = Browser::new(&app.address);
    let wrong = browser.login(&lr.username, "non è la password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let step = browser.login(&lr.username, lr.password).await;
    assert_eq!(location(&step), "/accedi/verifica");
    browser.post_form("/accedi/verifica/sms", &[]).await;
    let code = code_in(&app.sms_to(LR_MOBILE).await.text);
    let not_it = if code == "000000" { "111111" } else { "000000" };
    let wrong_code = browser
        .post_form("/accedi/verifica", &[("code", not_it)])
        .await;
    assert_eq!(wrong_code.status(), StatusCode::UNAUTHORIZED);
    let done = browser
        .post_form("/accedi/verifica", &[("code", &code)])
        .await;
    assert_eq!(location(&done), "/area-clienti");

    let (_, page) = browser.get_html(SECURITY).await;

    let doc = Html::parse_document(&page);
    let rows = Selector::parse("tr[data-access]").unwrap();
    let accesses: Vec<(String, String)> = doc
        .select(&rows)
        .map(|tr| {
            let outcome = tr.value().attr("data-access").unwrap().to_owned();
            (outcome, tr.text().collect::<Vec<_>>().join(" "))
        })
        .collect();
    assert_eq!(accesses.len(), 3, "{accesses:#?}");
    assert_eq!(accesses[0].0, "riuscito");
    assert!(accesses[0].1.contains("Accesso riuscito"), "{accesses:#?}");
    assert!(accesses[0].1.contains("codice via SMS"), "{accesses:#?}");
    assert!(accesses[0].1.contains("127.0.0.1"), "{accesses:#?}");
    assert_eq!(accesses[1].0, "fallito");
    assert!(
        accesses[1].1.contains("Codice di verifica errato"),
        "{accesses:#?}"
    );
    assert_eq!(accesses[2].0, "fallito");
    assert!(accesses[2].1.contains("Password errata"), "{accesses:#?}");
}

#[tokio::test]
async fn a_new_browser_is_told_by_email_once_and_never_at_activation() {
    let app = spawn_app().await;
    let first = app.logged_in_legal_representative().await;
    assert!(
        app.new_login_notices_to(LR_EMAIL).await.is_empty(),
        "activation is the account's first browser"
    );
    first.post_form("/esci", &[]).await;
    let again = app.log_in(&first, LR_EMAIL, PASSWORD).await;
    assert_eq!(location(&again), "/area-clienti");
    assert!(
        app.new_login_notices_to(LR_EMAIL).await.is_empty(),
        "the same browser again"
    );

    let chrome = Browser::with_user_agent(&app.address, CHROME_WINDOWS);
    let login = app.log_in(&chrome, LR_EMAIL, PASSWORD).await;
    assert_eq!(location(&login), "/area-clienti");
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("area_clienti_browser="))
        .expect("the browser cookie is set at login")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=34560000"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }

    let notices = app.new_login_notices_to(LR_EMAIL).await;
    assert_eq!(notices.len(), 1);
    let notice = &notices[0];
    assert!(notice.subject.contains("nuovo accesso al tuo account"));
    for part in [&notice.text, &notice.html] {
        assert!(part.contains("Chrome su Windows"), "{part}");
        assert!(part.contains("127.0.0.1"), "{part}");
        assert!(part.contains("(ora italiana)"), "{part}");
        assert!(
            part.contains(&format!("{PUBLIC_BASE_URL}/area-clienti/sicurezza")),
            "{part}"
        );
    }
    let when = notice.text.split("Quando: ").nth(1).unwrap();
    let (date, time) = (&when[..10], &when[10..21]);
    assert!(date.chars().filter(|c| *c == '/').count() == 2, "{when}");
    assert!(
        time.starts_with(" alle ") && time[6..].contains(':'),
        "{when}"
    );

    chrome.post_form("/esci", &[]).await;
    app.log_in(&chrome, LR_EMAIL, PASSWORD).await;
    assert_eq!(
        app.new_login_notices_to(LR_EMAIL).await.len(),
        1,
        "a browser is new once"
    );
}

#[tokio::test]
async fn a_new_session_never_overwrites_another_that_drew_the_same_id() {
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};
    let app = spawn_app().await;
    let store = area_clienti::db::session_store::SessionRows::new(app.pool.clone());
    let expiry_date = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    let mut first = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date,
    };
    store.create(&mut first).await.unwrap();
    let mut second = Record {
        id: first.id,
        data: [("chi".to_owned(), serde_json::json!("un altro"))].into(),
        expiry_date,
    };
    store.create(&mut second).await.unwrap();
    assert_ne!(second.id, first.id, "another id was drawn");
    let kept = store
        .load(&first.id)
        .await
        .unwrap()
        .expect("the first is there");
    assert!(kept.data.is_empty(), "and untouched");
    let made = store
        .load(&second.id)
        .await
        .unwrap()
        .expect("the second too");
    assert_eq!(made.data["chi"], "un altro");
}
