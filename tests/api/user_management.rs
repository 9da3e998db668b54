//! Gestione Utenze: the legal representative adds, registers, updates, modifies, disables
//! and re-enables the company's employees, who then activate like the legal representative.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Browser, GU, LINES_A, LR_EMAIL, LR_MOBILE, PASSWORD, PUBLIC_BASE_URL, TestApp, VAT_A, VAT_B,
    activation_path, contract_body, field_value, location, management_forms, row_of_line,
    row_of_user, rows, shown, spawn_app, texts,
};

const LUCA: &str = "luca.bianchi@example.it";
const LUCA_MOBILE: &str = "+393471234567";

/// The list page as the legal representative sees it (status checked).
async fn list(browser: &Browser) -> String {
    let (status, html) = browser.get_html(GU).await;
    assert_eq!(status, StatusCode::OK, "the list opens");
    html
}

/// The id of the legal representative of VAT_A.
async fn lr_id(app: &TestApp) -> Uuid {
    app.user_id(LR_EMAIL).await
}

/// Runs the outbox worker, so "nothing was sent" means something.
async fn settle(app: &TestApp) {
    app.run_pending_work().await;
}

/// The text of the first element `#{field}-error`, or panics.
fn field_error(html: &str, field: &str) -> String {
    let found = texts(html, &format!("#{field}-error"));
    assert!(
        !found.is_empty() && !found[0].is_empty(),
        "a message in #{field}-error: {html}"
    );
    found[0].clone()
}

#[tokio::test]
async fn adding_and_registering_an_employee_emails_the_username_and_they_activate_with_the_sms_code()
 {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let (status, form) = lr.get_html(&format!("{GU}/aggiungi")).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["mobile", "email", "username", "profile"] {
        assert!(
            form.contains(&format!(r#"name="{field}""#)),
            "the form has {field}"
        );
    }

    let added = app
        .add_employee(
            &lr,
            Some(LUCA_MOBILE),
            LUCA,
            "luca.bianchi",
            "amministratore_light",
            "register",
        )
        .await;

    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&added), GU);
    let mail = app.username_email(LUCA).await;
    assert!(mail.subject.contains("Area Clienti"), "{}", mail.subject);
    assert!(
        mail.text.contains("luca.bianchi"),
        "the username is stated: {}",
        mail.text
    );
    assert!(
        mail.text
            .contains(&format!("{PUBLIC_BASE_URL}/attivazione/")),
        "{}",
        mail.text
    );
    assert_eq!(app.user_state("luca.bianchi").await, "in_attesa");
    let id = app.user_id("luca.bianchi").await;
    let row = row_of_user(&list(&lr).await, id);
    assert_eq!(
        (row.stato.as_str(), row.line_id.as_str()),
        ("in_attesa", ""),
        "{row:?}"
    );
    for text in [
        LUCA,
        "luca.bianchi",
        "Amministratore Light",
        "+39 347 123 4567",
    ] {
        assert!(row.shows(text), "{text} in {row:?}");
    }

    let employee = Browser::new(&app.address);
    let done = app
        .activate(&employee, &mail, Some(LUCA_MOBILE), PASSWORD)
        .await;

    assert_eq!(location(&done), "/area-clienti");
    assert_eq!(
        app.sms.count_to(LUCA_MOBILE).await,
        1,
        "the code went to the employee's mobile"
    );
    let elsewhere = Browser::new(&app.address);
    assert_eq!(
        location(&app.log_in(&elsewhere, "LUCA.Bianchi", PASSWORD).await),
        "/area-clienti"
    );
    let (status, home) = elsewhere.get_html("/area-clienti").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("Rossi Impianti S.r.l."),
        "the employee sees their company"
    );
    assert_eq!(app.user_state("luca.bianchi").await, "attivo");
    assert_eq!(row_of_user(&list(&lr).await, id).stato, "attivo");
    let notices = app.new_login_notices_to(LUCA).await;
    assert_eq!(
        notices.len(),
        1,
        "`elsewhere` is not the browser Luca activated with"
    );
}

#[tokio::test]
async fn saving_an_employee_sends_nothing_until_registra_then_the_code_comes_by_email() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;

    let saved = app
        .add_employee(&lr, None, LUCA, LUCA, "utilizzatore", "save")
        .await;

    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), GU);
    let id = app.user_id(LUCA).await;
    assert_eq!(app.user_state(LUCA).await, "da_registrare");
    settle(&app).await;
    assert_eq!(app.username_emails_of(id).await, 0, "nothing queued");
    assert_eq!(app.smtp.count_to(LUCA).await, 0, "nothing sent");
    let row = row_of_user(&list(&lr).await, id);
    assert_eq!(
        (
            row.stato.as_str(),
            row.consegna.as_str(),
            row.line_id.as_str()
        ),
        ("da_registrare", "", "")
    );
    assert!(row.shows("Utilizzatore"), "{row:?}");

    let registered = lr
        .post_form(&format!("{GU}/utenti/{id}/registra"), &[])
        .await;

    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&registered), GU);
    let mail = app.username_email(LUCA).await;
    assert!(mail.text.contains(LUCA));
    assert_eq!(app.user_state(LUCA).await, "in_attesa");
    let employee = Browser::new(&app.address);
    let done = app.activate(&employee, &mail, None, PASSWORD).await;
    assert_eq!(
        location(&done),
        "/area-clienti",
        "code by email without a mobile"
    );
    let sent = app.sms.sent().await;
    assert!(
        sent.iter().all(|sms| sms.to == LR_MOBILE),
        "no code went by SMS but the legal representative's login code: {sent:?}"
    );
    assert_eq!(app.user_state(LUCA).await, "attivo");
}

#[tokio::test]
async fn adding_with_the_number_of_a_company_line_ties_the_employee_to_that_line() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let line = app.line_id(LINES_A[0]).await;
    assert_eq!(
        row_of_line(&list(&lr).await, line).stato,
        "da_registrare",
        "a free line waits to be registered"
    );

    let added = app
        .add_employee(
            &lr,
            Some(LINES_A[0]),
            LUCA,
            LUCA,
            "amministratore_full",
            "save",
        )
        .await;

    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let id = app.user_id(LUCA).await;
    assert_eq!(app.line_user(LINES_A[0]).await, Some(id));
    let html = list(&lr).await;
    let row = row_of_line(&html, line);
    assert_eq!(
        row.user_id,
        id.to_string(),
        "the line row shows the employee"
    );
    assert_eq!(row.stato, "da_registrare");
    assert!(
        row.shows(&shown(LINES_A[0])) && row.shows(LUCA) && row.shows("Amministratore Full"),
        "{row:?}"
    );
    assert_eq!(
        row_of_user(&html, id),
        row,
        "one row for line and employee, not two"
    );
    assert_eq!(
        rows(&html).len(),
        3,
        "two lines and the legal representative: {:#?}",
        rows(&html)
    );
    assert_eq!(
        app.line_user(LINES_A[1]).await,
        None,
        "the other line stays free"
    );
}

#[tokio::test]
async fn a_username_already_in_use_in_any_case_anywhere_in_the_portal_is_refused_keeping_what_was_typed()
 {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    let other_company = contract_body("CTR-B", VAT_B, "luca.verdi@example.it", None, &[]);
    assert_eq!(
        app.post_contract(&other_company).await.status(),
        StatusCode::CREATED
    );
    let before = app.state_snapshot().await;

    for taken in ["Maria.Rossi@Example.IT", "LUCA.VERDI@example.it"] {
        let response = app
            .add_employee(
                &lr,
                Some(LUCA_MOBILE),
                LUCA,
                taken,
                "amministratore_light",
                "register",
            )
            .await;

        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{taken}"
        );
        let html = response.text().await.unwrap();
        assert!(
            field_error(&html, "username").contains("già in uso"),
            "{taken}"
        );
        assert_eq!(
            field_value(&html, "username").as_deref(),
            Some(taken),
            "typed username kept"
        );
        assert_eq!(
            field_value(&html, "email").as_deref(),
            Some(LUCA),
            "typed email kept"
        );
        assert_eq!(
            field_value(&html, "mobile").as_deref(),
            Some(LUCA_MOBILE),
            "typed mobile kept"
        );
        assert_eq!(
            field_value(&html, "profile").as_deref(),
            Some("amministratore_light"),
            "chosen profile kept"
        );
    }
    assert_eq!(
        app.state_snapshot().await,
        before,
        "nothing saved, nothing sent"
    );
}

#[tokio::test]
async fn an_invalid_mobile_email_or_missing_username_is_refused_keeping_what_was_typed() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let before = app.state_snapshot().await;
    let cases = [
        ("mobile", "12345", LUCA, "luca.bianchi"),
        ("mobile", "06 1234 5678", LUCA, "luca.bianchi"),
        ("email", LUCA_MOBILE, "luca.bianchi@", "luca.bianchi"),
        ("email", LUCA_MOBILE, "non è una email", "luca.bianchi"),
        ("username", LUCA_MOBILE, LUCA, ""),
    ];

    for (field, mobile, email, username) in cases {
        let response = app
            .add_employee(
                &lr,
                Some(mobile),
                email,
                username,
                "utilizzatore",
                "register",
            )
            .await;

        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {mobile} {email} {username}"
        );
        let html = response.text().await.unwrap();
        field_error(&html, field);
        assert_eq!(
            field_value(&html, "mobile").as_deref(),
            Some(mobile),
            "typed mobile kept"
        );
        assert_eq!(
            field_value(&html, "email").as_deref(),
            Some(email),
            "typed email kept"
        );
        assert_eq!(
            field_value(&html, "username").unwrap_or_default(),
            username,
            "typed username kept"
        );
    }
    assert_eq!(
        app.state_snapshot().await,
        before,
        "nothing saved, nothing sent"
    );
}

#[tokio::test]
async fn a_line_to_register_is_prefilled_from_its_referent_then_saved_registered_and_activated() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    const NUMBER: &str = "+393401112299";
    let mut body = contract_body("CTR-2", VAT_A, LR_EMAIL, None, &[]);
    body["mobile_lines"] = json!([{
        "number": NUMBER,
        "referent": {"first_name": "Luca", "last_name": "Bianchi", "email": LUCA, "profile": "amministratore_light"}
    }]);
    assert_eq!(app.post_contract(&body).await.status(), StatusCode::CREATED);
    let line = app.line_id(NUMBER).await;
    let row = row_of_line(&list(&lr).await, line);
    assert_eq!(
        (row.stato.as_str(), row.user_id.as_str()),
        ("da_registrare", ""),
        "no user yet: {row:?}"
    );

    let (status, form) = lr.get_html(&format!("{GU}/linee/{line}/aggiorna")).await;

    assert_eq!(status, StatusCode::OK);
    let prefilled = |name| field_value(&form, name).unwrap_or_default();
    assert_eq!(prefilled("email"), LUCA);
    assert_eq!(
        prefilled("username"),
        LUCA,
        "username suggested from the referent's email"
    );
    assert_eq!(prefilled("profile"), "amministratore_light");
    assert_eq!(prefilled("first_name"), "Luca");
    assert_eq!(prefilled("last_name"), "Bianchi");
    let fields = [
        ("email", LUCA),
        ("username", LUCA),
        ("profile", "amministratore_light"),
        ("first_name", "Luca"),
        ("last_name", "Bianchi"),
    ];
    let saved = lr
        .post_form(&format!("{GU}/linee/{line}/aggiorna"), &fields)
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), GU);
    let id = app.user_id(LUCA).await;
    assert_eq!(app.line_user(NUMBER).await, Some(id));
    assert_eq!(app.user_state(LUCA).await, "da_registrare");
    let row = row_of_line(&list(&lr).await, line);
    assert_eq!(
        (row.user_id, row.stato),
        (id.to_string(), "da_registrare".to_owned())
    );
    settle(&app).await;
    assert_eq!(app.smtp.count_to(LUCA).await, 0, "saving sends nothing");

    let registered = lr
        .post_form(&format!("{GU}/utenti/{id}/registra"), &[])
        .await;

    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    let mail = app.username_email(LUCA).await;
    assert!(mail.text.contains(LUCA));
    let employee = Browser::new(&app.address);
    let done = app.activate(&employee, &mail, Some(NUMBER), PASSWORD).await;
    assert_eq!(
        location(&done),
        "/area-clienti",
        "the code went by SMS to the line"
    );
    assert_eq!(row_of_line(&list(&lr).await, line).stato, "attivo");
}

#[tokio::test]
async fn registra_on_several_selected_users_emails_each_of_them_in_one_go() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let people = [
        "anna@example.it",
        "bruno@example.it",
        "carla@example.it",
        "dario@example.it",
    ];
    for email in people {
        let saved = app
            .add_employee(&lr, None, email, email, "utilizzatore", "save")
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    }
    let mut ids = Vec::new();
    for email in &people[..3] {
        ids.push(app.user_id(email).await.to_string());
    }
    let form: Vec<(&str, &str)> = ids.iter().map(|id| ("user_id", id.as_str())).collect();

    let response = lr.post_form(&format!("{GU}/registra"), &form).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), GU);
    for email in &people[..3] {
        let mail = app.username_email(email).await;
        assert!(mail.text.contains(email));
        assert_eq!(app.user_state(email).await, "in_attesa", "{email}");
    }
    let html = list(&lr).await;
    for id in &ids {
        assert_eq!(row_of_user(&html, id.parse().unwrap()).stato, "in_attesa");
    }
    assert_eq!(
        app.user_state(people[3]).await,
        "da_registrare",
        "the one not selected waits"
    );
    settle(&app).await;
    assert_eq!(app.smtp.count_to(people[3]).await, 0);
}

#[tokio::test]
async fn resending_the_username_email_makes_the_older_link_dead() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    app.add_employee(&lr, None, LUCA, LUCA, "utilizzatore", "register")
        .await;
    let old = app.username_email(LUCA).await;
    let id = app.user_id(LUCA).await;

    let resent = lr
        .post_form(&format!("{GU}/utenti/{id}/reinvia"), &[])
        .await;

    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resent), GU);
    let newer = app
        .mail_matching("the expected email", |m| {
            m.to[0] == LUCA
                && m.text.contains("/attivazione/")
                && activation_path(m) != activation_path(&old)
        })
        .await;
    let stranger = Browser::new(&app.address);
    assert_eq!(
        stranger.get(&activation_path(&old)).await.status(),
        StatusCode::GONE,
        "the older link is dead"
    );
    assert_eq!(
        stranger.get(&activation_path(&newer)).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.user_state(LUCA).await, "in_attesa");
    let done = app
        .activate(&Browser::new(&app.address), &newer, None, PASSWORD)
        .await;
    assert_eq!(
        location(&done),
        "/area-clienti",
        "the newer link works to the end"
    );
}

#[tokio::test]
async fn modifica_changes_email_mobile_and_profile_and_the_audit_keeps_before_and_after() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    app.add_employee(
        &lr,
        Some(LUCA_MOBILE),
        LUCA,
        "luca.bianchi",
        "amministratore_light",
        "save",
    )
    .await;
    let id = app.user_id("luca.bianchi").await;
    let path = format!("{GU}/utenti/{id}/modifica");
    let (status, form) = lr.get_html(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        field_value(&form, "email").as_deref(),
        Some(LUCA),
        "prefilled"
    );
    assert_eq!(
        field_value(&form, "mobile").as_deref(),
        Some(shown(LUCA_MOBILE).as_str()),
        "prefilled, as people read it"
    );
    assert_eq!(
        field_value(&form, "profile").as_deref(),
        Some("amministratore_light"),
        "prefilled"
    );

    let before = app.state_snapshot().await;
    let bad = lr
        .post_form(
            &path,
            &[
                ("email", "luca@"),
                ("mobile", "12"),
                ("profile", "amministratore_full"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    field_error(&html, "email");
    field_error(&html, "mobile");
    assert_eq!(
        field_value(&html, "email").as_deref(),
        Some("luca@"),
        "typed email kept"
    );
    assert_eq!(
        field_value(&html, "mobile").as_deref(),
        Some("12"),
        "typed mobile kept"
    );
    assert_eq!(
        app.state_snapshot().await,
        before,
        "nothing changed by a refused form"
    );

    let changed = lr
        .post_form(
            &path,
            &[
                ("email", "l.bianchi@example.com"),
                ("mobile", LINES_A[1]),
                ("profile", "amministratore_full"),
            ],
        )
        .await;

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), GU);
    let (email, mobile, profile, username): (String, Option<String>, String, String) =
        sqlx::query_as("SELECT email, mobile, profile::text, username FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(email, "l.bianchi@example.com");
    assert_eq!(mobile.as_deref(), Some(LINES_A[1]));
    assert_eq!(profile, "amministratore_full");
    assert_eq!(username, "luca.bianchi", "the username does not change");
    assert_eq!(
        app.line_user(LINES_A[1]).await,
        Some(id),
        "the new mobile is a company line: tied to it"
    );
    let row = row_of_user(&list(&lr).await, id);
    assert!(
        row.shows("l.bianchi@example.com") && row.shows("Amministratore Full"),
        "{row:?}"
    );

    let (actor, client_addr, details): (Option<Uuid>, Option<String>, Value) = sqlx::query_as(
        "SELECT actor_user_id, client_addr, details FROM audit_events WHERE subject_user_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, Some(lr_id(&app).await));
    assert!(client_addr.is_some_and(|a| !a.is_empty()), "from where");
    let details = details.to_string();
    for value in [
        LUCA,
        "l.bianchi@example.com",
        LUCA_MOBILE,
        LINES_A[1],
        "amministratore_light",
        "amministratore_full",
    ] {
        assert!(
            details.contains(value),
            "before/after has {value}: {details}"
        );
    }
}

#[tokio::test]
async fn disabling_ends_the_employee_session_at_once_and_reenabling_lets_them_back_in() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let employee = app
        .seeded_employee_logged_in(LR_EMAIL, LUCA, Some(LUCA_MOBILE), "utilizzatore")
        .await;
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);
    let id = app.user_id(LUCA).await;

    let disabled = lr
        .post_form(&format!("{GU}/utenti/{id}/disabilita"), &[])
        .await;

    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&disabled), GU);
    assert_eq!(app.user_state(LUCA).await, "disabilitato");
    let next = employee.get("/area-clienti").await;
    assert_eq!(
        next.status(),
        StatusCode::SEE_OTHER,
        "the open session is over"
    );
    assert_eq!(location(&next), "/accedi");
    assert_eq!(
        employee.get("/area-clienti/profilo").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        Browser::new(&app.address)
            .login(LUCA, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(row_of_user(&list(&lr).await, id).stato, "disabilitato");

    let enabled = lr
        .post_form(&format!("{GU}/utenti/{id}/riabilita"), &[])
        .await;

    assert_eq!(enabled.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.user_state(LUCA).await,
        "attivo",
        "they had a password: active again"
    );
    assert_eq!(
        location(&app.log_in(&employee, LUCA, PASSWORD).await),
        "/area-clienti"
    );
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);
    assert_eq!(row_of_user(&list(&lr).await, id).stato, "attivo");
    assert_eq!(
        lr.get("/area-clienti").await.status(),
        StatusCode::OK,
        "the legal representative is unaffected"
    );
}

#[tokio::test]
async fn the_list_shows_the_delivery_state_of_each_username_email() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    app.outbox_settled().await;
    app.add_employee(
        &lr,
        None,
        "salvato@example.it",
        "salvato@example.it",
        "utilizzatore",
        "save",
    )
    .await;
    let saved = app.user_id("salvato@example.it").await;

    app.smtp.set_reject(Some("451 4.3.0 riprova più tardi"));
    app.add_employee(
        &lr,
        None,
        "ritardo@example.it",
        "ritardo@example.it",
        "utilizzatore",
        "register",
    )
    .await;
    let delayed = app.user_id("ritardo@example.it").await;
    app.run_pending_work().await;
    let html = list(&lr).await;
    assert_eq!(
        row_of_user(&html, delayed).consegna,
        "queued",
        "not delivered yet"
    );
    assert_eq!(
        row_of_user(&html, saved).consegna,
        "",
        "no username email for a saved user"
    );
    app.smtp.set_reject(None);
    app.make_retries_due().await;
    app.username_email("ritardo@example.it").await;
    app.assert_holds(&format!(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE user_id = '{delayed}' AND state = 'sent')"
    ))
    .await;
    assert_eq!(row_of_user(&list(&lr).await, delayed).consegna, "sent");

    app.smtp.set_reject(Some("550 5.1.1 no such user"));
    app.add_employee(
        &lr,
        None,
        "inesistente@example.it",
        "inesistente@example.it",
        "utilizzatore",
        "register",
    )
    .await;
    let bounced = app.user_id("inesistente@example.it").await;
    app.run_pending_work().await;
    app.assert_holds(&format!(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE user_id = '{bounced}' AND state = 'failed')"
    ))
    .await;
    app.smtp.set_reject(None);

    let html = list(&lr).await;
    assert_eq!(
        row_of_user(&html, bounced).consegna,
        "failed",
        "support and the legal representative see it"
    );
    assert_eq!(row_of_user(&html, delayed).consegna, "sent");
    assert_eq!(row_of_user(&html, saved).consegna, "");
    assert_eq!(
        row_of_user(&html, lr_id(&app).await).consegna,
        "",
        "once active, the row no longer carries the username e-mail"
    );
}

#[tokio::test]
async fn the_registro_lists_the_company_events_newest_first() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    let other = app.seeded_second_company().await;
    app.add_employee(
        &other,
        None,
        "altro@example.it",
        "altro@example.it",
        "utilizzatore",
        "register",
    )
    .await;
    app.add_employee(&lr, None, LUCA, LUCA, "utilizzatore", "save")
        .await;
    let id = app.user_id(LUCA).await;
    lr.post_form(&format!("{GU}/utenti/{id}/registra"), &[])
        .await;
    lr.post_form(&format!("{GU}/utenti/{id}/disabilita"), &[])
        .await;

    let (status, html) = lr.get_html(&format!("{GU}/registro")).await;

    assert_eq!(status, StatusCode::OK);
    let company: Uuid = sqlx::query_scalar("SELECT company_id FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE company_id = $1 ORDER BY id DESC",
    )
    .bind(company)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("tr[data-evento]").unwrap();
    let shown: Vec<String> = doc
        .select(&selector)
        .map(|e| e.value().attr("data-azione").unwrap_or_default().to_owned())
        .collect();
    assert!(expected.len() >= 4, "events recorded: {expected:?}");
    assert_eq!(
        shown, expected,
        "all of the company's events, newest first, none of the other company"
    );
}

/// An audit event: actor, subject, client address, action.
type NewEvent = (Option<Uuid>, Option<Uuid>, Option<String>, String);

/// One Gestione Utenze action, and whom it concerns.
async fn audited(
    app: &TestApp,
    lr: &Browser,
    what: &str,
    subject: Uuid,
    path: &str,
    form: &[(&str, &str)],
    only_one: bool,
) {
    let before = app.count("SELECT count(*) FROM audit_events").await;
    let last_before = app
        .count("SELECT coalesce(max(id), 0) FROM audit_events")
        .await;
    let response = lr.post_form(path, form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{what}");
    let new: Vec<NewEvent> = sqlx::query_as(
        "SELECT actor_user_id, subject_user_id, client_addr, action FROM audit_events WHERE id > $1 ORDER BY id",
    )
    .bind(last_before)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events").await,
        before + new.len() as i64
    );
    if only_one {
        assert_eq!(new.len(), 1, "{what}: one event: {new:?}");
    } else {
        assert!(!new.is_empty(), "{what}: an event");
    }
    let lr = lr_id(app).await;
    for (actor, whom, addr, action) in &new {
        assert!(!action.is_empty());
        assert_eq!(*actor, Some(lr), "{what}: who");
        assert_eq!(*whom, Some(subject), "{what}: whom");
        assert!(
            addr.as_deref().is_some_and(|a| !a.is_empty()),
            "{what}: from where"
        );
    }
}

#[tokio::test]
async fn every_action_writes_an_audit_event_with_who_whom_and_from_where() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    let add = |email: &'static str, action: &'static str| {
        [
            ("mobile", ""),
            ("email", email),
            ("username", email),
            ("profile", "utilizzatore"),
            ("action", action),
        ]
    };
    let aggiungi = format!("{GU}/aggiungi");

    let before = app
        .count("SELECT coalesce(max(id), 0) FROM audit_events")
        .await;
    lr.post_form(&aggiungi, &add("a@example.it", "save")).await;
    let a = app.user_id("a@example.it").await;
    let events = app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE id > {before} AND subject_user_id = '{a}'"
        ))
        .await;
    assert_eq!(events, 1, "Aggiungi Utente");
    let before = app
        .count("SELECT coalesce(max(id), 0) FROM audit_events")
        .await;
    lr.post_form(&aggiungi, &add("b@example.it", "register"))
        .await;
    let b = app.user_id("b@example.it").await;
    let actions: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT action FROM audit_events WHERE id > {before} AND subject_user_id = '{b}' AND client_addr IS NOT NULL ORDER BY id"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["utente_aggiunto", "email_username_inviata"],
        "Aggiungi e Registra: added, then the username email"
    );

    let line = app.line_id(LINES_A[0]).await;
    let before = app
        .count("SELECT coalesce(max(id), 0) FROM audit_events")
        .await;
    let fields = [
        ("email", "c@example.it"),
        ("username", "c@example.it"),
        ("profile", "amministratore_full"),
    ];
    assert_eq!(
        lr.post_form(&format!("{GU}/linee/{line}/aggiorna"), &fields)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let c = app.user_id("c@example.it").await;
    let events = app.count(&format!("SELECT count(*) FROM audit_events WHERE id > {before} AND subject_user_id = '{c}' AND client_addr IS NOT NULL")).await;
    assert_eq!(events, 1, "Aggiorna");

    audited(
        &app,
        &lr,
        "Registra",
        a,
        &format!("{GU}/utenti/{a}/registra"),
        &[],
        false,
    )
    .await;
    audited(
        &app,
        &lr,
        "Registra selezionati",
        c,
        &format!("{GU}/registra"),
        &[("user_id", &c.to_string())],
        false,
    )
    .await;
    audited(
        &app,
        &lr,
        "Reinvia",
        b,
        &format!("{GU}/utenti/{b}/reinvia"),
        &[],
        false,
    )
    .await;
    let modify = [
        ("email", "b@example.it"),
        ("mobile", "+393471234567"),
        ("profile", "amministratore_light"),
    ];
    audited(
        &app,
        &lr,
        "Modifica",
        b,
        &format!("{GU}/utenti/{b}/modifica"),
        &modify,
        true,
    )
    .await;
    audited(
        &app,
        &lr,
        "Disabilita",
        b,
        &format!("{GU}/utenti/{b}/disabilita"),
        &[],
        true,
    )
    .await;
    audited(
        &app,
        &lr,
        "Riabilita",
        b,
        &format!("{GU}/utenti/{b}/riabilita"),
        &[],
        true,
    )
    .await;

    let (status, html) = lr.get_html(&format!("{GU}/registro")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        texts(&html, "tr[data-evento]").len() >= 9,
        "every action is on the registro"
    );
    assert!(
        management_forms(&list(&lr).await) > 0,
        "the legal representative gets the forms to act"
    );
}

/// The counts of Gestione Utenze and the "holds a line" flag are kept by the database
/// (triggers); they must equal a recount of the rows after any change.
async fn assert_counts_match_a_recount(app: &TestApp, after: &str) {
    let kept: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT company_id, state::text, n FROM roster_counts WHERE n <> 0 ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let recounted: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT company_id, state, sum(n)::bigint FROM (
             SELECT company_id, 'da_registrare' AS state, count(*) AS n FROM mobile_lines
             WHERE user_id IS NULL GROUP BY 1
             UNION ALL
             SELECT company_id, state::text, count(*) FROM users GROUP BY 1, 2
         ) rows GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(kept, recounted, "counts after {after}");
    let wrong_flags = app
        .count(
            "SELECT count(*) FROM users u
             WHERE holds_line <> EXISTS (SELECT 1 FROM mobile_lines l WHERE l.user_id = u.id)",
        )
        .await;
    assert_eq!(wrong_flags, 0, "holds_line after {after}");
}

#[tokio::test]
async fn the_counts_kept_by_the_database_equal_a_recount_after_every_kind_of_change() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    app.seeded_second_company().await;
    assert_counts_match_a_recount(&app, "two contracts and two activations").await;

    app.add_employee(&lr, None, LUCA, "luca.bianchi", "utilizzatore", "save")
        .await;
    assert_counts_match_a_recount(&app, "Aggiungi Utente without a line").await;
    let luca = app.user_id("luca.bianchi").await;

    app.add_employee(
        &lr,
        Some(LINES_A[0]),
        "sara.neri@example.it",
        "sara.neri",
        "amministratore_full",
        "register",
    )
    .await;
    assert_counts_match_a_recount(&app, "Aggiungi e Registra on a company line").await;
    app.activate_employee("sara.neri").await;
    assert_counts_match_a_recount(&app, "activation").await;
    let sara = app.user_id("sara.neri").await;

    let moved = lr
        .post_form(
            &format!("{GU}/utenti/{luca}/modifica"),
            &[
                ("email", LUCA),
                ("mobile", LINES_A[1]),
                ("profile", "utilizzatore"),
            ],
        )
        .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.line_user(LINES_A[1]).await, Some(luca));
    assert_counts_match_a_recount(&app, "Modifica giving a line").await;

    lr.post_form(&format!("{GU}/utenti/{sara}/disabilita"), &[])
        .await;
    assert_counts_match_a_recount(&app, "Disabilita").await;
    lr.post_form(&format!("{GU}/utenti/{sara}/riabilita"), &[])
        .await;
    assert_counts_match_a_recount(&app, "Riabilita").await;

    let second = contract_body(
        "CTR-A-2",
        VAT_A,
        LR_EMAIL,
        None,
        &["+393401119998", "+393401119999"],
    );
    assert_eq!(
        app.post_contract(&second).await.status(),
        StatusCode::CREATED
    );
    assert_counts_match_a_recount(&app, "a second contract").await;
}

#[tokio::test]
async fn an_action_on_the_list_comes_back_to_the_view_it_was_posted_from() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    app.add_employee(&lr, None, LUCA, LUCA, "utilizzatore", "register")
        .await;
    let id = app.user_id(LUCA).await;
    let view = [("q", "luca & co"), ("stato", "in_attesa"), ("pagina", "2")];

    let resent = lr
        .post_form(&format!("{GU}/utenti/{id}/reinvia"), &view)
        .await;

    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resent),
        format!("{GU}?q=luca+%26+co&stato=in_attesa&pagina=2")
    );
    // The same for "Registra i selezionati", and a view that is not one stays on the list.
    let bulk = lr
        .post_form(
            &format!("{GU}/registra"),
            &[("q", "//evil.example"), ("stato", "attivo")],
        )
        .await;
    assert_eq!(bulk.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&bulk),
        format!("{GU}?q=%2F%2Fevil.example&stato=attivo")
    );
    app.outbox_settled().await;
}

#[tokio::test]
async fn the_list_carries_its_view_and_can_come_with_every_saved_user_ticked() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    for (email, number) in [(LUCA, LINES_A[0]), ("anna.neri@example.it", LINES_A[1])] {
        app.add_employee(&lr, Some(number), email, email, "utilizzatore", "save")
            .await;
    }

    let (_, plain) = lr.get_html(&format!("{GU}?q=example&pagina=1")).await;
    assert_eq!(field_value(&plain, "q").as_deref(), Some("example"));
    assert_eq!(
        texts(&plain, "input[name=user_id][checked]").len(),
        0,
        "nothing ticked unless asked"
    );
    let select_all = texts(&plain, r#"a[href*="seleziona=da_registrare"]"#);
    assert_eq!(select_all, ["Seleziona tutti i Da registrare"]);

    let (status, ticked) = lr
        .get_html(&format!("{GU}?q=example&seleziona=da_registrare"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&ticked, "input[name=user_id][checked]").len(), 2);
    // The one form of the list posts the view back with every button.
    assert_eq!(
        texts(
            &ticked,
            r#"form#elenco input[type=hidden][name=q][value=example]"#
        )
        .len(),
        1
    );
}
