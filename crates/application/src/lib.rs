//! Tollgate's use cases and the ports they need. Services here talk to the world only through
//! the `#[async_trait]` traits in [`ports`], injected as `Arc<dyn Port>`.

pub mod error;
pub mod ports;
pub mod services;

pub use error::{AppError, PortError};
