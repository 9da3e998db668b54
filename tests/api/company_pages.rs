//! `/area-clienti/linee` and `/area-clienti/profili` (issue 15): an Amministratore Light
//! sees the company's lines, as PRODUCT.md's matrix says, and the Profili page tells every
//! profile what it may do, from the same rules the pages apply.

use reqwest::StatusCode;

use crate::helpers::{GU, LINES_A, shown, spawn_app, texts};

#[tokio::test]
async fn an_amministratore_light_sees_every_line_and_an_utilizzatore_only_their_own() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    let light = app
        .employee_logged_in(&lr, "anna.light@example.it", None, "amministratore_light")
        .await;
    let user = app
        .employee_logged_in(
            &lr,
            "piero.user@example.it",
            Some(LINES_A[1]),
            "utilizzatore",
        )
        .await;

    let (status, page) = light.get_html("/area-clienti/linee").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let cells = texts(&page, "td[data-label=Numero]");
    let mut all: Vec<String> = LINES_A.iter().map(|n| shown(n)).collect();
    all.sort();
    assert_eq!(cells, all, "every line of the company, by number");
    assert!(page.contains("Non ancora assegnata") && page.contains("Assegnata"));
    // Lines, not people: the Light profile does not see Gestione Utenze's users.
    assert!(!page.contains("piero.user@example.it"));
    assert_eq!(light.get(GU).await.status(), StatusCode::NOT_FOUND);
    let (_, profile) = light.get_html("/area-clienti/profilo").await;
    assert!(
        profile.contains(r#"href="/area-clienti/linee""#),
        "{profile}"
    );

    assert_eq!(
        user.get("/area-clienti/linee").await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, own) = user.get_html("/area-clienti/profilo").await;
    assert!(!own.contains(r#"href="/area-clienti/linee""#));
    assert!(own.contains(&shown(LINES_A[1])), "their own line: {own}");
}

#[tokio::test]
async fn the_lines_page_pages_through_a_large_company() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    app.more_lines_for_company_a(120).await;

    let (_, first) = lr.get_html("/area-clienti/linee").await;
    assert_eq!(texts(&first, "td[data-label=Numero]").len(), 50);
    assert!(first.contains("122 linee attive: pagina 1 di 3"), "{first}");
    let (_, last) = lr.get_html("/area-clienti/linee?pagina=3").await;
    assert_eq!(texts(&last, "td[data-label=Numero]").len(), 22);
    assert!(last.contains(r#"href="/area-clienti/linee?pagina=2""#));
    // Past the end, or unreadable: a page that exists.
    let (status, beyond) = lr.get_html("/area-clienti/linee?pagina=99999").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&beyond, "td[data-label=Numero]").len(), 22);
}

#[tokio::test]
async fn profili_explains_each_profile_from_the_permission_rules() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    let (status, page) = lr.get_html("/area-clienti/profili").await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let headers = texts(&page, "table.matrix thead th");
    assert_eq!(
        headers,
        [
            "Attività",
            "Rappresentante Legale",
            "Amministratore Full",
            "Amministratore Light",
            "Utilizzatore"
        ]
    );
    let row = |starts: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(&page);
        let tr = scraper::Selector::parse("table.matrix tbody tr").unwrap();
        let td = scraper::Selector::parse("td").unwrap();
        doc.select(&tr)
            .find(|r| r.text().collect::<String>().starts_with(starts))
            .unwrap_or_else(|| panic!("a row for {starts}"))
            .select(&td)
            .map(|c| c.text().collect())
            .collect()
    };
    assert_eq!(
        row("Vedere i dati dell'azienda"),
        ["Sì", "Sì", "Sì", "Solo la propria linea"]
    );
    assert_eq!(
        row("Vedere Gestione Utenze"),
        ["Sì", "Sì, in sola lettura", "No", "No"]
    );
    assert_eq!(row("Aggiungere, registrare"), ["Sì", "No", "No", "No"]);
    // The reader's own profile is pointed out, and which ones need a second factor.
    assert!(page.contains("Rappresentante Legale</strong> (il tuo profilo)."));
    assert_eq!(page.matches("secondo fattore").count(), 2, "{page}");

    // Every profile choice links here (without losing the form: a new tab).
    let (_, add) = lr.get_html(&format!("{GU}/aggiungi")).await;
    assert!(
        add.contains(r#"href="/area-clienti/profili" target="_blank""#),
        "{add}"
    );
    // A back link only to a page of the customer area.
    let (_, back) = lr
        .get_html("/area-clienti/profili?da=/area-clienti/profilo")
        .await;
    assert!(
        back.contains(r#"href="/area-clienti/profilo">Torna"#),
        "{back}"
    );
    let (_, hostile) = lr
        .get_html("/area-clienti/profili?da=https://evil.example/")
        .await;
    assert!(!hostile.contains("evil.example"));
}
