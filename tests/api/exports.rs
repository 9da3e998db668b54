//! `export.csv` of Gestione Utenze (every line and user, the page's columns), formula
//! injection defused in every CSV, and who may download what.

use reqwest::StatusCode;

use crate::helpers::{Browser, GU, LINES_A, LR_EMAIL, LR_MOBILE, location_path, rows, spawn_app};

/// The body of a CSV download, BOM checked and taken off, parsed with its header.
async fn csv_of(response: reqwest::Response) -> (Vec<String>, Vec<Vec<String>>) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .expect("UTF-8 with BOM");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn add(lr: &Browser, first: &str, email: &str, profile: &str, action: &str) {
    let form = [
        ("first_name", first),
        ("last_name", "Bianchi"),
        ("mobile", ""),
        ("email", email),
        ("username", email),
        ("profile", profile),
        ("action", action),
    ];
    let done = lr.post_form(&format!("{GU}/aggiungi"), &form).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "{email} added");
}

#[tokio::test]
async fn the_export_lists_every_line_and_user_with_the_columns_of_the_page() {
    let app = spawn_app().await;
    let lr = app.logged_in_legal_representative().await;
    add(
        &lr,
        "Luca",
        "luca.bianchi@example.it",
        "amministratore_light",
        "save",
    )
    .await;

    let response = lr.get(&format!("{GU}/export.csv")).await;
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let (header, exported) = csv_of(response).await;
    let (_, page) = lr.get_html(GU).await;

    assert!(
        disposition.starts_with("attachment; filename=\"gestione-utenze-"),
        "{disposition}"
    );
    assert_eq!(
        header,
        [
            "Numero",
            "Utente",
            "E-mail",
            "Username",
            "Profilo",
            "Stato Registrazione",
            "E-mail username"
        ]
    );
    let numbers: Vec<&str> = exported.iter().map(|r| r[0].as_str()).collect();
    let on_page: Vec<String> = rows(&page)
        .iter()
        .map(|r| r.number().map(|n| format!("'{n}")).unwrap_or_default())
        .collect();
    assert_eq!(numbers, on_page, "the page's rows, in its order");
    assert_eq!(
        numbers,
        [
            format!("'{LR_MOBILE}").as_str(),
            &format!("'{}", LINES_A[0]),
            &format!("'{}", LINES_A[1]),
            ""
        ]
    );
    assert_eq!(
        exported[0][1..],
        [
            "Maria Rossi",
            LR_EMAIL,
            LR_EMAIL,
            "Rappresentante Legale",
            "Attivo",
            "Inviata"
        ]
    );
    assert_eq!(exported[1][5], "Da registrare", "a line with nobody yet");
    assert_eq!(
        exported[3][1..6],
        [
            "Luca Bianchi",
            "luca.bianchi@example.it",
            "luca.bianchi@example.it",
            "Amministratore Light",
            "Da registrare"
        ]
    );
}

#[tokio::test]
async fn cells_that_a_spreadsheet_would_run_as_formulas_start_with_an_apostrophe() {
    let app = spawn_app().await;
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    let formula = "=HYPERLINK(\"http://evil.example\";\"Apri\")";
    add(
        &lr,
        formula,
        "luca.bianchi@example.it",
        "utilizzatore",
        "save",
    )
    .await;
    add(&lr, "@SUM(A1)", "-anna@example.it", "utilizzatore", "save").await;

    let (_, roster) = csv_of(lr.get(&format!("{GU}/export.csv")).await).await;
    let (_, trail) = csv_of(lr.get(&format!("{GU}/registro.csv")).await).await;

    let names: Vec<&str> = roster.iter().map(|r| r[1].as_str()).collect();
    assert!(
        names.contains(&format!("'{formula} Bianchi").as_str()),
        "{names:?}"
    );
    assert!(names.contains(&"'@SUM(A1) Bianchi"), "{names:?}");
    let anna = roster.iter().find(|r| r[1] == "'@SUM(A1) Bianchi").unwrap();
    assert_eq!(
        (anna[2].as_str(), anna[3].as_str()),
        ("'-anna@example.it", "'-anna@example.it")
    );
    let whom: Vec<&str> = trail.iter().map(|r| r[2].as_str()).collect();
    assert!(
        whom.contains(&format!("'{formula} Bianchi").as_str()),
        "{whom:?}"
    );
    let starts = |c: &str| c.starts_with(['=', '+', '-', '@']);
    assert!(
        roster
            .iter()
            .chain(&trail)
            .flatten()
            .all(|cell| !starts(cell)),
        "no cell opens as a formula"
    );
}

#[tokio::test]
async fn downloads_follow_who_may_see_the_page_and_the_registro() {
    let app = spawn_app().await;
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    let full = app
        .seeded_employee_logged_in(
            LR_EMAIL,
            "full@example.it",
            Some("+393471112222"),
            "amministratore_full",
        )
        .await;
    let light = app
        .seeded_employee_logged_in(LR_EMAIL, "light@example.it", None, "amministratore_light")
        .await;
    let user = app
        .seeded_employee_logged_in(LR_EMAIL, "user@example.it", None, "utilizzatore")
        .await;
    let other = app.seeded_second_company().await;
    let registro = format!("{GU}/registro");
    let registro_csv = format!("{GU}/registro.csv");
    let export = format!("{GU}/export.csv");

    let status = async |b: &Browser, path: &str| b.get(path).await.status();
    assert_eq!(
        status(&full, &export).await,
        StatusCode::OK,
        "Amministratore Full reads the list"
    );
    for path in [&registro, &registro_csv] {
        assert_eq!(
            status(&full, path).await,
            StatusCode::NOT_FOUND,
            "{path}: the legal representative's"
        );
        assert_eq!(status(&lr, path).await, StatusCode::OK, "{path}");
    }
    for browser in [&light, &user] {
        for path in [&export, &registro, &registro_csv] {
            assert_eq!(status(browser, path).await, StatusCode::NOT_FOUND, "{path}");
        }
    }
    let anonymous = Browser::new(&app.address);
    for path in [&export, &registro_csv] {
        let response = anonymous.get(path).await;
        assert_eq!(
            (response.status(), location_path(&response)),
            (StatusCode::SEE_OTHER, "/accedi".to_owned())
        );
    }
    let (_, theirs) = csv_of(other.get(&export).await).await;
    let (_, their_trail) = csv_of(other.get(&registro_csv).await).await;
    assert!(
        theirs
            .iter()
            .flatten()
            .all(|c| !c.contains("example.it") || c.contains("luca.verdi"))
    );
    assert!(
        their_trail
            .iter()
            .flatten()
            .all(|c| !c.contains(LR_EMAIL) && !c.contains("full@")),
        "nothing of another company"
    );
}
