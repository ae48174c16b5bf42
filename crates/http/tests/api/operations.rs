//! Running Tollgate in production: the drain after SIGTERM, the worker's own server, the
//! metrics an operator alerts on, replicas that share nothing but the database, migrations
//! on their own connection, PostgreSQL over TLS, and the binary itself (JSON logs, signals,
//! `healthcheck`, `_FILE` variables).

mod crash;
mod drain;
mod metrics;
mod migration_url;
mod process;
mod replicas;
mod tls;
mod worker;
