//! The web kit: what every handler uses to read a request and answer it the same way.
//! Extractors (who is logged in, the client's address and browser, CSRF-checked forms) and one-time
//! flash messages, typed path ids that answer 404, and the one pagination.

pub mod browser;
pub mod client;
pub mod client_limit;
pub mod csrf;
pub mod csv_file;
pub mod current;
pub mod flash;
pub mod multipart;
pub mod paging;
pub mod path;
pub mod request_id;
pub mod return_to;

/// A cookie of this host only, for `lifetime`: HttpOnly, SameSite=Lax, path `/`, and over
/// HTTPS `Secure` (the names given for HTTPS carry the `__Host-` prefix).
pub(crate) fn host_cookie(
    name: &'static str,
    value: String,
    https: bool,
    lifetime: time::Duration,
) -> String {
    axum_extra::extract::cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .max_age(lifetime)
        .build()
        .to_string()
}

pub use browser::ThisBrowser;
pub use client::ClientAddr;
pub use csrf::{Csrf, CsrfForm, CsrfJson, CsrfToken};
pub use csv_file::CsvFile;
pub use current::{CurrentStaff, CurrentUser, EnrollingStaff, EnrollingUser};
pub use paging::{Page, PageLinks};
pub use path::{CompanyId, LineId, MessageId, SessionId, UserId};
