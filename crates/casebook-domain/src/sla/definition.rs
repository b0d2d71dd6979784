//! A calendar as admins define it (name, time zone, weekly hours, exceptions), validated with
//! every fault named, and compiled into a [`BusinessCalendar`].

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::calendar::BusinessCalendar;
use super::hours::{Exception, Exceptions, WeeklyHours, check_weekly};
use crate::error::FieldError;

super::slug::slug_id!(CalendarId, "calendar", "china-5x8");

/// A business calendar's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// Its name, e.g. `China 5×8 (08:30–17:00, Asia/Shanghai)`.
    pub name: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    /// Working hours per weekday.
    pub weekly: WeeklyHours,
    /// Holidays, make-up working days and special hours.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

impl CalendarSpec {
    /// Validates the definition and compiles it; every fault is named by its field.
    pub fn compile(&self) -> Result<BusinessCalendar, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            errors.push(FieldError::new(
                "name",
                "invalid",
                "a name of 1 to 200 characters",
            ));
        }
        let zone = match TimeZone::get(&self.time_zone) {
            Ok(zone) if !self.time_zone.is_empty() => Some(zone),
            _ => {
                errors.push(FieldError::new(
                    "time_zone",
                    "unknown",
                    format!(
                        "`{}` is not an IANA time zone such as Asia/Shanghai",
                        self.time_zone
                    ),
                ));
                None
            }
        };
        if let Err(mut e) = check_weekly(&self.weekly) {
            errors.append(&mut e);
        }
        let exceptions = match Exceptions::new(self.exceptions.clone()) {
            Ok(x) => Some(x),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        match (zone, exceptions) {
            (Some(zone), Some(exceptions)) if errors.is_empty() => {
                Ok(BusinessCalendar::new(zone, self.weekly.clone(), exceptions))
            }
            _ => Err(errors),
        }
    }
}

/// A stored calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Calendar {
    /// Its stable id.
    pub id: CalendarId,
    /// Its definition.
    #[serde(flatten)]
    pub spec: CalendarSpec,
    /// Whether Casebook ships it (`china-5x8`, `24x7`); built-in calendars can be edited (e.g.
    /// to add next year's holidays) but not removed.
    pub builtin: bool,
    /// When it was created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
    /// Version for optimistic concurrency (`If-Match`).
    pub version: i64,
}

/// A warning about a calendar's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CalendarWarning {
    /// Stable code: `no_holidays_for_year`.
    pub code: &'static str,
    /// The year concerned.
    pub year: i16,
    /// What to do, for a person.
    pub message: String,
}

/// Warnings for a calendar that keeps holiday data (any holiday or make-up day) but has none for
/// the current year, or, from November on (when the State Council publishes the coming year's
/// arrangement), none for the coming year. Calendars without any holiday data (7×24) get none.
pub fn holiday_warnings(spec: &CalendarSpec, today: jiff::civil::Date) -> Vec<CalendarWarning> {
    if spec.exceptions.is_empty() {
        return Vec::new();
    }
    let has_year = |year: i16| {
        spec.exceptions
            .iter()
            .any(|e| e.dates().any(|d| d.year() == year))
    };
    let mut years = vec![today.year()];
    if today.month() >= 11 {
        years.push(today.year() + 1);
    }
    years
        .into_iter()
        .filter(|&y| !has_year(y))
        .map(|year| CalendarWarning {
            code: "no_holidays_for_year",
            year,
            message: format!(
                "{} has no holidays or make-up working days for {year}; add them (PUT the calendar or import the year's notice) so deadlines skip the holidays",
                spec.name
            ),
        })
        .collect()
}
