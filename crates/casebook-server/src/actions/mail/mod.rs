//! The mail channel: inbound mail (IMAP fetch or the MTA's pipe) checked against the limits,
//! routed to a case or to review, its body parts read; outbound delivery of the outbox; the
//! links customers follow from a mail. It calls the case core, never the other way round.

pub mod body;
pub mod delivery;
pub mod imap;
pub mod ingest;
pub mod limits;
pub mod links;
pub mod review;
