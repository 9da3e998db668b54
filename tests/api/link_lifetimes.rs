//! Links start their lifetime on the portal's clock, the same clock that later says
//! whether they have expired: a link sent after the clock moved is good for its whole
//! lifetime from then.

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{LR_EMAIL, LR_MOBILE, activation_path, spawn_app};

#[tokio::test]
async fn a_username_email_asked_again_after_the_first_expired_opens_for_seven_days() {
    let app = spawn_app().await;
    let first = app.onboard(LR_EMAIL, Some(LR_MOBILE)).await;
    app.advance_clock(Duration::days(8));
    assert_eq!(
        app.browser.get(&activation_path(&first)).await.status(),
        StatusCode::GONE
    );

    let asked = app
        .browser
        .post_form("/reinvio-credenziali", &[("email", LR_EMAIL)])
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let again = app.mail_to(LR_EMAIL).await;
    assert_ne!(activation_path(&again), activation_path(&first));

    app.advance_clock(Duration::days(6));
    let (status, page) = app.browser.get_html(&activation_path(&again)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Invia il codice di verifica"), "{page}");
}
