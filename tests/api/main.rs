//! Integration tests: the real portal over HTTP, real PostgreSQL, real SMTP and HTTP SMS.

mod activation;
mod contracts;
mod helpers;
mod login;
mod probes;
mod support;
