//! Gestione Utenze, "Importa da CSV" (CONTRACT.md §4c): the legal representative uploads a
//! CSV of employees, sees every row checked as Aggiungi checks its form, and only the
//! confirmation writes (all valid rows in one transaction, an audit event each, the
//! username e-mails through the outbox to the real SMTP sink).
//!
//! (`import.rs` is the contracts' JSON Lines import of the CLI; this is the page's.)

use reqwest::StatusCode;
use scraper::{Html, Selector};
use time::Duration;

use crate::helpers::{
    Browser, GU, LINES_A, LINES_B, LR_EMAIL, PASSWORD, TestApp, hidden_input, location, spawn_app,
    targets, texts,
};
use crate::seeds::{COMPANY_A, COMPANY_B};
use crate::support::sms_gateway::code_in;

const PAGE: &str = "/area-clienti/gestione-utenze/importa";
const CONFIRM: &str = "/area-clienti/gestione-utenze/importa/conferma";
const HEADER: &str = "mobile;email;username;profile;first_name;last_name";
const BOUNDARY: &str = "----AreaClientiTestBoundary7MA4YWxk";

/// Uploads `file` through the page's form as a browser does (multipart, with the CSRF
/// token as a part).
async fn upload(browser: &Browser, file: &[u8]) -> reqwest::Response {
    let csrf = browser.csrf().await;
    upload_with_token(browser, file, &csrf).await
}

async fn upload_with_token(browser: &Browser, file: &[u8], csrf: &str) -> reqwest::Response {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"utenze.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    browser
        .client
        .post(format!("{}{PAGE}", browser.address))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The preview page of an upload that was accepted (status checked).
async fn preview(browser: &Browser, file: &str) -> String {
    let response = upload(browser, file.as_bytes()).await;
    let status = response.status();
    let html = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

/// A row of the preview table.
#[derive(Debug)]
struct PreviewRow {
    line: u64,
    valid: bool,
    errors: Vec<String>,
}

fn preview_rows(html: &str) -> Vec<PreviewRow> {
    let doc = Html::parse_document(html);
    let rows = Selector::parse("table.import-preview tr[data-riga]").unwrap();
    let errors = Selector::parse("ul.row-errors li").unwrap();
    doc.select(&rows)
        .map(|tr| PreviewRow {
            line: tr.value().attr("data-riga").unwrap().parse().unwrap(),
            valid: tr.value().attr("data-esito") == Some("valida"),
            errors: tr
                .select(&errors)
                .map(|e| e.text().collect::<String>().trim().to_owned())
                .collect(),
        })
        .collect()
}

fn row(rows: &[PreviewRow], line: u64) -> &PreviewRow {
    rows.iter()
        .find(|r| r.line == line)
        .unwrap_or_else(|| panic!("row {line} in {rows:?}"))
}

/// Whether one of the row's errors contains `text`.
fn says(row: &PreviewRow, text: &str) -> bool {
    row.errors.iter().any(|e| e.contains(text))
}

/// Posts the preview's confirm form with `action` (`register` or `save`).
async fn confirm(browser: &Browser, html: &str, action: &str) -> reqwest::Response {
    let id = hidden_input(html, "id").expect("the confirm form's id");
    browser
        .post_form(CONFIRM, &[("id", &id), ("action", action)])
        .await
}

/// The message the list shows after an action.
async fn flash_on_list(browser: &Browser) -> String {
    let (status, html) = browser.get_html(GU).await;
    assert_eq!(status, StatusCode::OK);
    texts(&html, ".notice p").join(" ")
}

fn employee(i: usize) -> String {
    format!("dipendente{i:02}@example.it")
}

/// `n` valid rows: the first on the company's line `LINES_A[0]`, half of them with a
/// mobile, profiles by Italian name and by code.
fn valid_file(n: usize) -> String {
    let mut file = format!("{HEADER}\n");
    for i in 0..n {
        let mobile = match i {
            0 => LINES_A[0].to_owned(),
            i if i % 2 == 0 => format!("347 100 {:04}", i),
            _ => String::new(),
        };
        let profile = [
            "Utilizzatore",
            "amministratore_light",
            "AMMINISTRATORE FULL",
        ][i % 3];
        file.push_str(&format!(
            "{mobile};{};{};{profile};Nome{i};Cognome{i}\n",
            employee(i),
            employee(i)
        ));
    }
    file
}

async fn users(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM users").await
}

async fn pending(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM pending_imports").await
}

#[tokio::test]
async fn thirty_rows_are_previewed_then_saved_and_registered_in_one_go() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let (status, list) = lr.get_html(GU).await;
    assert_eq!(status, StatusCode::OK);
    assert!(targets(&list).iter().any(|t| t == PAGE), "the toolbar link");
    let (status, page) = lr.get_html(PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"enctype="multipart/form-data""#), "{page}");
    assert!(page.contains(r#"type="file""#) && page.contains(r#"name="file""#));
    assert!(page.contains(r#"<label for="file">"#), "a labelled input");

    let before = app.state_snapshot().await;
    let html = preview(&lr, &valid_file(30)).await;
    let rows = preview_rows(&html);
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.valid), "{rows:?}");
    assert_eq!(rows[0].line, 2, "numbered as in the file (the header is 1)");
    assert_eq!(rows[29].line, 31);
    assert!(html.contains("<caption>"), "a table with a caption");
    assert_eq!(
        app.state_snapshot().await,
        before,
        "nothing written before confirm"
    );
    assert_eq!(pending(&app).await, 1, "the preview kept server-side");

    let done = confirm(&lr, &html, "register").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), GU);
    assert_eq!(
        flash_on_list(&lr).await,
        "Importate 30 utenze: abbiamo inviato l'e-mail con la username a 30 persone."
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE email LIKE 'dipendente%' AND state = 'in_attesa'"
        )
        .await,
        30
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'utente_aggiunto'")
            .await,
        30,
        "one audit event per user, as Aggiungi writes"
    );
    let tied = app.line_user(LINES_A[0]).await;
    assert_eq!(
        tied,
        Some(app.user_id(&employee(0)).await),
        "the line is tied"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'dipendente02@example.it' AND mobile = '+393471000002' AND profile = 'amministratore_full' AND first_name = 'Nome2'").await,
        1,
        "the row's data as written, the profile by its name"
    );
    app.run_pending_work().await;
    for i in 0..30 {
        let mail = app.username_email(&employee(i)).await;
        assert!(mail.text.contains(&employee(i)), "the username is stated");
    }
    assert_eq!(
        app.smtp.count().await,
        30,
        "30 username e-mails, nothing else"
    );
}

#[tokio::test]
async fn saving_without_registering_leaves_the_users_to_register_and_sends_nothing() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let html = preview(&lr, &valid_file(2)).await;
    let done = confirm(&lr, &html, "save").await;
    assert_eq!(location(&done), GU);
    assert_eq!(
        flash_on_list(&lr).await,
        "Importate 2 utenze: le trovi nell'elenco come «Da registrare»."
    );
    assert_eq!(app.user_state(&employee(1)).await, "da_registrare");
    app.run_pending_work().await;
    assert_eq!(app.smtp.count().await, 0);
}

#[tokio::test]
async fn a_wrong_header_is_one_clear_message_and_no_rows() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    for header in [
        "mobile;email;username;profile",
        "cellulare;email;username;profilo;nome;cognome",
        "",
    ] {
        let file = format!("{header}\n;a@example.it;aaa;Utilizzatore;;\n");
        let response = upload(&lr, file.as_bytes()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        let error = texts(&html, "#file-error").join(" ");
        assert!(
            error.contains("La prima riga del file deve contenere le colonne mobile;email;username;profile;first_name;last_name"),
            "{header:?}: {error}"
        );
        assert!(preview_rows(&html).is_empty());
        assert!(html.contains(r#"type="file""#), "the form again");
        assert!(texts(&html, ".error-summary li").len() == 1, "one message");
    }
    assert_eq!(pending(&app).await, 0);
}

#[tokio::test]
async fn bad_rows_are_shown_with_the_italian_messages_of_the_add_form() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let file = format!(
        "{HEADER}\n\
         ;buona@example.it;buona@example.it;Utilizzatore;Anna;Rossi\n\
         12345;cattivo.mobile@example.it;cattivo.mobile;Utilizzatore;;\n\
         ;non-una-email;cattiva.email;Utilizzatore;;\n\
         ;cattivo.username@example.it;ab;Utilizzatore;;\n\
         ;cattivo.profilo@example.it;cattivo.profilo;Capo;;\n\
         ;;;;Solo;Nome\n\
         ;rl@example.it;rl@example.it;Rappresentante Legale;;\n\
         ;corta@example.it;corta\n\
         ;lungo@example.it;lungo;Utilizzatore;{};\n",
        "x".repeat(101)
    );
    let html = preview(&lr, &file).await;
    let rows = preview_rows(&html);
    assert_eq!(rows.len(), 9);
    assert!(row(&rows, 2).valid);
    let mobile = row(&rows, 3);
    assert!(!mobile.valid);
    assert!(
        says(
            mobile,
            "Numero di cellulare: Inserisci un numero di cellulare valido"
        ),
        "{mobile:?}"
    );
    assert!(says(
        row(&rows, 4),
        "Indirizzo e-mail: Inserisci un indirizzo e-mail valido, ad esempio nome@azienda.it"
    ));
    assert!(says(
        row(&rows, 5),
        "Username: La username deve avere almeno 3 caratteri"
    ));
    let profile =
        "Profilo: Scegli un profilo tra Amministratore Full, Amministratore Light e Utilizzatore";
    assert!(says(row(&rows, 6), profile));
    let missing = row(&rows, 7);
    assert!(
        says(missing, "Indirizzo e-mail: Il campo è obbligatorio"),
        "{missing:?}"
    );
    assert!(says(missing, "Username: Il campo è obbligatorio"));
    assert!(says(missing, "Profilo: Il campo è obbligatorio"));
    assert!(
        says(row(&rows, 8), profile),
        "a profile nobody may give here"
    );
    assert!(says(row(&rows, 9), "La riga ha 3 valori invece di 6"));
    assert!(says(
        row(&rows, 10),
        "Nome: Il testo è troppo lungo (massimo 100 caratteri)"
    ));
    assert!(rows.iter().skip(1).all(|r| !r.valid));
    // The summary names each wrong row, in text.
    let summary = texts(&html, ".error-summary li").join("\n");
    assert!(
        summary.contains("Riga 3:") && summary.contains("Riga 10:"),
        "{summary}"
    );
    assert!(html.contains("8 con errori"), "{html}");

    // Only the valid row is saved.
    let done = confirm(&lr, &html, "save").await;
    assert_eq!(location(&done), GU);
    assert_eq!(
        flash_on_list(&lr).await,
        "Importata 1 utenza: la trovi nell'elenco come «Da registrare»."
    );
    assert_eq!(app.user_state("buona@example.it").await, "da_registrare");
    assert_eq!(
        users(&app).await,
        2,
        "the legal representative and the valid row"
    );
}

#[tokio::test]
async fn duplicates_inside_the_file_and_against_the_database_name_where_they_are() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let other = app.seed_company(&COMPANY_B).await;
    let saved = app
        .add_employee(
            &lr,
            Some("+393479990001"),
            "gia.presente@example.it",
            "gia.presente",
            "utilizzatore",
            "save",
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let file = format!(
        "{HEADER}\n\
         3471112222;nuovo@example.it;Nuovo.Utente;Utilizzatore;;\n\
         ;altro@example.it;nuovo.utente;Utilizzatore;;\n\
         ;NUOVO@example.it;terzo.utente;Utilizzatore;;\n\
         +39 347 111 2222;quarto@example.it;quarto.utente;Utilizzatore;;\n\
         ;quinto@example.it;{};Utilizzatore;;\n\
         ;gia.presente@example.it;sesto.utente;Utilizzatore;;\n\
         +393479990001;settimo@example.it;settimo.utente;Utilizzatore;;\n\
         {};ottavo@example.it;ottavo.utente;Utilizzatore;;\n\
         ;nono@example.it;GIA.PRESENTE;Utilizzatore;;\n",
        other.legal_rep.username, LINES_B[0]
    );
    let html = preview(&lr, &file).await;
    let rows = preview_rows(&html);
    assert!(row(&rows, 2).valid, "{rows:?}");
    assert!(
        says(
            row(&rows, 3),
            "Username: Username già presente alla riga 2 del file."
        ),
        "{rows:?}"
    );
    assert!(says(
        row(&rows, 4),
        "Indirizzo e-mail: Indirizzo e-mail già presente alla riga 2 del file."
    ));
    assert!(says(
        row(&rows, 5),
        "Numero di cellulare: Numero di cellulare già presente alla riga 2 del file."
    ));
    let taken = "Username: Username già in uso: scegline un'altra";
    assert!(
        says(row(&rows, 6), taken),
        "another company's username: {rows:?}"
    );
    assert!(says(
        row(&rows, 7),
        "Questo indirizzo e-mail è già di un utente dell'azienda"
    ));
    assert!(says(
        row(&rows, 8),
        "Questo numero è già di un utente dell'azienda"
    ));
    assert!(
        says(row(&rows, 9), "Questo numero non può essere usato"),
        "another company's line"
    );
    assert!(says(row(&rows, 10), taken), "any case");
    assert_eq!(rows.iter().filter(|r| r.valid).count(), 1);
}

#[tokio::test]
async fn a_5_mb_upload_gets_a_clean_italian_page_with_the_form_and_nothing_is_written() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let before = app.state_snapshot().await;
    let mut file = format!("{HEADER}\n").into_bytes();
    while file.len() < 5 * 1024 * 1024 {
        file.extend_from_slice(b";riga@example.it;riga;Utilizzatore;Nome;Cognome\n");
    }
    let response = upload(&lr, &file).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    let error = texts(&html, "#file-error").join(" ");
    assert!(
        error.contains("Il file supera la dimensione massima di 1 MB"),
        "{html}"
    );
    assert!(
        html.contains(r#"type="file""#),
        "the form, to choose another file"
    );
    assert_eq!(app.state_snapshot().await, before);
    assert_eq!(pending(&app).await, 0);

    // Just over 1 MB of file is refused the same way; the browser's session goes on.
    let mut file = format!("{HEADER}\n").into_bytes();
    file.resize(1024 * 1024 + 1, b' ');
    let response = upload(&lr, &file).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(lr.get_html(PAGE).await.0, StatusCode::OK);
}

#[tokio::test]
async fn more_than_500_rows_are_refused_with_a_message_and_nothing_is_kept() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let mut file = format!("{HEADER}\n");
    for i in 0..501 {
        file.push_str(&format!(
            ";p{i}@example.it;p{i}@example.it;Utilizzatore;;\n"
        ));
    }
    let response = upload(&lr, file.as_bytes()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let error = texts(&html, "#file-error").join(" ");
    assert!(
        error.contains("501 righe") && error.contains("al massimo se ne possono importare 500"),
        "{error}"
    );
    assert_eq!(pending(&app).await, 0);

    // 500 are fine.
    let mut file = format!("{HEADER}\n");
    for i in 0..500 {
        file.push_str(&format!(
            ";p{i}@example.it;p{i}@example.it;Utilizzatore;;\n"
        ));
    }
    let html = preview(&lr, &file).await;
    assert_eq!(preview_rows(&html).iter().filter(|r| r.valid).count(), 500);
}

#[tokio::test]
async fn a_second_confirmation_of_the_same_preview_does_nothing() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let html = preview(&lr, &valid_file(3)).await;
    let first = confirm(&lr, &html, "register").await;
    assert_eq!(location(&first), GU);
    assert!(flash_on_list(&lr).await.starts_with("Importate 3 utenze"));
    app.run_pending_work().await;
    let after_first = app.state_snapshot().await;

    for action in ["register", "save"] {
        let again = confirm(&lr, &html, action).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            flash_on_list(&lr).await,
            "Questa importazione era già stata salvata: non abbiamo aggiunto nulla di nuovo."
        );
    }
    app.run_pending_work().await;
    assert_eq!(app.state_snapshot().await, after_first);
    assert_eq!(app.smtp.count().await, 3, "each e-mail once");
}

#[tokio::test]
async fn another_company_cannot_confirm_a_preview_nor_can_a_made_up_id() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let other = app.seeded_second_company().await;
    let html = preview(&lr, &valid_file(2)).await;
    let id = hidden_input(&html, "id").unwrap();
    let before = app.state_snapshot().await;

    for (who, id) in [
        (&other, id.as_str()),
        (&lr, "6f1c0c1e-8d2b-4f51-9d0a-4a3b2c1d0e9f"),
        (&lr, "non-un-id"),
    ] {
        let refused = who
            .post_form(CONFIRM, &[("id", id), ("action", "register")])
            .await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(app.state_snapshot().await, before, "nothing changed");

    // The owner's preview is still there to confirm.
    let done = confirm(&lr, &html, "save").await;
    assert_eq!(location(&done), GU);
    assert_eq!(app.user_state(&employee(0)).await, "da_registrare");
}

#[tokio::test]
async fn a_utilizzatore_or_an_amministratore_full_cannot_import() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let html = preview(&lr, &valid_file(1)).await;
    let id = hidden_input(&html, "id").unwrap();
    for (profile, mobile) in [
        ("utilizzatore", "+393479990098"),
        ("amministratore_full", "+393479990099"),
    ] {
        let email = format!("{profile}@example.it");
        let employee = app
            .seeded_employee_logged_in(LR_EMAIL, &email, Some(mobile), profile)
            .await;
        let before = app.state_snapshot().await;
        // Refused as every Gestione Utenze action above one's profile: 404, nothing leaks.
        assert_eq!(employee.get(PAGE).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            employee.get(&format!("{PAGE}/esempio.csv")).await.status(),
            StatusCode::NOT_FOUND
        );
        let uploaded = upload(&employee, valid_file(1).as_bytes()).await;
        assert_eq!(uploaded.status(), StatusCode::NOT_FOUND, "{profile}");
        let confirmed = employee
            .post_form(CONFIRM, &[("id", &id), ("action", "register")])
            .await;
        assert_eq!(confirmed.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.state_snapshot().await, before);
        let (_, list) = employee.get_html(GU).await;
        assert!(!list.contains(PAGE), "no link for {profile}");
    }
    assert_eq!(pending(&app).await, 1, "only the legal representative's");
}

#[tokio::test]
async fn semicolons_commas_a_bom_and_loose_headers_are_all_accepted() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let files = [
        format!("\u{feff}{HEADER}\r\n;a1@example.it;a1@example.it;Utilizzatore;Anna;Rossi\r\n"),
        "mobile,email,username,profile,first_name,last_name\n3471230001,a2@example.it,a2@example.it,utilizzatore,\"Rossi, Anna\",\n".to_owned(),
        "\u{feff} Email , MOBILE ,Username,PROFILE,First_Name,Last_Name\n a3@example.it ,,a3@example.it,Amministratore light,,\n".to_owned(),
    ];
    for file in files {
        let html = preview(&lr, &file).await;
        let rows = preview_rows(&html);
        assert_eq!(rows.len(), 1, "{file:?}");
        assert!(rows[0].valid, "{file:?}: {rows:?}");
    }
}

#[tokio::test]
async fn the_sample_file_has_the_header_and_two_rows_that_import() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let response = lr.get(&format!("{PAGE}/esempio.csv")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let sample = response.text().await.unwrap();
    let lines: Vec<&str> = sample.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{sample}");
    assert_eq!(lines[0], HEADER);
    let html = preview(&lr, &sample).await;
    let rows = preview_rows(&html);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.valid), "{rows:?}");
}

#[tokio::test]
async fn an_upload_without_the_session_token_or_without_a_file_is_refused() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let forged = upload_with_token(&lr, valid_file(1).as_bytes(), "falso").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let empty = upload(&lr, b"").await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = empty.text().await.unwrap();
    assert!(!texts(&html, "#file-error").is_empty(), "{html}");
    assert_eq!(pending(&app).await, 0);
}

/// Confirms the identity of the legal representative of COMPANY_A at `/accedi/conferma`
/// (password, then the SMS code); answers where the portal goes next.
async fn confirm_identity(app: &TestApp, lr: &Browser) -> String {
    let right = lr
        .post_form("/accedi/conferma", &[("password", PASSWORD)])
        .await;
    assert_eq!(location(&right), "/accedi/verifica");
    lr.post_form("/accedi/verifica/sms", &[]).await;
    let mobile: String = sqlx::query_scalar("SELECT mobile FROM users WHERE email = $1")
        .bind(LR_EMAIL)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let code = code_in(&app.sms_to(&mobile).await.text);
    let verified = lr.post_form("/accedi/verifica", &[("code", &code)]).await;
    location(&verified)
}

#[tokio::test]
async fn after_fifteen_minutes_an_upload_asks_for_step_up_and_comes_back_to_the_page() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    app.advance_clock(Duration::minutes(16));
    assert_eq!(lr.get_html(PAGE).await.0, StatusCode::OK, "the page opens");

    let asked = upload(&lr, valid_file(2).as_bytes()).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&asked), "/accedi/conferma");
    assert_eq!(pending(&app).await, 0, "nothing kept");

    assert_eq!(
        confirm_identity(&app, &lr).await,
        "/accedi/conferma/riprendi"
    );
    let resumed = lr.get("/accedi/conferma/riprendi").await;
    assert_eq!(resumed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resumed),
        PAGE,
        "the upload page, to choose the file again"
    );
    let html = preview(&lr, &valid_file(2)).await;
    assert_eq!(preview_rows(&html).len(), 2);
}

#[tokio::test]
async fn an_expired_preview_saves_nothing_and_says_to_upload_again() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let html = preview(&lr, &valid_file(2)).await;
    app.advance_clock(Duration::minutes(31));

    let asked = confirm(&lr, &html, "register").await;
    assert_eq!(location(&asked), "/accedi/conferma", "step-up first");
    assert_eq!(
        confirm_identity(&app, &lr).await,
        "/accedi/conferma/riprendi"
    );
    let (_, resume) = lr.get_html("/accedi/conferma/riprendi").await;
    assert!(resume.contains(CONFIRM), "the kept confirmation: {resume}");
    let expired = confirm(&lr, &resume, "register").await;
    assert_eq!(location(&expired), PAGE);
    let (_, page) = lr.get_html(PAGE).await;
    let notice = texts(&page, ".notice p").join(" ");
    assert!(notice.starts_with("L'anteprima è scaduta"), "{page}");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email LIKE 'dipendente%'")
            .await,
        0
    );
    assert_eq!(users(&app).await, 1, "the legal representative alone");
}

#[tokio::test]
async fn hostile_cells_are_refused_by_field_and_a_broken_upload_is_a_400() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let file = format!(
        "{HEADER}\n\
         ;nul@example.it;nul.user;Utilizzatore;An\u{0}na;\n\
         ;bidi\u{202e}@example.it;bidi.user;Utilizzatore;;\n\
         \u{1b}[31m;esc@example.it;esc.user\u{85};Utilizzatore;;\n"
    );
    let html = preview(&lr, &file).await;
    let rows = preview_rows(&html);
    assert_eq!(rows.len(), 3);
    assert!(
        says(
            row(&rows, 2),
            "Nome: Il testo contiene caratteri non ammessi"
        ),
        "{rows:?}"
    );
    assert!(!row(&rows, 3).valid && !row(&rows, 4).valid, "{rows:?}");
    assert_eq!(pending(&app).await, 0, "no valid row, nothing kept");

    let not_utf8 = upload(
        &lr,
        b"mobile;email;username;profile;first_name;last_name\n;\xff@x.it;u;u;;\n",
    )
    .await;
    assert_eq!(not_utf8.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = not_utf8.text().await.unwrap();
    assert!(
        texts(&html, "#file-error").join(" ").contains("UTF-8"),
        "{html}"
    );

    let broken = lr
        .client
        .post(format!("{}{PAGE}", lr.address))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body("csrf_token=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let urlencoded = lr.post_form(PAGE, &[("file", "mobile;email")]).await;
    assert_eq!(urlencoded.status(), StatusCode::BAD_REQUEST);
    assert_eq!(pending(&app).await, 0);
}
