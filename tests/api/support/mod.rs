//! Test doubles for the portal's outside services: a real SMTP server that
//! collects outgoing mail, a stub of the HTTP SMS gateway, and a real nginx in front of
//! the portal.

pub mod nginx;
pub mod sms_gateway;
pub mod smtp_sink;
