//! Errors of the SMTP transport, explained and classified: a 5xx reply is permanent,
//! anything else (4xx, an authentication failure, connection refused, timeout, TLS) is
//! retried. Messages name the server and never the recipient's address.

use lettre::transport::smtp;

use super::smtp::TIMEOUT;
use super::{DeliveryError, error_chain, redact};
use crate::domain::EmailAddress;

/// Reply codes about authentication: a wrong password in `SMTP_URL` must not fail every
/// message for good, so these are retried (and shout in the logs) until someone fixes it.
const AUTH_CODES: [u16; 4] = [530, 534, 535, 538];

/// Words an operator can act on, and whether to retry; `to` is replaced by its domain.
pub(super) fn classify(error: &smtp::Error, server: &str, to: &EmailAddress) -> DeliveryError {
    let detail = redact(&error_chain(error), to.as_str(), &to.masked());
    let code = error.status().map(u16::from);
    if code.is_some_and(|c| AUTH_CODES.contains(&c)) {
        return DeliveryError::Transient(format!(
            "SMTP server {server} refused the login: check the user and password in SMTP_URL ({detail})"
        ));
    }
    if error.is_permanent() {
        return DeliveryError::Permanent(format!(
            "SMTP server {server} rejected the message: {detail}"
        ));
    }
    DeliveryError::Transient(if error.is_timeout() {
        format!(
            "SMTP server {server} did not answer within {} s",
            TIMEOUT.as_secs()
        )
    } else if is_connection_refused(error) {
        format!("SMTP server {server} refused the connection")
    } else if error.is_tls() {
        format!(
            "TLS with SMTP server {server} failed (check the scheme and tls= in SMTP_URL): {detail}"
        )
    } else if error.is_transient() {
        format!("SMTP server {server} asked to try again later: {detail}")
    } else {
        format!("could not talk to SMTP server {server}: {detail}")
    })
}

fn is_connection_refused(error: &smtp::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return true;
            }
        }
        source = cause.source();
    }
    false
}
