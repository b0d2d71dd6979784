//! The call-home channel: devices send signed batches of events (`receive` checks the signature
//! and takes the batch, `batch` keeps each event once, `act` decides what each does to a case),
//! under keys turned by staff (`keys`), rules that shape what opens a case (`rules`), the watch
//! on devices that went silent (`watch`), and the pages' views (`views`). It calls the case core,
//! never the other way round.

pub(crate) mod act;
pub mod batch;
mod events;
pub mod keys;
mod receive;
pub mod rules;
pub mod views;
pub mod watch;

pub use receive::*;
