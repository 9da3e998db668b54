//! Gestione Utenze at its edges: the button shown and the action accepted come from one
//! permission source, and hostile text (issue 17) never answers 500.

use reqwest::StatusCode;

use crate::helpers::{GU, LINES_A, data_count, data_total, rows, spawn_app, targets};
use crate::seeds::COMPANY_A;

const MARA: &str = "mara.verdi@example.it";

#[tokio::test]
async fn reinvia_is_refused_exactly_where_the_list_does_not_offer_it() {
    // A saved user ("Da registrare") shows Registra, not Reinvia: the use case used to
    // accept Reinvia there anyway.
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    app.add_employee(&lr, None, MARA, MARA, "utilizzatore", "save")
        .await;
    let id = app.user_id(MARA).await;
    let (_, page) = lr.get_html(GU).await;
    assert!(targets(&page).contains(&format!("{GU}/utenti/{id}/registra")));
    assert!(!targets(&page).contains(&format!("{GU}/utenti/{id}/reinvia")));

    let resent = lr
        .post_form(&format!("{GU}/utenti/{id}/reinvia"), &[])
        .await;

    assert_eq!(resent.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.user_state(MARA).await, "da_registrare");
}

#[tokio::test]
async fn modifica_is_refused_exactly_where_the_list_does_not_offer_it() {
    // A disabled user shows Riabilita, not Modifica: the use case used to accept Modifica.
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    app.add_employee(&lr, None, MARA, MARA, "utilizzatore", "save")
        .await;
    let id = app.user_id(MARA).await;
    let disabled = lr
        .post_form(&format!("{GU}/utenti/{id}/disabilita"), &[])
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let (_, page) = lr.get_html(GU).await;
    assert!(targets(&page).contains(&format!("{GU}/utenti/{id}/riabilita")));
    assert!(!targets(&page).contains(&format!("{GU}/utenti/{id}/modifica")));

    let form = lr.get(&format!("{GU}/utenti/{id}/modifica")).await;
    let fields = [
        ("email", "altra@example.it"),
        ("mobile", ""),
        ("profile", "utilizzatore"),
    ];
    let modified = lr
        .post_form(&format!("{GU}/utenti/{id}/modifica"), &fields)
        .await;

    assert_eq!(form.status(), StatusCode::NOT_FOUND);
    assert_eq!(modified.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.user_state(MARA).await, "disabilitato");
}

#[tokio::test]
async fn control_characters_in_the_search_and_filters_find_nothing() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;

    for query in [
        "q=ab%00cd",
        "q=%1b%5b31m",
        "stato=attivo%00",
        "pagina=1%00",
        "q=%E2%80%AEab",
    ] {
        let (status, page) = lr.get_html(&format!("{GU}?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        if query.starts_with("q=") {
            assert!(page.contains("Nessun risultato."), "{query}");
        }
    }
}

#[tokio::test]
async fn control_characters_in_a_path_id_are_not_found() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    // Straight to the portal: a reverse proxy (nginx) answers 400 itself to a NUL in a path,
    // and the portal's own answer is what this checks.
    let lr = lr.towards(&app.direct_address);

    let page = lr.get(&format!("{GU}/utenti/ab%00cd/modifica")).await;
    let line = lr.get(&format!("{GU}/linee/%00/aggiorna")).await;
    let posted = lr
        .post_form(&format!("{GU}/utenti/%ff%00/disabilita"), &[])
        .await;

    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert_eq!(line.status(), StatusCode::NOT_FOUND);
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn control_characters_in_aggiungi_are_a_422_next_to_the_field_keeping_the_rest() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;

    let response = app
        .add_employee(
            &lr,
            None,
            "mara\u{0}@example.it",
            "mara.verdi",
            "utilizzatore",
            "save",
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"id="email-error""#), "{page}");
    assert!(
        page.contains("caratteri"),
        "the Italian message names the characters"
    );
    assert!(
        page.contains(r#"value="mara.verdi""#),
        "the username typed is kept"
    );
    let users = app
        .count("SELECT count(*) FROM users WHERE username = 'mara.verdi'")
        .await;
    assert_eq!(users, 0);
}

/// The ids of the rows a search of the list shows, and its total.
async fn found(lr: &crate::helpers::Browser, q: &str) -> (i64, Vec<String>) {
    let query: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let (status, page) = lr.get_html(&format!("{GU}?q={query}")).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let ids = rows(&page)
        .into_iter()
        .map(|r| {
            if r.user_id.is_empty() {
                r.line_id
            } else {
                r.user_id
            }
        })
        .collect();
    (data_total(&page), ids)
}

#[tokio::test]
async fn a_search_mixing_letters_and_digits_matches_names_emails_and_usernames_only() {
    // Every number of the company contains a "1": the digits of "abc1" alone used to be
    // searched in the numbers, and found nearly every row.
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let abc1 = app
        .seed_user(
            company.company_id,
            "abc1.neri@example.it",
            Some("+393471234561"),
            "utilizzatore",
            "attivo",
        )
        .await;
    app.seed_user(
        company.company_id,
        "carla.blu@example.it",
        Some("+393471111111"),
        "utilizzatore",
        "attivo",
    )
    .await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    let abc1_only = (1, vec![abc1.id.to_string()]);

    assert_eq!(found(&lr, "abc1").await, abc1_only);
    assert_eq!(found(&lr, "ABC1.N").await, abc1_only);
    let (_, page) = lr.get_html(&format!("{GU}?q=abc1")).await;
    assert_eq!(data_count(&page, "attivo"), 1, "the counts agree");
    assert_eq!(data_count(&page, "da_registrare"), 0);

    // A number, whole or in part, as people type it, still finds its line.
    let second_line = app.line_id(LINES_A[1]).await.to_string();
    assert_eq!(found(&lr, "2234").await, (1, vec![second_line.clone()]));
    assert_eq!(found(&lr, "+39 340 111 2234").await, (1, vec![second_line]));
    let (all, _) = found(&lr, "1").await;
    assert_eq!(all, 5, "two lines, three mobiles: all contain a 1");
}
