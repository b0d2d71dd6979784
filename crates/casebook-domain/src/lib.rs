//! Casebook's domain: the pure rules of a technical-support desk.
//!
//! Nothing in this crate does IO, speaks SQL or HTTP, or reads the clock: time is always an
//! argument. The store and the server parse their input into these types at their edges, so a
//! value of a type from here is valid by construction.

pub mod attributes;
pub mod audit;
pub mod call_home;
pub mod case;
pub mod case_number;
pub mod contract;
pub mod directory;
pub mod duty;
pub mod entitlement;
pub mod error;
pub mod events;
pub mod field;
pub mod ids;
pub mod integrations;
pub mod knowledge;
pub mod lifecycle;
pub mod links;
pub mod lookalike;
pub mod mail;
pub mod mail_auth;
pub mod notifications;
pub mod ola;
pub mod patch;
pub mod planned;
pub mod policy;
pub mod replies;
pub mod reporting;
pub mod sla;
pub mod stages;
pub mod survey;
pub mod synonyms;
pub mod text;
pub mod timeline;
pub mod users;
pub mod work;

pub use attributes::{Category, Channel, Named, Severity, Status, Tier};
pub use case_number::CaseNumber;
pub use error::{FieldError, ValidationError};
pub use jiff::Timestamp;
pub use policy::{Actor, Role, Visibility};
