//! Who the customers are and what they run: organisations, their contacts and sites, the
//! product catalogue and the installed base of units, and the address rules they share.

pub(crate) mod addresses;
pub mod contacts;
pub mod organizations;
pub mod products;
pub(crate) mod refs;
pub mod sites;
pub mod units;
