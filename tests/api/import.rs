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
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
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
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
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

/// What the portal recorded for the company of `vat`, in a form that does not depend on
/// ids, names or numbers: users, their lines, links, messages, audit trail and counts.
async fn recorded_shape(app: &crate::helpers::TestApp, vat: &str) -> Vec<String> {
    sqlx::query_scalar(
        "WITH c AS (SELECT id FROM companies WHERE vat_number = $1)
         SELECT 'user ' || u.profile || ' ' || u.state || ' holds_line=' || u.holds_line
                || ' lines=' || (SELECT count(*) FROM mobile_lines l WHERE l.user_id = u.id)
         FROM users u, c WHERE u.company_id = c.id
         UNION ALL
         SELECT 'lines ' || count(*) || ' with referent ' || count(referent_email)
                || ' unassigned ' || count(*) FILTER (WHERE user_id IS NULL)
         FROM mobile_lines, c WHERE company_id = c.id
         UNION ALL
         SELECT 'token ' || purpose || ' live=' || (used_at IS NULL AND superseded_at IS NULL
                AND expires_at > now() + interval '6 days')
         FROM credential_tokens t, c WHERE t.company_id = c.id
         UNION ALL
         SELECT 'message ' || template || ' ' || channel || ' ' || state
                || ' to_legal_rep=' || (recipient = (SELECT email FROM users u
                    WHERE u.company_id = c.id AND profile = 'rappresentante_legale'))
         FROM outbox o, c WHERE o.company_id = c.id
         UNION ALL
         SELECT 'audit ' || actor_label || ' ' || action || ' ' || (details - 'contract_id' - 'email')::text
         FROM audit_events a, c WHERE a.company_id = c.id
         UNION ALL
         SELECT 'count ' || state || ' ' || n FROM roster_counts r, c WHERE r.company_id = c.id
         ORDER BY 1",
    )
    .bind(vat.trim_start_matches("IT"))
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn import_batches_record_new_companies_exactly_as_the_api_and_the_rest_one_by_one() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let mut first_of_a = contract_body(
        "CTR-A1",
        VAT_A,
        "maria.rossi@example.it",
        Some("+393401110001"),
        &["+393401110001", "+393401110002", "+393401110003"],
    );
    first_of_a["mobile_lines"][1]["referent"] = serde_json::json!({
        "first_name": "Luca", "last_name": "Bianchi", "email": "luca.bianchi@example.it",
        "profile": "amministratore_light"
    });
    let file = jsonl(&[
        first_of_a.clone(),
        contract_body(
            "CTR-B1",
            VAT_B,
            "luca.verdi@example.it",
            None,
            &["+393402220001"],
        ),
        // The same company again, a repeat and a number of another company: all in the
        // same batch as the contracts they depend on.
        contract_body(
            "CTR-A2",
            VAT_A,
            "maria.rossi@example.it",
            Some("+393401110001"),
            &["+393401110004"],
        ),
        contract_body(
            "CTR-B1",
            VAT_B,
            "luca.verdi@example.it",
            None,
            &["+393402220001"],
        ),
        contract_body(
            "CTR-C1",
            "07654321004",
            "anna.neri@example.it",
            None,
            &["+393402220001"],
        ),
    ]);

    let output = run_import(&app, file.path());

    let summary = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        summary.contains("3 contratti nuovi, 1 già presenti, 5 linee aggiunte"),
        "{summary}{errors}"
    );
    assert!(
        errors.contains("riga 5: mobile_lines[0].number"),
        "{errors}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM companies WHERE vat_number = '07654321004'")
            .await,
        0,
        "a refused contract leaves nothing behind"
    );

    // The same first contract for another company, through the API.
    let mut through_api = first_of_a;
    through_api["contract_id"] = serde_json::json!("CTR-D1");
    through_api["company"]["vat_number"] = serde_json::json!("02233445507");
    through_api["legal_representative"]["email"] = serde_json::json!("dario.gialli@example.it");
    through_api["legal_representative"]["mobile"] = serde_json::json!("+393403330001");
    through_api["mobile_lines"][0]["number"] = serde_json::json!("+393403330001");
    through_api["mobile_lines"][1]["number"] = serde_json::json!("+393403330002");
    through_api["mobile_lines"][1]["referent"]["email"] = serde_json::json!("elena.blu@example.it");
    through_api["mobile_lines"][2]["number"] = serde_json::json!("+393403330003");
    assert_eq!(app.post_contract(&through_api).await.status(), 201);
    let imported_b = recorded_shape(&app, VAT_B).await;
    assert!(
        imported_b.contains(&"lines 1 with referent 0 unassigned 1".to_owned()),
        "{imported_b:?}"
    );
    let mut imported_a = recorded_shape(&app, VAT_A).await;
    // Company A also got its second contract (one line more, one more audit event).
    assert!(
        imported_a.contains(&"lines 4 with referent 1 unassigned 3".to_owned()),
        "{imported_a:?}"
    );
    imported_a.retain(|r| {
        !r.starts_with("lines ")
            && !r.starts_with("count da_registrare")
            && !r.contains("\"lines_added\": 1")
    });
    let mut api_d = recorded_shape(&app, "02233445507").await;
    assert!(
        api_d.contains(&"lines 3 with referent 1 unassigned 2".to_owned()),
        "{api_d:?}"
    );
    assert!(
        api_d.contains(&"count da_registrare 2".to_owned()),
        "{api_d:?}"
    );
    api_d.retain(|r| !r.starts_with("lines ") && !r.starts_with("count da_registrare"));
    assert_eq!(imported_a, api_d);
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

#[tokio::test]
async fn import_applies_the_events_of_the_file_in_order_once() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let file = jsonl(&[
        contract_body(
            "CTR-1",
            VAT_A,
            "maria.rossi@example.it",
            None,
            &["+393401112233", "+393401112234"],
        ),
        serde_json::json!({ "type": "cessazione_linea", "number": "+393401112233",
                            "event_id": "EVT-1", "reason": "portabilita_uscente", "channel": "web" }),
        serde_json::json!({ "type": "rappresentante_legale", "vat_number": VAT_A, "event_id": "EVT-2",
                            "legal_representative": { "first_name": "Anna", "last_name": "Neri",
                                                      "email": "anna.neri@example.it" },
                            "previous": "amministratore_full" }),
        serde_json::json!({ "type": "contratto", "contract_id": "CTR-2", "channel": "web",
                            "company": { "name": "Verdi S.p.A.", "vat_number": VAT_B },
                            "legal_representative": { "first_name": "Luca", "last_name": "Verdi",
                                                      "email": "luca.verdi@example.it" } }),
        serde_json::json!({ "type": "cessazione_azienda", "vat_number": VAT_B, "event_id": "EVT-3" }),
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
        summary.contains("2 contratti nuovi") && summary.contains("3 eventi applicati"),
        "{summary}"
    );
    let summary = String::from_utf8_lossy(&second.stdout);
    assert!(
        summary.contains("0 contratti nuovi") && summary.contains("3 eventi già presenti"),
        "{summary}"
    );
    app.assert_holds(
        "SELECT (SELECT count(*) FROM mobile_lines) = 1
            AND (SELECT count(*) FROM ceased_lines WHERE reason = 'portabilita_uscente') = 1
            AND (SELECT profile = 'rappresentante_legale' FROM users WHERE username = 'anna.neri@example.it')
            AND (SELECT profile = 'amministratore_full' FROM users WHERE username = 'maria.rossi@example.it')
            AND (SELECT closed_at IS NOT NULL FROM companies WHERE name = 'Verdi S.p.A.')
            AND (SELECT count(*) FROM audit_events WHERE details->>'via' = 'import') = 4",
    )
    .await;
}

#[tokio::test]
async fn import_refuses_a_wrong_event_naming_its_line_and_field() {
    let app = spawn_app().await;
    let file = jsonl(&[
        serde_json::json!({ "type": "trasloco", "event_id": "E" }),
        serde_json::json!({ "type": "cessazione_linea", "number": "+393409999999",
                            "event_id": "E", "reason": "cessazione" }),
        serde_json::json!({ "type": "cessazione_azienda", "vat_number": VAT_A }),
    ]);

    let output = run_import(&app, file.path());

    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    for expected in ["riga 1: type:", "riga 2: number:", "riga 3: event_id:"] {
        assert!(errors.contains(expected), "{expected} in {errors}");
    }
}
