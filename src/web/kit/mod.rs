//! The web kit: what every handler uses to read a request and answer it the same way.
//! Extractors (who is logged in, the client's address and browser, CSRF-checked forms) and one-time
//! flash messages, typed path ids that answer 404, and the one pagination.

pub mod browser;
pub mod client;
pub mod client_limit;
pub mod csrf;
pub mod current;
pub mod flash;
pub mod paging;
pub mod path;
pub mod request_id;

pub use browser::ThisBrowser;
pub use client::ClientAddr;
pub use csrf::{Csrf, CsrfForm, CsrfJson, CsrfToken};
pub use current::{CurrentStaff, CurrentUser, EnrollingStaff, EnrollingUser};
pub use paging::{Page, PageLinks};
pub use path::{CompanyId, LineId, MessageId, SessionId, UserId};
