//! What a person reads after each action (issue 15): Gestione Utenze's messages name whom
//! they were about and what was sent, Disabilita asks first, activation and password changes
//! say what happened, and the account's own e-mails name the company.

use reqwest::StatusCode;

use crate::helpers::{
    Browser, GU, LR_EMAIL, LR_MOBILE, PASSWORD, is_to, location, spawn_app, texts,
};

const LUCA: &str = "luca.bianchi@example.it";
const COMPANY: &str = "Rossi Impianti S.r.l.";

/// Every link's target on `page`, as the browser reads it (entities decoded).
fn hrefs(page: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(page);
    let a = scraper::Selector::parse("a[href]").unwrap();
    doc.select(&a)
        .filter_map(|e| e.value().attr("href"))
        .map(str::to_owned)
        .collect()
}

/// The message the list shows once after an action (following its redirect).
async fn message_after(browser: &Browser, answer: reqwest::Response) -> String {
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get_html(&location(&answer)).await;
    texts(&page, ".notice").concat()
}

#[tokio::test]
async fn gestione_utenze_messages_name_the_person_and_what_was_sent() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;

    let form = [
        ("first_name", "Luca"),
        ("last_name", "Bianchi"),
        ("email", LUCA),
        ("username", LUCA),
        ("profile", "utilizzatore"),
        ("action", "save"),
    ];
    let added = lr.post_form(&format!("{GU}/aggiungi"), &form).await;
    let said = message_after(&lr, added).await;
    assert!(
        said.contains("Utenza di Luca Bianchi aggiunta") && said.contains("«Da registrare»"),
        "{said}"
    );

    let luca = app.user_id(LUCA).await;
    let registered = lr
        .post_form(&format!("{GU}/utenti/{luca}/registra"), &[])
        .await;
    let said = message_after(&lr, registered).await;
    assert!(
        said.contains("a Luca Bianchi (luca.bianchi@example.it)") && said.contains("7 giorni"),
        "{said}"
    );

    // A new address for someone still waiting: a new username e-mail goes there, and the
    // message says so.
    let modified = lr
        .post_form(
            &format!("{GU}/utenti/{luca}/modifica"),
            &[
                ("email", "luca@nuovo.example.it"),
                ("mobile", ""),
                ("profile", "utilizzatore"),
            ],
        )
        .await;
    let said = message_after(&lr, modified).await;
    assert!(
        said.contains("Modifiche a Luca Bianchi salvate")
            && said.contains("nuova e-mail con la username a luca@nuovo.example.it"),
        "{said}"
    );
    app.username_email("luca@nuovo.example.it").await;

    // The profile alone: nothing is sent, nothing is claimed.
    let modified = lr
        .post_form(
            &format!("{GU}/utenti/{luca}/modifica"),
            &[
                ("email", "luca@nuovo.example.it"),
                ("mobile", ""),
                ("profile", "amministratore_light"),
            ],
        )
        .await;
    let said = message_after(&lr, modified).await;
    assert_eq!(said, "Modifiche a Luca Bianchi salvate.");

    let disabled = lr
        .post_form(&format!("{GU}/utenti/{luca}/disabilita"), &[])
        .await;
    let said = message_after(&lr, disabled).await;
    assert!(
        said.contains("Utenza di Luca Bianchi disabilitata"),
        "{said}"
    );

    // Luca never chose a password: riabilitato, he is to be registered again.
    let enabled = lr
        .post_form(&format!("{GU}/utenti/{luca}/riabilita"), &[])
        .await;
    let said = message_after(&lr, enabled).await;
    assert!(
        said.contains("Utenza di Luca Bianchi riabilitata") && said.contains("«Da registrare»"),
        "{said}"
    );
    assert_eq!(app.user_state(LUCA).await, "da_registrare");
}

#[tokio::test]
async fn disabilita_asks_first_and_keeps_the_list_view() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    let employee = app
        .employee_logged_in(&lr, LUCA, None, "utilizzatore")
        .await;
    let luca = app.user_id(LUCA).await;

    // Disabilita is on the user's page (Modifica), a link to the question that carries
    // the list's view.
    let (_, user_page) = lr
        .get_html(&format!("{GU}/utenti/{luca}/modifica?q=luca&stato=attivo"))
        .await;
    let question = format!("{GU}/utenti/{luca}/disabilita?q=luca&stato=attivo");
    assert!(hrefs(&user_page).contains(&question), "{user_page}");

    // Opening it changes nothing.
    let (status, page) = lr.get_html(&question).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        texts(&page, "h1").concat().contains("Disabilitare"),
        "{page}"
    );
    assert!(page.contains("le sessioni che ha aperte terminano subito"));
    assert_eq!(app.user_state(LUCA).await, "attivo");
    assert_eq!(employee.get("/area-clienti").await.status(), StatusCode::OK);

    // "Annulla" goes back to the same view; the button disables, then back to that view.
    assert!(hrefs(&page).contains(&format!("{GU}?q=luca&stato=attivo")));
    let csrf = crate::helpers::hidden_input(&page, "csrf_token").unwrap();
    let confirmed = lr
        .post_raw(
            &format!("{GU}/utenti/{luca}/disabilita"),
            &[("csrf_token", &csrf), ("q", "luca"), ("stato", "attivo")],
        )
        .await;
    assert_eq!(location(&confirmed), format!("{GU}?q=luca&stato=attivo"));
    assert_eq!(app.user_state(LUCA).await, "disabilitato");
    assert_ne!(
        employee.get("/area-clienti").await.status(),
        StatusCode::OK,
        "the disabled employee's session ended"
    );

    // Once disabled, or for someone who may not disable, there is no question to ask.
    assert_eq!(lr.get(&question).await.status(), StatusCode::NOT_FOUND);
    let lr_id = app.user_id(LR_EMAIL).await;
    assert_eq!(
        lr.get(&format!("{GU}/utenti/{lr_id}/disabilita"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn activation_and_a_password_change_say_what_happened() {
    let app = spawn_app().await;
    let mail = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    let browser = Browser::new(&app.address);
    let done = app
        .activate(&browser, &mail, Some(LR_MOBILE), PASSWORD)
        .await;
    assert_eq!(location(&done), "/area-clienti");
    let (_, home) = browser.get_html("/area-clienti").await;
    let said = texts(&home, ".notice").concat();
    assert!(
        said.contains("Accesso attivato") && said.contains(LR_EMAIL),
        "{said}"
    );
    let (_, again) = browser.get_html("/area-clienti").await;
    assert!(texts(&again, ".notice").is_empty(), "shown once");

    let changed = browser
        .post_form(
            "/area-clienti/profilo/password",
            &[
                ("current_password", PASSWORD),
                ("password", "Nuvole basse sopra il Monte Rosa 88"),
                ("password_confirm", "Nuvole basse sopra il Monte Rosa 88"),
            ],
        )
        .await;
    assert_eq!(location(&changed), "/area-clienti/profilo");
    let (_, profile) = browser.get_html("/area-clienti/profilo").await;
    assert!(
        texts(&profile, ".notice")
            .concat()
            .contains("Password cambiata"),
        "{profile}"
    );
    let told = app
        .mail_matching("the password-changed notice", |m| {
            is_to(m, LR_EMAIL) && m.subject.contains("password cambiata")
        })
        .await;
    assert!(told.text.contains(COMPANY), "{}", told.text);
}

#[tokio::test]
async fn the_accounts_own_emails_name_the_company() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    // Without a mobile, Luca's activation code comes by e-mail.
    let added = app
        .add_employee(&lr, None, LUCA, LUCA, "utilizzatore", "register")
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    app.activate_employee(LUCA).await;

    let code = app
        .mail_matching("the code e-mail to Luca", |m| {
            is_to(m, LUCA) && m.subject.contains("codice di verifica")
        })
        .await;
    for part in [&code.text, &code.html] {
        assert!(part.contains(COMPANY), "{part}");
    }
    let recovery = Browser::new(&app.address);
    recovery
        .post_form("/recupera-password", &[("username", LUCA)])
        .await;
    let link = app
        .mail_matching("the recovery e-mail to Luca", |m| {
            is_to(m, LUCA) && m.subject.contains("recupera la password")
        })
        .await;
    assert!(link.text.contains(COMPANY), "{}", link.text);
}
