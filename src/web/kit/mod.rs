//! The web kit: what every handler uses to read a request and answer it the same way.
//! Extractors (who is logged in, the client's address, CSRF-checked forms) and one-time
//! flash messages.

pub mod client;
pub mod csrf;
pub mod current;
pub mod flash;

pub use client::ClientAddr;
pub use csrf::{CsrfForm, CsrfToken};
pub use current::{CurrentStaff, CurrentUser};
