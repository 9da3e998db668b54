//! Area Clienti: the customer portal through which a small business's people get into
//! their telecom operator's customer area. See ARCHITECTURE in README.md.

pub mod actor;
pub mod allocator;
pub mod app;
pub mod audit_sentences;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contracts;
pub mod credentials;
pub mod db;
pub mod demo;
pub mod domain;
pub mod fuzzing;
pub mod http_server;
pub mod metrics;
pub mod notify;
pub mod support;
pub mod telemetry;
pub mod user_management;
pub mod validation;
pub mod web;
