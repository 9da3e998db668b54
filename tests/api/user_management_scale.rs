//! Gestione Utenze for the biggest company (20,000 lines): pages of 50 in number order,
//! counts per state, search and filter, and nothing of another company ever shown.

use std::collections::HashSet;

use crate::helpers::{
    Browser, GU, LR_EMAIL, PASSWORD, Row, TestApp, VAT_A, VAT_B, contract_body, data_count,
    data_total, location, rows, spawn_app,
};
use reqwest::StatusCode;

const LINES: usize = 20_000;
const STATES: [&str; 4] = ["da_registrare", "in_attesa", "attivo", "disabilitato"];

/// One list page: its rows, the total and the counts per state.
struct Page {
    rows: Vec<Row>,
    total: i64,
    counts: Vec<i64>,
}

impl Page {
    fn numbers(&self) -> Vec<Option<String>> {
        self.rows.iter().map(Row::number).collect()
    }

    fn user_ids(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.user_id.clone()).collect()
    }
}

/// The list with query `query` (already URL-encoded), remembering every row seen.
async fn page(browser: &Browser, query: &str, seen: &mut Vec<Row>) -> Page {
    let (status, html) = browser.get_html(&format!("{GU}?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}");
    let found = rows(&html);
    assert!(
        found.len() <= 50,
        "{query}: at most 50 rows a page, got {}",
        found.len()
    );
    seen.extend(found.iter().cloned());
    Page {
        rows: found,
        total: data_total(&html),
        counts: STATES.iter().map(|s| data_count(&html, s)).collect(),
    }
}

/// Adds a user through Aggiungi with names, as the legal representative.
async fn add(
    lr: &Browser,
    mobile: &str,
    email: &str,
    username: &str,
    names: (&str, &str),
    action: &str,
) {
    let form = [
        ("mobile", mobile),
        ("email", email),
        ("username", username),
        ("profile", "utilizzatore"),
        ("first_name", names.0),
        ("last_name", names.1),
        ("action", action),
    ];
    let response = lr.post_form(&format!("{GU}/aggiungi"), &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{username} added");
}

async fn id(app: &TestApp, username: &str) -> String {
    app.user_id(username).await.to_string()
}

#[tokio::test]
async fn twenty_thousand_lines_are_paginated_counted_searched_and_filtered_within_the_company() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let numbers: Vec<String> = (0..LINES).map(|i| format!("+39340{i:07}")).collect();
    let all: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let response = app
        .post_contract(&contract_body("CTR-BIG", VAT_A, LR_EMAIL, None, &all))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let other = contract_body(
        "CTR-OTHER",
        VAT_B,
        "luca.verdi@example.it",
        None,
        &["+393410012345", "+393410019900"],
    );
    assert_eq!(
        app.post_contract(&other).await.status(),
        StatusCode::CREATED
    );
    let lr = Browser::new(&app.address);
    let mail = app.mail_to(LR_EMAIL).await;
    // Without a mobile, the legal representative enrols an app before anything else.
    assert_eq!(
        location(&app.activate(&lr, &mail, None, PASSWORD).await),
        "/area-clienti/sicurezza/attiva"
    );
    app.enrol_required_app(&lr).await;
    add(
        &lr,
        "+393400012345",
        "Anna.Verdi@Example.it",
        "anna.verdi",
        ("Anna", "Verdi"),
        "register",
    )
    .await;
    add(
        &lr,
        "",
        "bruno.neri@example.it",
        "bruno.neri",
        ("Bruno", "Neri"),
        "save",
    )
    .await;
    add(
        &lr,
        "",
        "carla.blu@studio-test.it",
        "carla.blu",
        ("Carla", "Blu"),
        "register",
    )
    .await;
    add(
        &lr,
        "+393400000007",
        "dario.gialli@example.it",
        "dario.gialli",
        ("Dario", "Gialli"),
        "save",
    )
    .await;
    let (anna, bruno, carla, dario, maria) = (
        id(&app, "anna.verdi").await,
        id(&app, "bruno.neri").await,
        id(&app, "carla.blu").await,
        id(&app, "dario.gialli").await,
        id(&app, LR_EMAIL).await,
    );
    let disabled = lr
        .post_form(&format!("{GU}/utenti/{dario}/disabilita"), &[])
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let mut seen = Vec::new();

    // Pages of 50: lines by number, then the users with no number by username.
    let first = page(&lr, "", &mut seen).await;
    assert_eq!(
        first.total, 20_003,
        "20,000 lines and 3 users without a line"
    );
    assert_eq!(
        first.counts,
        [19_999, 2, 1, 1],
        "per state: free lines and Bruno / Anna, Carla / Maria / Dario"
    );
    assert_eq!(
        first.numbers(),
        numbers[..50].iter().cloned().map(Some).collect::<Vec<_>>()
    );
    assert_eq!(
        first.rows[7].user_id, dario,
        "the line of Dario, in its place"
    );
    assert_eq!(first.rows[7].stato, "disabilitato");
    assert!(
        first
            .rows
            .iter()
            .filter(|r| r.user_id.is_empty())
            .all(|r| r.stato == "da_registrare" && !r.line_id.is_empty())
    );
    let middle = page(&lr, "pagina=200", &mut seen).await;
    assert_eq!(
        middle.numbers(),
        numbers[9_950..10_000]
            .iter()
            .cloned()
            .map(Some)
            .collect::<Vec<_>>()
    );
    let with_anna = page(&lr, "pagina=247", &mut seen).await;
    let row = with_anna
        .rows
        .iter()
        .find(|r| r.number().as_deref() == Some("+393400012345"))
        .expect("Anna's line on page 247");
    assert_eq!(
        (row.user_id.as_str(), row.stato.as_str()),
        (anna.as_str(), "in_attesa")
    );
    let last_lines = page(&lr, "pagina=400", &mut seen).await;
    assert_eq!(
        last_lines.numbers(),
        numbers[19_950..]
            .iter()
            .cloned()
            .map(Some)
            .collect::<Vec<_>>()
    );
    let last = page(&lr, "pagina=401", &mut seen).await;
    assert_eq!(
        last.user_ids(),
        [bruno.as_str(), carla.as_str(), maria.as_str()],
        "no number: last, by username"
    );
    assert!(
        last.rows
            .iter()
            .all(|r| r.line_id.is_empty() && r.number().is_none()),
        "{:#?}",
        last.rows
    );
    let beyond = page(&lr, "pagina=402", &mut seen).await;
    assert!(beyond.rows.is_empty(), "beyond the end: no rows");
    assert_eq!(beyond.total, 20_003);
    let odd = page(&lr, "pagina=abc&stato=boh", &mut seen).await;
    assert_eq!(
        (odd.total, odd.numbers()),
        (20_003, first.numbers()),
        "unknown stato and pagina: ignored"
    );

    // Search: number fragment, email, name, username; case-insensitive; with a state filter.
    let by_number = page(&lr, "q=0012345", &mut seen).await;
    assert_eq!(
        by_number.user_ids(),
        [anna.as_str()],
        "the other company's +393410012345 is not shown"
    );
    assert_eq!(
        (by_number.total, by_number.counts.clone()),
        (1, vec![0, 1, 0, 0])
    );
    let expected: Vec<Option<String>> = numbers
        .iter()
        .filter(|n| n.contains("00199"))
        .cloned()
        .map(Some)
        .collect();
    assert_eq!(expected.len(), 111);
    let fragment_1 = page(&lr, "q=00199", &mut seen).await;
    let fragment_3 = page(&lr, "q=00199&pagina=3", &mut seen).await;
    assert_eq!(fragment_1.total, 111);
    assert_eq!(fragment_1.counts, [111, 0, 0, 0]);
    assert_eq!(fragment_1.numbers(), expected[..50]);
    assert_eq!(
        fragment_3.numbers(),
        expected[100..],
        "the other company's +393410019900 is not shown"
    );
    for (query, who) in [
        ("q=ANNA.VERDI%40EXAMPLE.IT", &anna),
        ("q=verdi", &anna),
        ("q=Bruno", &bruno),
        ("q=NERI", &bruno),
        ("q=studio-test", &carla),
        ("q=Carla.Blu", &carla),
        ("q=gialli", &dario),
    ] {
        let found = page(&lr, query, &mut seen).await;
        assert_eq!(found.user_ids(), [who.as_str()], "{query}");
        assert_eq!(found.total, 1, "{query}");
    }
    let waiting = page(&lr, "stato=in_attesa", &mut seen).await;
    assert_eq!(
        waiting.user_ids(),
        [anna.as_str(), carla.as_str()],
        "Anna's line first, Carla with no number after"
    );
    assert_eq!(
        (waiting.total, waiting.counts.clone()),
        (2, vec![19_999, 2, 1, 1]),
        "counts ignore stato"
    );
    assert_eq!(
        page(&lr, "stato=disabilitato", &mut seen).await.user_ids(),
        [dario.as_str()]
    );
    assert_eq!(
        page(&lr, "stato=attivo", &mut seen).await.user_ids(),
        [maria.as_str()]
    );
    let to_register = page(&lr, "stato=da_registrare&pagina=400", &mut seen).await;
    assert_eq!(to_register.total, 19_999);
    assert_eq!(
        to_register.rows.len(),
        49,
        "19,999 rows: 399 full pages and 49"
    );
    assert_eq!(
        to_register.rows.last().unwrap().user_id,
        bruno,
        "Bruno, saved and without a number, last"
    );
    let verdi_waiting = page(&lr, "q=verdi&stato=in_attesa", &mut seen).await;
    assert_eq!(verdi_waiting.user_ids(), [anna.as_str()]);
    let verdi_active = page(&lr, "q=verdi&stato=attivo", &mut seen).await;
    assert!(verdi_active.rows.is_empty());
    assert_eq!(
        (verdi_active.total, verdi_active.counts.clone()),
        (0, vec![0, 1, 0, 0])
    );
    assert_eq!(
        page(&lr, "q=0012345&stato=da_registrare", &mut seen)
            .await
            .total,
        0
    );

    // Nothing of the other company, in anything shown above.
    let others: HashSet<String> = sqlx::query_scalar(
        "SELECT u.id::text FROM users u JOIN companies c ON c.id = u.company_id WHERE c.vat_number = $1
         UNION ALL SELECT l.id::text FROM mobile_lines l JOIN companies c ON c.id = l.company_id WHERE c.vat_number = $1",
    )
    .bind(VAT_B.trim_start_matches("IT"))
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        others.len(),
        3,
        "the other company has a user and two lines"
    );
    for row in &seen {
        assert!(
            !others.contains(&row.user_id) && !others.contains(&row.line_id),
            "another company's row: {row:?}"
        );
        assert!(
            !row.shows("+39 341") && !row.shows("luca.verdi"),
            "another company's data: {row:?}"
        );
    }
}
