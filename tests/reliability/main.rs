//! Reliability and fault tests (issue 6): the real `area-clienti` binary in child processes,
//! against real PostgreSQL, a real SMTP sink and a stub HTTP SMS gateway, all on 127.0.0.1,
//! while something breaks: a second instance, an SMTP outage, a busy or hanging SMS gateway,
//! a PostgreSQL restart, a database failover, SIGKILL mid-delivery, SIGTERM, a real Postfix
//! relay stopped and its upstream down.
//!
//! Every wait is bounded and every test stops by itself; child processes are killed and
//! throwaway databases (and the private PostgreSQL cluster) removed even when a test fails.

mod cluster;
mod crash;
mod database_restart;
mod dev_mailbox;
mod events_crash;
mod failover;
mod graceful_shutdown;
mod postfix;
mod postfix_relay;
mod process;
mod self_contained;
mod session_cleanup;
mod sms_gateway_faults;
mod smtp_outage;
mod two_instances;

// Shared with tests/api; this binary uses only part of it.
#[allow(dead_code)]
#[path = "../api/support/mod.rs"]
mod support;
