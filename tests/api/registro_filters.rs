//! The Registro attività's filters (person, kind of action, period in Italian days), its
//! pages, its refusals in Italian, and `registro.csv` with the same rows.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{GU, LR_EMAIL, TestApp, spawn_app, texts};
use crate::registro::{add_named, company_of, sentences};

const REGISTRO: &str = "/area-clienti/gestione-utenze/registro";

/// Writes `n` events of `action` at `at` minus i minutes (i = 0..n), as the portal would.
async fn events_at(app: &TestApp, company: Uuid, action: &str, at: &str, n: i32) {
    sqlx::query(
        "INSERT INTO audit_events (company_id, actor_label, action, details, created_at)
         SELECT $1, 'sistema', $2, jsonb_build_object('contract_id', 'CTR-' || i, 'lines_added', 1),
                $3::timestamptz - make_interval(mins => i)
         FROM generate_series(0, $4 - 1) i",
    )
    .bind(company)
    .bind(action)
    .bind(at)
    .bind(n)
    .execute(&app.pool)
    .await
    .unwrap();
}

fn links(html: &str, rel: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!(r#"a[rel="{rel}"]"#)).unwrap();
    doc.select(&selector)
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn person_action_and_period_filters_keep_only_their_events() {
    let app = spawn_app().await;
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    add_named(&lr, "Luca", "Bianchi", "luca.bianchi@example.it").await;
    add_named(&lr, "Anna", "Verdi", "anna.verdi@example.it").await;
    let company = company_of(&app, LR_EMAIL).await;
    // 23:59 and 00:00 in Rome on the night between 14 and 15 July (summer time, UTC+2).
    events_at(
        &app,
        company,
        "contratto_registrato",
        "2026-07-14 21:59:00+00",
        1,
    )
    .await;
    events_at(
        &app,
        company,
        "contratto_registrato",
        "2026-07-14 22:00:00+00",
        1,
    )
    .await;
    events_at(
        &app,
        company,
        "contratto_registrato",
        "2026-07-15 21:59:00+00",
        1,
    )
    .await;

    let (_, luca) = lr
        .get_html(&format!("{REGISTRO}?persona=LUCA.BIANCHI@example.it"))
        .await;
    let (_, users) = lr.get_html(&format!("{REGISTRO}?azione=utenti")).await;
    let (_, day) = lr
        .get_html(&format!(
            "{REGISTRO}?azione=contratti&dal=2026-07-15&al=15/07/2026"
        ))
        .await;

    assert_eq!(
        sentences(&luca),
        [
            "Maria Rossi ha aggiunto Luca Bianchi come Utilizzatore: e-mail: luca.bianchi@example.it; username: luca.bianchi@example.it"
        ]
    );
    assert_eq!(sentences(&users).len(), 2, "{:#?}", sentences(&users));
    assert!(sentences(&users).iter().all(|s| s.contains("ha aggiunto")));
    assert_eq!(
        texts(&day, r#"tr[data-evento] td[data-label="Quando"]"#),
        ["15/07/2026 alle 23:59", "15/07/2026 alle 00:00"],
        "a day is the day in Italy, both ends included"
    );
    assert!(
        day.contains(r#"value="2026-07-15""#),
        "the day as typed, kept in the form"
    );
    let (_, none) = lr.get_html(&format!("{REGISTRO}?azione=fattori")).await;
    assert!(sentences(&none).is_empty());
    assert!(texts(&none, "[data-vuoto]")[0].contains("Nessuna attività corrisponde"));
}

#[tokio::test]
async fn pages_of_fifty_newest_first_keep_the_filters_in_their_links() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let company = company_of(&app, LR_EMAIL).await;
    events_at(
        &app,
        company,
        "contratto_registrato",
        "2026-11-30 12:00:00+00",
        120,
    )
    .await;

    let (_, first) = lr.get_html(&format!("{REGISTRO}?azione=contratti")).await;
    let next = links(&first, "next");
    let (_, second) = lr.get_html(&next[0]).await;
    let (_, third) = lr
        .get_html(&format!("{REGISTRO}?azione=contratti&pagina=3"))
        .await;

    assert_eq!(sentences(&first).len(), 50);
    assert_eq!(next, [format!("{REGISTRO}?azione=contratti&pagina=2")]);
    assert!(links(&first, "prev").is_empty());
    assert_eq!(sentences(&second).len(), 50);
    assert_eq!(
        sentences(&first)[0],
        "Il sistema ha registrato il contratto CTR-0: 1 linea mobile aggiunta"
    );
    assert_eq!(
        sentences(&second)[0],
        "Il sistema ha registrato il contratto CTR-50: 1 linea mobile aggiunta"
    );
    assert_eq!(sentences(&third).len(), 20);
    assert!(links(&third, "next").is_empty(), "the last page");
    assert_eq!(
        links(&third, "prev"),
        [format!("{REGISTRO}?azione=contratti&pagina=2")]
    );
}

#[tokio::test]
async fn refused_filters_answer_the_page_with_an_italian_message_next_to_the_field() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let long = format!("persona={}", "a".repeat(300));
    for (query, field, message) in [
        (
            "persona=nessuno%40example.it",
            "persona",
            "Nessun utente dell'azienda",
        ),
        (long.as_str(), "persona", "al massimo 254 caratteri"),
        ("persona=a%0Ab", "persona", "Scrivi la username"),
        (
            "azione=%3Cscript%3E",
            "azione",
            "Scegli un tipo di attività",
        ),
        ("dal=31%2F02%2F2026", "dal", "gg/mm/aaaa"),
        ("al=domani", "al", "gg/mm/aaaa"),
        ("dal=2026-12-05&al=2026-12-01", "al", "viene prima"),
    ] {
        for path in [REGISTRO, &format!("{REGISTRO}.csv")] {
            let response = lr.get(&format!("{path}?{query}")).await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{query}"
            );
            let html = response.text().await.unwrap();
            let error = texts(&html, &format!("#{field}-error"));
            assert!(
                error.first().is_some_and(|e| e.contains(message)),
                "{path}?{query}: {error:?}"
            );
            assert!(
                sentences(&html).is_empty(),
                "no rows under a refused filter"
            );
        }
    }
    let (status, _) = lr
        .get_html(&format!(
            "{REGISTRO}?azione=accessi&azione=utenti&dal=%FF%FE"
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "undecodable, not a bare 400"
    );
}

#[tokio::test]
async fn the_csv_has_the_pages_rows_with_date_who_whom_and_action() {
    let app = spawn_app().await;
    app.leaves_messages_queued();
    let lr = app.seeded_legal_representative().await;
    add_named(&lr, "Luca", "Bianchi", "luca.bianchi@example.it").await;
    let id = app.user_id("luca.bianchi@example.it").await;
    lr.post_form(&format!("{GU}/utenti/{id}/registra"), &[])
        .await;

    let (_, page) = lr.get_html(&format!("{REGISTRO}?azione=utenti")).await;
    let response = lr
        .get(&format!("{REGISTRO}.csv?azione=registrazione"))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"registro-attivita-"),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .expect("UTF-8 with BOM");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "Data e ora",
            "Chi",
            "Utente",
            "Azione",
            "Descrizione",
            "Indirizzo di rete"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let described: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[1], &r[2], &r[3])).collect();
    assert_eq!(
        described,
        [
            ("Maria Rossi", "Luca Bianchi", "Utente registrato"),
            (
                "Maria Rossi",
                "Luca Bianchi",
                "E-mail con la username inviata"
            ),
        ]
    );
    assert_eq!(
        &rows[0][4],
        "Maria Rossi ha registrato Luca Bianchi (Utilizzatore)"
    );
    assert!(
        rows.iter()
            .all(|r| r[0].len() == 19 && r[0].as_bytes()[2] == b'/')
    );
    assert_eq!(
        sentences(&page).len(),
        1,
        "the page of the other group: Aggiungi"
    );
    let (_, all) = lr.get_html(REGISTRO).await;
    let everything = lr
        .get(&format!("{REGISTRO}.csv"))
        .await
        .bytes()
        .await
        .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&everything[3..]);
    let csv_sentences: Vec<String> = reader.records().map(|r| r.unwrap()[4].to_owned()).collect();
    assert_eq!(
        csv_sentences,
        sentences(&all),
        "the same sentences as the page"
    );
}
