//! One self-contained binary (issue 13): started from an empty directory, with the source
//! tree's `static/`, `templates/` and `migrations/` hidden, it creates its database and
//! serves its pages, stylesheet and scripts.

use std::path::PathBuf;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::process::{AppEnv, AppProcess, SOURCE_DIRS_HIDDEN, TestDatabase};
use crate::support::sms_gateway::SmsGateway;
use crate::support::smtp_sink::SmtpSink;

/// An empty directory of its own, removed at the end even when the test fails.
struct EmptyDir(PathBuf);

impl EmptyDir {
    fn new() -> EmptyDir {
        let path =
            std::env::temp_dir().join(format!("area-clienti-cwd-{}", Uuid::new_v4().simple()));
        std::fs::create_dir(&path).expect("create the working directory");
        EmptyDir(path)
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_pages_and_static_files_with_nothing_beside_it() {
    let db = TestDatabase::on_shared_server();
    let (smtp, sms) = (SmtpSink::start().await, SmsGateway::start().await);
    let cwd = EmptyDir::new();
    let mut app = AppProcess::start_with_sources_hidden(
        "app",
        &AppEnv::new(&db.url, &smtp.url(), &sms.url()),
        &cwd.0,
    )
    .await;
    // The instance really sees none of the source directories (its mount namespace, seen
    // through /proc), so what it serves comes from the binary.
    for dir in SOURCE_DIRS_HIDDEN {
        let seen = PathBuf::from(format!(
            "/proc/{}/root{}/{dir}",
            app.pid(),
            env!("CARGO_MANIFEST_DIR")
        ));
        let entries = std::fs::read_dir(&seen).map(|d| d.count());
        assert!(
            matches!(entries, Ok(0)),
            "{seen:?} is not empty: {entries:?}"
        );
    }
    assert!(app.is_running());
    let http = reqwest::Client::new();

    let css = http
        .get(app.url("/static/css/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.headers().contains_key("etag"));
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/css/app.css"))
            .expect("the stylesheet in the source tree");
    assert_eq!(css.text().await.unwrap(), on_disk);
    for script in ["/static/js/password-toggle.js", "/static/js/passkey.js"] {
        let response = http.get(app.url(script)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{script}");
    }

    let login = http.get(app.url("/accedi")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(
        html.contains("/static/css/app.css") && html.contains("name=\"password\""),
        "{html}"
    );
    assert_eq!(
        http.get(app.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK,
        "migrated its database from what it carries"
    );
}
