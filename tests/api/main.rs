//! Integration tests: the real portal over HTTP, real PostgreSQL, real SMTP and HTTP SMS.

mod access_review;
mod activation;
mod anonymous_forms;
mod company_closure;
mod contract_events;
mod contract_events_races;
mod contracts;
mod database;
mod delivery;
mod delivery_receipts;
mod demo;
mod helpers;
mod hostile_input;
mod hostile_properties;
mod import;
mod legal_representative_change;
mod link_lifetimes;
mod login;
mod login_guard;
mod lost_factors;
mod lost_factors_support;
mod mfa_policy;
mod onboarding_from_lines;
mod overload;
mod own_account;
mod passkeys;
mod permissions;
mod probes;
mod proven_contacts;
mod proxy;
mod recovery;
mod router_seeds;
mod second_factor;
mod security;
mod seeds;
mod servizio_clienti;
mod sessions;
mod staff_cli;
mod staff_second_factor;
mod step_up;
mod support;
mod user_management;
mod user_management_edges;
mod user_management_scale;

/// `spawn_app()` here leaves the outbox worker off: tests run the pending work themselves.
const BACKGROUND_WORKER: bool = false;
