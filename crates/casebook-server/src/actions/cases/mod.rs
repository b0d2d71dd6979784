//! The case core: opening a case (`opening`), reading (`read`) and changing it (`update`), the
//! conversation (`comments`) and files (`attachments`), the entitlement of a case
//! (`entitlement`), the SLA clocks (`sla`), the queues with time left (`queue`), bulk changes
//! (`bulk`), links between cases (`links`), merging a duplicate (`merge`), splitting a reply
//! into a new case (`split`), the time spent on it (`work`), the time at each tier and with each
//! owner (`stages`), and what every one of them needs first (`access`).
//! Channels (mail, call home) call it; it calls no channel: a record a channel keeps with a case
//! change is handed in as a value (`kept_with`).

pub(crate) mod access;
pub mod attachments;
pub mod bulk;
pub mod comments;
pub mod entitlement;
mod events;
pub(crate) mod kept_with;
pub mod links;
pub mod merge;
pub mod ola;
pub(crate) mod opening;
mod queue;
mod read;
pub mod sla;
pub mod split;
pub mod stages;
mod update;
pub mod work;

pub use access::redact;
pub(crate) use access::{visibility_for, visible_case};
pub use opening::open;
pub(crate) use opening::{OpeningMail, open_from_mail};
pub use queue::*;
pub use read::*;
pub use update::*;
