//! Integration tests: the real portal over HTTP, real PostgreSQL, real SMTP and HTTP SMS.

mod activation;
mod contracts;
mod delivery;
mod demo;
mod helpers;
mod import;
mod login;
mod login_guard;
mod onboarding_from_lines;
mod own_account;
mod permissions;
mod probes;
mod recovery;
mod security;
mod servizio_clienti;
mod support;
mod user_management;
mod user_management_scale;
