//! PostgreSQL: the pool, the embedded migrations and the stores behind the ports.
//!
//! Statements are written as SQL with bound arrays (`UNNEST`) so that a whole batch is one
//! round trip and one statement, atomic without an explicit transaction.

mod budget_alerts;
mod database;
mod error;
mod migrate;
mod organizations;
mod pool;
mod usage_events;
mod webhook_secrets;

pub use budget_alerts::PgBudgetAlertStore;
pub use database::{DatabaseError, create_database_if_missing};
pub use migrate::{MigrationError, migrations_are_current, run_migrations};
pub use organizations::{PgOrganizations, StoredOrganization};
pub use pool::{PgPool, PoolSettings, connect};
pub use usage_events::PgUsageEventStore;
pub use webhook_secrets::PgWebhookSecretStore;
