//! PostgreSQL: the pool, the embedded migrations and the stores behind the ports.
//!
//! Statements are written as SQL with bound arrays (`UNNEST`) so that a whole batch is one
//! round trip and one statement, atomic without an explicit transaction.

mod api_keys;
mod audit;
mod budget_alerts;
mod change_lock;
mod connect;
mod constraints;
mod credit_notes;
mod customers;
mod database;
mod embedded_meter;
mod error;
mod idempotency;
mod installation;
mod invoices;
mod key_aliases;
mod lago_view;
mod memberships;
mod migrate;
mod organizations;
mod outbox;
mod outbox_admin;
mod period_close;
mod plan_definition;
mod plans;
mod pool;
mod settings;
mod sqlstate;
mod subscriptions;
mod transaction;
mod usage_events;
mod usage_export;
mod usage_reader;
mod web_sessions;
mod webhook_secrets;

pub use api_keys::PgApiKeyStore;
pub use audit::PgAuditTrail;
pub use budget_alerts::PgBudgetAlertStore;
pub use credit_notes::PgCreditNoteBook;
pub use customers::PgCustomerStore;
pub use database::{DatabaseError, create_database_if_missing};
pub use embedded_meter::{EMBEDDED_METER_TARGET, PgEmbeddedMeter};
pub use idempotency::PgIdempotencyStore;
pub use installation::{installation_secret, installation_secret_or};
pub use invoices::{PgInvoiceBook, PgInvoiceParties};
pub use key_aliases::PgKeyAliases;
pub use lago_view::PgEngineViewStore;
pub use memberships::PgMemberships;
pub use migrate::{MigrationError, migrations_are_current, run_migrations};
pub use organizations::{PgOrganizations, StoredOrganization};
pub use outbox::PgOutboxQueue;
pub use outbox_admin::PgOutboxAdmin;
pub use period_close::PgPeriodCloseStore;
pub use plan_definition::{decode_plan, encode_definition};
pub use plans::PgPlanStore;
pub use pool::{PgPool, PoolSettings, connect};
pub use settings::PgSettingsStore;
pub use subscriptions::PgSubscriptionStore;
use transaction::transaction;
pub use usage_events::PgUsageEventStore;
pub use usage_export::PgUsageExport;
pub use usage_reader::PgUsageReader;
pub use web_sessions::PgWebSessions;
pub use webhook_secrets::PgWebhookSecretStore;
