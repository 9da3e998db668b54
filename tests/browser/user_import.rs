//! "Importa da CSV" (Gestione Utenze, CONTRACT.md §4c) in a real browser: the legal
//! representative opens the page from the toolbar, chooses a file in the page's file input,
//! reads the preview (a valid row, a row with its error in words), saves and registers the
//! valid ones and lands on Gestione Utenze with the message. Every page is checked with
//! axe-core at 320, 390 and 1280 px and screenshotted (`importa-anteprima` is the preview).

use crate::chrome::{Driver, Js, VIEWPORTS};
use crate::helpers::{GU, LR_EMAIL, LR_MOBILE, PASSWORD, spawn_app};
use crate::seeds::COMPANY_A;
use crate::steps::log_in;

const GIULIA: &str = "giulia.bianchi@example.it";
const MARCO: &str = "marco.neri@example.it";

/// A file of this test run, removed when dropped.
struct CsvOnDisk(std::path::PathBuf);

impl CsvOnDisk {
    fn new(text: &str) -> CsvOnDisk {
        let path = std::env::temp_dir().join(format!("utenze-{}.csv", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).expect("write the CSV file");
        CsvOnDisk(path)
    }
}

impl Drop for CsvOnDisk {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_legal_representative_imports_employees_from_a_csv_file() {
    let app = spawn_app().await;
    let driver = Driver::start();
    app.seed_company(&COMPANY_A).await;
    let file = CsvOnDisk::new(&format!(
        "\u{feff}mobile;email;username;profile;first_name;last_name\r\n\
         347 123 4501;{GIULIA};{GIULIA};Amministratore Light;Giulia;Bianchi\r\n\
         ;{MARCO};marco.neri;Utilizzatore;Marco;Neri\r\n\
         ;non-una-email;x;Capo;;\r\n"
    ));
    let page = driver.open(&app.address, Js::Enabled).await;
    log_in(&app, &page, (LR_EMAIL, PASSWORD), Some(LR_MOBILE), None).await;

    page.goto(GU).await;
    page.wait_for_heading("Gestione Utenze").await;
    page.click_link("Importa da CSV").await;
    page.wait_for_heading("Importa utenze da CSV").await;
    page.check_at("importa-carica", &VIEWPORTS).await;

    page.find("input[type=file]#file")
        .await
        .send_keys(file.0.to_str().expect("a UTF-8 path"))
        .await
        .expect("choose the file");
    page.click_button("Carica e controlla").await;
    page.wait_for_heading("Anteprima dell'importazione").await;
    assert_eq!(
        page.attr(r#"tr[data-riga="2"]"#, "data-esito")
            .await
            .as_deref(),
        Some("valida")
    );
    assert_eq!(
        page.attr(r#"tr[data-riga="4"]"#, "data-esito")
            .await
            .as_deref(),
        Some("errore")
    );
    let errors = page.text(r#"tr[data-riga="4"] .row-errors"#).await;
    assert!(
        errors.contains("Inserisci un indirizzo e-mail valido"),
        "the error in words: {errors}"
    );
    assert!(page.text("caption").await.contains("Righe del file"));
    page.check_at("importa-anteprima", &VIEWPORTS).await;
    assert_eq!(
        app.count("SELECT count(*) FROM users").await,
        1,
        "nothing saved yet"
    );

    page.click_button("Salva e registra").await;
    page.wait_for_heading("Gestione Utenze").await;
    let notice = page.text(".notice").await;
    assert_eq!(
        notice,
        "Importate 2 utenze: abbiamo inviato l'e-mail con la username a 2 persone."
    );
    assert_eq!(page.path().await, GU);
    page.check_at("importa-fatto", &VIEWPORTS).await;
    for (email, username) in [(GIULIA, GIULIA), (MARCO, "marco.neri")] {
        app.smtp.wait_for_to(email).await;
        assert_eq!(app.user_state(username).await, "in_attesa");
    }
    page.close().await;
}
