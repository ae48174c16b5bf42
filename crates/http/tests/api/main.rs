//! Integration tests: the whole application over HTTP against a real PostgreSQL, one fresh
//! database per test. `TEST_DATABASE_URL` names a role that may create databases (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); `TEST_LOG=1` shows the app's logs;
//! `TEST_KEEP_DB=1` keeps every test database (failed tests always keep theirs).
//!
//! Tests run on a multi-threaded runtime: migrations use `block_in_place`.

mod alerts;
mod billing;
mod dashboard;
mod dashboard_api;
mod delivery;
mod echo_limit;
mod faults;
mod generated_input;
mod health;
mod helpers;
mod idempotency;
mod identity;
mod lago_webhooks;
mod migrations;
mod operations;
mod outages;
mod outbound_webhooks;
mod paging;
mod payments;
mod privacy;
mod shutdown;
mod upstreams;
mod walkthrough;
mod webhooks;
