//! Browser tests: the real portal (as in `tests/api`) driven by headless Chromium through
//! chromedriver, clicking and typing as a person does. Every page of the journeys is checked
//! with axe-core (WCAG 2.1 A/AA, 0 violations) at 320×640, 390×844 and 1280×800 (no sideways scroll at 320), and screenshotted
//! to `target/screenshots/`.
//!
//! Needs `apt-get install -y chromium chromium-driver` and `npm ci` (axe-core) in the crate
//! root, besides PostgreSQL like every other test.

// The in-process app harness of the API tests, shared as is: `helpers` refers to
// `crate::support`, so both are declared at this crate root. This binary uses only part of
// them, hence the dead-code allowances (the files stay owned by the API tests).
#[path = "../api/database.rs"]
mod database;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/seeds.rs"]
mod seeds;
#[allow(dead_code)]
#[path = "../api/support/mod.rs"]
mod support;

/// `spawn_app()` here runs the outbox worker in the background, as in production: a person
/// at a browser waits for their email, they do not run the worker.
const BACKGROUND_WORKER: bool = true;

mod access_review;
mod accessibility;
mod authenticator;
mod chrome;
mod company_pages;
mod journeys;
mod keyboard;
mod no_js;
mod passkeys;
mod password_toggle;
mod receipts;
mod roster_phone;
mod security;
mod steps;
mod user_import;
