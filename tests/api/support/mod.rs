//! Test doubles for the portal's outside services: a real SMTP server that
//! collects outgoing mail, and a stub of the HTTP SMS gateway.

pub mod sms_gateway;
pub mod smtp_sink;
