//! A virtual authenticator in the browser, through the WebDriver WebAuthn extension
//! commands (W3C WebAuthn Level 2, §11): the passkey ceremonies run for real in Chromium,
//! with a platform authenticator that keeps resident keys and verifies the user, and the
//! portal checks real signatures. Nothing is mocked on either side.

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use crate::chrome::Page;

/// An authenticator added to one browser.
pub struct VirtualAuthenticator {
    id: String,
}

impl VirtualAuthenticator {
    /// A built-in authenticator (like a laptop's fingerprint reader) that always verifies
    /// the user and keeps discoverable credentials.
    pub async fn add(page: &Page) -> VirtualAuthenticator {
        let options = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        let answer = command(page, Method::POST, "", Some(options)).await;
        let id = answer
            .as_str()
            .unwrap_or_else(|| panic!("authenticator id in {answer}"))
            .to_owned();
        VirtualAuthenticator { id }
    }

    /// The credentials stored in it (`isResidentCredential`, `rpId`, `userHandle`, …).
    pub async fn credentials(&self, page: &Page) -> Vec<Value> {
        let path = format!("/{}/credentials", self.id);
        let answer = command(page, Method::GET, &path, None).await;
        answer.as_array().cloned().unwrap_or_default()
    }

    /// Forgets every credential: the device was lost.
    pub async fn clear(&self, page: &Page) {
        let path = format!("/{}/credentials", self.id);
        command(page, Method::DELETE, &path, None).await;
    }
}

async fn command(page: &Page, method: Method, path: &str, body: Option<Value>) -> Value {
    let what = format!("{method} webauthn/authenticator{path}");
    page.client
        .issue_cmd(WebAuthnCommand {
            method,
            path: path.to_owned(),
            body,
        })
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[derive(Debug)]
struct WebAuthnCommand {
    method: Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}
