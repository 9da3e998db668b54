//! `area-clienti import FILE`: contracts from JSON Lines, idempotent, errors by line.

use std::process::Command;

use crate::helpers::{VAT_A, VAT_B, contract_body, spawn_app};

fn run_import(app: &crate::helpers::TestApp, file: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_area-clienti"))
        .args(["import", file.to_str().unwrap()])
        .env("DATABASE_URL", &app.database_url)
        .env("SMTP_URL", app.smtp.url())
        .env("SMS_GATEWAY_URL", app.sms.url())
        .env("PUBLIC_BASE_URL", crate::helpers::PUBLIC_BASE_URL)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn jsonl(bodies: &[serde_json::Value]) -> tempfile_path::TempFile {
    let text: String = bodies.iter().map(|b| format!("{b}\n")).collect();
    tempfile_path::TempFile::with_contents(&text)
}

#[tokio::test]
async fn import_records_every_contract_once_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    let file = jsonl(&[
        contract_body(
            "CTR-1",
            VAT_A,
            "maria.rossi@example.it",
            None,
            &["+393401112233", "+393401112234"],
        ),
        contract_body(
            "CTR-2",
            VAT_B,
            "luca.verdi@example.it",
            None,
            &["+393409998877"],
        ),
        contract_body(
            "CTR-3",
            VAT_A,
            "maria.rossi@example.it",
            None,
            &["+393401112235"],
        ),
    ]);

    let first = run_import(&app, file.path());
    let second = run_import(&app, file.path());

    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary = String::from_utf8_lossy(&first.stdout);
    assert!(
        summary.contains("3 contratti nuovi") && summary.contains("4 linee aggiunte"),
        "{summary}"
    );
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 contratti nuovi, 3 già presenti"));
    assert_eq!(app.count("SELECT count(*) FROM companies").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        2,
        "one username email per company"
    );
}

#[tokio::test]
async fn import_names_the_line_and_field_of_bad_input_and_fails() {
    let app = spawn_app().await;
    let mut bad = contract_body("CTR-2", "IT01234567890", "luca.verdi@example.it", None, &[]);
    bad["company"]["name"] = serde_json::json!("Verdi S.p.A.");
    let text = format!(
        "{}\n{}\n{{not json\n",
        contract_body("CTR-1", VAT_A, "maria.rossi@example.it", None, &[]),
        bad
    );
    let file = tempfile_path::TempFile::with_contents(&text);

    let output = run_import(&app, file.path());

    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("riga 2: company.vat_number"), "{errors}");
    assert!(errors.contains("riga 3:"), "{errors}");
    assert_eq!(
        app.count("SELECT count(*) FROM companies").await,
        1,
        "the good line is imported"
    );
}

/// A file in the system temp directory, removed on drop.
mod tempfile_path {
    pub struct TempFile(std::path::PathBuf);

    impl TempFile {
        pub fn with_contents(text: &str) -> TempFile {
            let path =
                std::env::temp_dir().join(format!("area-clienti-{}.jsonl", uuid::Uuid::new_v4()));
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }

        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}
