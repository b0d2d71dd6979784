//! Service levels (SLA): business calendars with holidays and make-up working days, and the
//! arithmetic of deadlines on them.

pub mod calendar;
pub mod china;
pub mod definition;
pub mod hours;
pub mod import;

pub use calendar::BusinessCalendar;
pub use definition::{Calendar, CalendarId, CalendarSpec};
pub use hours::{Exception, ExceptionKind, Interval, WeeklyHours};

#[cfg(test)]
mod tests;
