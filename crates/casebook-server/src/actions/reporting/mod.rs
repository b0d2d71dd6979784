//! Reporting: what managers read about the desk as a whole — the dashboard, and exports of
//! cases and time.

pub mod dashboard;
pub mod exports;
