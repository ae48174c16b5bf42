//! The reads and writes the dashboard added to the API: the event list and detail, the
//! billing summary, a subscription's usage to date, portal links, the team's memberships.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed unwrap is a failed test"
)]

mod current_usage;
mod events;
mod members;
pub(crate) mod members_by_email;
mod portal_links;
