//! Access control for `/api`: one table of what each route needs, one extractor that applies it.

mod caller;
pub mod portal;
mod rate_limit;
mod table;

pub use caller::{Caller, authorize, hash_address};
pub use rate_limit::FailedAuthLimiter;
pub use table::{methods_for, pages, requirement_for, routes};
