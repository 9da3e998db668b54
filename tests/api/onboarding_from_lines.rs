//! A company onboards its people from the lines of its contracts: lines with a contract
//! referent are selected and registered in one go.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, VAT_A, location, spawn_app, texts};

const LR_EMAIL: &str = "maria.rossi@example.it";
const LR_MOBILE: &str = "+393331234567";

#[tokio::test]
async fn lines_with_a_referent_are_registered_in_one_go_and_the_rest_are_listed_to_complete() {
    let app = spawn_app().await;
    let referent = |first: &str, email: &str, profile: Option<&str>| {
        let mut r = json!({ "first_name": first, "last_name": "Bianchi", "email": email });
        if let Some(p) = profile {
            r["profile"] = json!(p);
        }
        r
    };
    let body = json!({
        "contract_id": "CTR-1", "channel": "agente",
        "company": { "name": "Rossi Impianti S.r.l.", "vat_number": VAT_A },
        "legal_representative": { "first_name": "Maria", "last_name": "Rossi", "email": LR_EMAIL, "mobile": LR_MOBILE },
        "mobile_lines": [
            { "number": "+393401112233", "referent": referent("Luca", "luca@example.it", Some("amministratore_full")) },
            { "number": "+393401112234", "referent": referent("Sara", "sara@example.it", None) },
            { "number": "+393401112235", "referent": referent("Copia", LR_EMAIL, None) },
            { "number": "+393401112236" }
        ]
    });
    assert_eq!(app.post_contract(&body).await.status(), StatusCode::CREATED);
    let mail = app.mail_to(LR_EMAIL).await;
    let lr = Browser::new(&app.address);
    app.activate(
        &lr,
        &mail,
        Some(LR_MOBILE),
        "Tramonto sul lago di Garda 2026",
    )
    .await;
    let line_ids: Vec<(String, String)> =
        sqlx::query_as("SELECT id::text, number FROM mobile_lines ORDER BY number")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let (_, page) = lr.get_html("/area-clienti/gestione-utenze").await;
    assert_eq!(
        texts(&page, r#"input[name="line_id"]"#).len(),
        3,
        "the three lines with a referent are selectable"
    );
    let mut form: Vec<(&str, &str)> = line_ids
        .iter()
        .map(|(id, _)| ("line_id", id.as_str()))
        .collect();
    form.push(("user_id", "00000000-0000-0000-0000-000000000000"));
    assert_eq!(
        lr.post_form("/area-clienti/gestione-utenze/registra", &form)
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "an id that is not the company's refuses the whole batch"
    );
    form.pop();

    let done = lr
        .post_form("/area-clienti/gestione-utenze/registra", &form)
        .await;

    assert_eq!(location(&done), "/area-clienti/gestione-utenze");
    let (_, page) = lr.get_html("/area-clienti/gestione-utenze").await;
    let notice = texts(&page, ".notice").join(" ");
    assert!(
        notice.contains("2 utenti")
            && notice.contains("+39 340 111 2235")
            && notice.contains("+39 340 111 2236"),
        "{notice}"
    );
    for (email, profile) in [
        ("luca@example.it", "amministratore_full"),
        ("sara@example.it", "utilizzatore"),
    ] {
        let (state, stored_profile, line): (String, String, String) = sqlx::query_as(
            "SELECT u.state::text, u.profile::text, l.number FROM users u JOIN mobile_lines l ON l.user_id = u.id WHERE u.username = $1",
        )
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            (state.as_str(), stored_profile.as_str()),
            ("in_attesa", profile)
        );
        assert!(line.starts_with("+39340111223"));
        let mail = app
            .mail_matching("the expected email", |m| m.to[0] == email)
            .await;
        assert!(mail.text.contains(email));
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users").await,
        3,
        "nothing created for the skipped lines"
    );
}
