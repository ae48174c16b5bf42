//! OpenMeter: usage events delivered as CloudEvents batches (the `openmeter` delivery target)
//! and meters read back through the query API.
//!
//! Each usage event becomes one CloudEvent whose `data` holds every meter's quantity under its
//! slug plus the dimensions; `deploy/openmeter/meters.yaml` declares the matching meters
//! (one SUM meter per slug, grouped by the dimensions) for OpenMeter's own configuration.
//! The subject is the event's customer id, or [`UNATTRIBUTED_SUBJECT`] for an event without
//! one, so unattributed usage is still metered and can be queried as its own subject.
//! API keys are never logged.

mod cloud_event;
mod isolation;
pub(crate) mod outbound;
mod query;
mod target;
mod usage_reader;

pub use cloud_event::UNATTRIBUTED_SUBJECT;
pub use outbound::DeliverySetupError;
pub use query::{MeterQuery, MeterQueryResult, MeterQueryRow, OpenMeterQuery, WindowSize};
pub use target::{OpenMeterConfig, OpenMeterTarget};
pub use usage_reader::OpenMeterUsageReader;

pub(crate) use isolation::{Answer, GroupSender, deliver_in_groups};
