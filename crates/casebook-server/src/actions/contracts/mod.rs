//! Contracts and what they entitle: the contract itself (`contract`), the service plans with
//! their SLA targets (`plans`), which plan a case is entitled to (`entitlements`), the business
//! calendars the clocks run on (`calendars`), and the renewal reminders (`renewals`).

pub mod calendars;
mod contract;
pub mod entitlements;
pub mod plans;
pub mod renewals;

pub use contract::*;
