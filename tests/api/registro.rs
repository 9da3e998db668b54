//! Registro attività (issue 15): the company's audit trail as Italian sentences, filtered
//! by person, kind of action and period, paged, as CSV, and the same sentences on the
//! Servizio Clienti 191 sheet.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{Browser, GU, LR_EMAIL, TestApp, spawn_app, texts};
use crate::servizio_clienti::{STAFF, STAFF_PASSWORD};

const REGISTRO: &str = "/area-clienti/gestione-utenze/registro";
const LUCA: &str = "luca.bianchi@example.it";

/// The sentences of the page, in order.
pub(crate) fn sentences(html: &str) -> Vec<String> {
    texts(html, r#"tr[data-evento] td[data-label="Attività"]"#)
}

/// Aggiungi with a name, saved for later ("Aggiungi Utente").
pub(crate) async fn add_named(
    lr: &Browser,
    first: &str,
    last: &str,
    email: &str,
) -> reqwest::Response {
    let form = [
        ("first_name", first),
        ("last_name", last),
        ("mobile", ""),
        ("email", email),
        ("username", email),
        ("profile", "utilizzatore"),
        ("action", "save"),
    ];
    lr.post_form(&format!("{GU}/aggiungi"), &form).await
}

pub(crate) async fn company_of(app: &TestApp, username: &str) -> Uuid {
    sqlx::query_scalar("SELECT company_id FROM users WHERE lower(username) = lower($1)")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Nothing of the stored form reaches the page: no JSON, no codes, no ids.
fn assert_plain(sentence: &str) {
    for raw in ["{", "}", "\"", "_", "null"] {
        assert!(!sentence.contains(raw), "{raw:?} in {sentence:?}");
    }
}

#[tokio::test]
async fn each_administrative_action_reads_as_a_sentence_with_who_whom_and_what_changed() {
    let app = spawn_app().await;
    // Username emails of Luca are queued by the steps; what they say is not checked here.
    app.leaves_messages_queued();
    let lr = app.logged_in_legal_representative().await;
    add_named(&lr, "Luca", "Bianchi", LUCA).await;
    let id = app.user_id(LUCA).await;
    let post = async |action: &str, fields: &[(&str, &str)]| {
        let done = lr
            .post_form(&format!("{GU}/utenti/{id}/{action}"), fields)
            .await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{action}");
    };
    post("registra", &[]).await;
    post("reinvia", &[]).await;
    let modify = [
        ("email", "luca.b@example.it"),
        ("mobile", ""),
        ("profile", "amministratore_light"),
    ];
    post("modifica", &modify).await;
    post("disabilita", &[]).await;
    post("riabilita", &[]).await;

    let (status, html) = lr.get_html(REGISTRO).await;

    assert_eq!(status, StatusCode::OK);
    let shown = sentences(&html);
    for expected in [
        "Il sistema ha registrato il contratto CTR-1 (canale «negozio»): 2 linee mobili aggiunte",
        "Il sistema ha inviato a Maria Rossi la e-mail con la username (a maria.rossi@example.it)",
        "Maria Rossi ha chiesto il codice di verifica via SMS",
        "Maria Rossi ha inserito il codice di verifica corretto",
        "Maria Rossi ha scelto la password e attivato l'accesso",
        "Maria Rossi ha aggiunto Luca Bianchi come Utilizzatore: e-mail: luca.bianchi@example.it; username: luca.bianchi@example.it",
        "Maria Rossi ha registrato Luca Bianchi (Amministratore Light)",
        "Maria Rossi ha inviato a Luca Bianchi la e-mail con la username (a luca.bianchi@example.it)",
        "Maria Rossi ha inviato di nuovo a Luca Bianchi la e-mail con la username",
        "Maria Rossi ha modificato Luca Bianchi: profilo: Utilizzatore → Amministratore Light; e-mail: luca.bianchi@example.it → luca.b@example.it",
        "Maria Rossi ha disabilitato Luca Bianchi: stato: In attesa di attivazione → Disabilitato",
        "Maria Rossi ha riabilitato Luca Bianchi: stato: Disabilitato → Da registrare",
    ] {
        assert!(
            shown.iter().any(|s| s == expected),
            "{expected:?} not in {shown:#?}"
        );
    }
    let recorded = app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE company_id = '{}'",
            company_of(&app, LR_EMAIL).await
        ))
        .await;
    assert_eq!(shown.len() as i64, recorded, "every event, once");
    shown.iter().for_each(|s| assert_plain(s));
    let when = texts(&html, r#"tr[data-evento] td[data-label="Quando"]"#);
    assert!(
        when.iter().all(|w| w.len() == 21 && w.contains(" alle ")),
        "Italian dates: {when:?}"
    );
    assert_eq!(
        shown.first().map(String::as_str),
        Some("Maria Rossi ha riabilitato Luca Bianchi: stato: Disabilitato → Da registrare"),
        "newest first"
    );
}

#[tokio::test]
async fn an_employees_own_steps_and_support_read_the_same_on_the_registro_and_the_console() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    add_named(&lr, "Luca", "Bianchi", LUCA).await;
    let id = app.user_id(LUCA).await;
    lr.post_form(&format!("{GU}/utenti/{id}/registra"), &[])
        .await;
    let luca = app.activate_employee(LUCA).await;
    let wrong = Browser::new(&app.address);
    wrong.login(LUCA, "non è la password giusta").await;
    luca.post_form("/area-clienti/sicurezza/sessioni/termina-altre", &[])
        .await;
    lr.post_form(&format!("{GU}/utenti/{id}/termina-sessioni"), &[])
        .await;
    let staff = app.staff_logged_in(STAFF, STAFF_PASSWORD).await;
    let company = company_of(&app, LR_EMAIL).await;
    let sheet = format!("/assistenza/aziende/{company}");
    let resent = crate::servizio_clienti::staff_post(
        &staff,
        &sheet,
        &format!("/assistenza/utenti/{id}/reinvia"),
        &[("reason", "ticket 4521")],
    )
    .await;
    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    app.run_pending_work().await;

    let (_, html) = lr.get_html(REGISTRO).await;
    let (_, console) = staff.get_html(&sheet).await;

    let shown = sentences(&html);
    for expected in [
        "Luca Bianchi ha chiesto il codice di verifica via e-mail",
        "Luca Bianchi ha scelto la password e attivato l'accesso",
        "Accesso non riuscito per Luca Bianchi: password errata",
        "Luca Bianchi ha chiuso le altre sessioni aperte (0)",
        "Maria Rossi ha chiuso le sessioni aperte di Luca Bianchi (1)",
        "Il Servizio Clienti 191 ha inviato di nuovo le credenziali a Luca Bianchi (a luca.bianchi@example.it); motivo: «ticket 4521»",
        "Il Servizio Clienti 191 ha inviato a Luca Bianchi il promemoria con la username e il link per scegliere la password",
    ] {
        assert!(
            shown.iter().any(|s| s == expected),
            "{expected:?} not in {shown:#?}"
        );
    }
    shown.iter().for_each(|s| assert_plain(s));
    let on_console = sentences(&console);
    assert_eq!(
        on_console,
        shown[..on_console.len()],
        "the console says the same, newest first"
    );
    assert!(!on_console.is_empty());
}
