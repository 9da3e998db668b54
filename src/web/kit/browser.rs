//! The browser a login comes from: its `User-Agent`, its address, and the random id of a
//! long-lived cookie that tells a browser the user logged in from before
//! (`auth::new_browser`). The cookie is set again at every login, so it lasts 400 days
//! (the most browsers keep one) from the last.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::response::{IntoResponseParts, ResponseParts};
use axum_extra::extract::CookieJar;

use super::ClientAddr;
use crate::auth::session::Origin;
use crate::credentials::secret;
use crate::domain::user_agent;
use crate::web::AppState;

const COOKIE: &str = "area_clienti_browser";
/// Over HTTPS the name is `__Host-` prefixed, like the session cookie's: only this host,
/// over HTTPS, on path `/`, can set it.
const HTTPS_COOKIE: &str = "__Host-area_clienti_browser";
const LIFETIME: time::Duration = time::Duration::days(400);

/// The browser of this request.
pub struct ThisBrowser {
    /// The `User-Agent` as stored (`domain::user_agent::stored`).
    pub user_agent: String,
    pub client_addr: Option<String>,
    /// The id the cookie carries, or a fresh one when it carries none that can be ours.
    id: String,
    https: bool,
}

impl FromRequestParts<AppState> for ThisBrowser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let https = state.config.is_https();
        let name = if https { HTTPS_COOKIE } else { COOKIE };
        let jar = CookieJar::from_headers(&parts.headers);
        // Anything but one of our ids (43 URL-safe characters) is replaced, never stored.
        let id = jar
            .get(name)
            .map(|c| c.value().to_owned())
            .filter(|v| secret::looks_like_link_token(v))
            .unwrap_or_else(secret::new_link_token);
        let raw = parts.headers.get(USER_AGENT).map(|v| v.as_bytes());
        let user_agent = user_agent::stored(&String::from_utf8_lossy(raw.unwrap_or_default()));
        let Ok(ClientAddr(client_addr)) = ClientAddr::from_request_parts(parts, state).await;
        Ok(ThisBrowser {
            user_agent,
            client_addr,
            id,
            https,
        })
    }
}

impl ThisBrowser {
    pub fn origin(&self) -> Origin<'_> {
        Origin {
            user_agent: &self.user_agent,
            client_addr: self.client_addr.as_deref(),
            browser_id: &self.id,
        }
    }

    /// The `Set-Cookie` that gives this browser its id for [`LIFETIME`] more: part of the
    /// answer to a completed login.
    pub fn remembered(&self) -> RememberBrowser {
        let name = if self.https { HTTPS_COOKIE } else { COOKIE };
        RememberBrowser(super::host_cookie(
            name,
            self.id.clone(),
            self.https,
            LIFETIME,
        ))
    }
}

/// The browser cookie, as a part of a response.
pub struct RememberBrowser(String);

impl IntoResponseParts for RememberBrowser {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        if let Ok(value) = self.0.parse() {
            res.headers_mut().append(SET_COOKIE, value);
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(https: bool) -> String {
        let browser = ThisBrowser {
            user_agent: String::new(),
            client_addr: None,
            id: secret::new_link_token(),
            https,
        };
        browser.remembered().0
    }

    #[test]
    fn the_browser_cookie_is_http_only_lax_for_400_days_and_host_bound_over_https() {
        let plain = cookie(false);
        assert!(plain.starts_with("area_clienti_browser="), "{plain}");
        assert!(!plain.contains("Secure"), "{plain}");
        let https = cookie(true);
        assert!(https.starts_with("__Host-area_clienti_browser="), "{https}");
        for attribute in [
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=34560000",
        ] {
            assert!(https.contains(attribute), "{attribute} in {https}");
        }
        assert!(!https.contains("Domain"), "{https}");
    }
}
