//! Reporting: what managers read about the desk as a whole.

pub mod dashboard;
