//! Contracts and what they entitle: the contract itself (`contract`), the service plans with
//! their SLA targets (`plans`), which plan a case is entitled to (`entitlements`), the business
//! calendars the clocks run on (`calendars`), the renewal reminders (`renewals`), and what a
//! contract has used of its bank of hours and incidents with the notices at 80 % and 100 %
//! (`usage`).

pub mod calendars;
mod contract;
pub mod entitlements;
pub mod plans;
pub mod renewals;
pub mod usage;

pub use contract::*;
