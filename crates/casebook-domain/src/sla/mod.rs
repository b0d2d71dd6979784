//! Service levels (SLA): business calendars with holidays and make-up working days, the
//! arithmetic of deadlines on them, support plans, and clocks computed from their event logs.

pub mod calendar;
pub mod china;
pub mod clock;
pub mod definition;
pub mod hours;
pub mod import;
pub mod plan;
mod slug;

pub use calendar::BusinessCalendar;
pub use definition::{Calendar, CalendarId, CalendarSpec};
pub use hours::{Exception, ExceptionKind, Interval, WeeklyHours};

#[cfg(test)]
mod tests;
