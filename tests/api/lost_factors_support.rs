//! Lost factors, Servizio Clienti 191's side (CONTRACT.md §4b): support resets a customer's
//! factors only with a reason, audited with the operator; the legal representative's own
//! factors can only be reset this way. A reset account never enrols with the password alone.

use reqwest::StatusCode;

use crate::helpers::{Browser, LR_EMAIL, LR_MOBILE, location, location_path, spawn_app, texts};
use crate::lost_factors::{ENROL, apps_of, link_and_code, reset_email};
use crate::second_factor::enrol;
use crate::seeds::{COMPANY_A, CompanySeed, SeededUser};
use crate::servizio_clienti::{STAFF, staff_browser, staff_post};

#[tokio::test]
async fn support_resets_a_legal_representative_s_factors_only_with_a_reason_and_audits_it() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    enrol(&app, &lr).await;
    let staff = staff_browser(&app).await;
    let sheet = format!("/assistenza/aziende/{}", company.company_id);
    let id = company.legal_rep.id;
    let action = format!("/assistenza/utenti/{id}/azzera-fattori");

    for motivo in ["", "   ", "ticket\u{0}4711"] {
        let refused = staff_post(&staff, &sheet, &action, &[("motivo", motivo)]).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{motivo:?}"
        );
        let page = refused.text().await.unwrap();
        let error = texts(&page, &format!("#motivo-{id}-error"));
        assert_eq!(error.len(), 1, "{page}");
    }
    let refused = staff_post(&staff, &sheet, &action, &[]).await;
    let page = refused.text().await.unwrap();
    assert!(texts(&page, &format!("#motivo-{id}-error"))[0].contains("Indica il motivo"));
    assert_eq!(
        apps_of(&app, id).await,
        11,
        "nothing removed without a reason"
    );
    assert_eq!(lr.get("/area-clienti").await.status(), StatusCode::OK);

    let reason = "Telefono rubato, identità verificata (ticket 4711)";
    let done = staff_post(&staff, &sheet, &action, &[("motivo", reason)]).await;
    assert_eq!(location(&done), sheet);
    let (_, page) = staff.get_html(&sheet).await;
    assert!(page.contains("Fattori di accesso azzerati"), "{page}");

    assert_eq!(apps_of(&app, id).await, 0);
    assert_eq!(location(&lr.get("/area-clienti").await), "/accedi");
    let (label, motivo, da): (String, String, String) = sqlx::query_as(
        "SELECT actor_label, details->>'motivo', details->>'da' FROM audit_events
         WHERE action = 'fattori_azzerati' AND staff_user_id IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (label.as_str(), motivo.as_str(), da.as_str()),
        (format!("assistenza:{STAFF}").as_str(), reason, "assistenza")
    );
    let mail = reset_email(&app, LR_EMAIL).await;
    assert!(
        mail.text.contains("Servizio Clienti 191 ha azzerato"),
        "{}",
        mail.text
    );
    assert!(
        !mail.text.contains("ticket"),
        "the reason stays with support"
    );
    // With a mobile the required profile still logs in with an SMS code; the link re-enrols.
    let browser = link_and_code(&app, &mail, Some(LR_MOBILE)).await;
    app.enrol_required_app(&browser).await;
}

#[tokio::test]
async fn after_a_reset_a_user_without_a_mobile_cannot_enrol_with_the_password_alone() {
    let app = spawn_app().await;
    let company = app
        .seed_company(&CompanySeed {
            lr_mobile: None,
            ..COMPANY_A
        })
        .await;
    let rep: &SeededUser = &company.legal_rep;
    let browser = Browser::new(&app.address);
    assert_eq!(
        location(&browser.login(&rep.username, rep.password).await),
        ENROL
    );
    app.enrol_required_app(&browser).await;
    let staff = staff_browser(&app).await;
    let sheet = format!("/assistenza/aziende/{}", company.company_id);
    let action = format!("/assistenza/utenti/{}/azzera-fattori", rep.id);
    let reason = [("motivo", "Ha perso il telefono e i codici")];
    assert_eq!(
        location(&staff_post(&staff, &sheet, &action, &reason).await),
        sheet
    );

    // The password alone used to lead to the enrolment page: not after a reset.
    let again = Browser::new(&app.address);
    let refused = again.login(&rep.username, rep.password).await;
    assert_eq!(location(&refused), "/accedi");
    let (_, page) = again.get_html("/accedi").await;
    assert!(
        page.contains("apri il link che ti abbiamo inviato per e-mail"),
        "{page}"
    );
    assert_eq!(location_path(&again.get(ENROL).await), "/accedi");
    assert_eq!(apps_of(&app, rep.id).await, 0, "nothing enrolled");

    // Link + code (by e-mail, without a mobile) re-open the enrolment.
    let mail = reset_email(&app, &rep.email).await;
    let enrolling = link_and_code(&app, &mail, None).await;
    app.enrol_required_app(&enrolling).await;
    app.assert_holds(
        "SELECT factors_reset_at IS NULL FROM users WHERE profile = 'rappresentante_legale'",
    )
    .await;
}
