//! Reporting: what managers read about the desk as a whole — exports of cases and time.

pub mod exports;
