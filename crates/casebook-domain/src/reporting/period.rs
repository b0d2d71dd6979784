//! The period a dashboard covers and the filters beside it: dates on the desk's calendar
//! (inclusive), the points at which the backlog is counted (the end of each day of a period of
//! up to 31 days, else of every seventh day back from the last), and its months.

use jiff::Timestamp;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::error::FieldError;
use crate::ids::{OrganizationId, ProductId};

/// The longest period a dashboard covers, in days.
pub const MAX_DAYS: i32 = 366;

/// A period periods sampled daily may last, in days; longer ones are sampled weekly.
pub const DAILY_UP_TO: i32 = 31;

/// Dates from `from` to `to`, both included, on the desk's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: Date,
    to: Date,
}

/// A month of a period, cut to the period: its label (`2026-11`) and its instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub label: String,
    /// Its first instant within the period.
    pub start: Timestamp,
    /// The first instant after it within the period.
    pub end: Timestamp,
}

/// What a dashboard is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    /// The period.
    pub period: Period,
    /// One organisation's cases.
    pub organization: Option<OrganizationId>,
    /// One product's cases.
    pub product: Option<ProductId>,
    /// Cases whose owner is in this team.
    pub team: Option<String>,
}

impl Period {
    /// A period; refuses `from` after `to` and a period longer than [`MAX_DAYS`].
    pub fn new(from: Date, to: Date) -> Result<Self, FieldError> {
        if from > to {
            return Err(FieldError::new(
                "from",
                "after_to",
                "the period must not start after it ends",
            ));
        }
        let period = Period { from, to };
        if period.days() > MAX_DAYS {
            return Err(FieldError::new(
                "to",
                "too_long",
                format!("a dashboard covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(period)
    }

    /// The default: the six months up to `today`.
    pub fn last_six_months(today: Date) -> Self {
        let from = today.checked_sub(6.months()).unwrap_or(today);
        Period { from, to: today }
    }

    /// The first day.
    pub fn from(&self) -> Date {
        self.from
    }

    /// The last day.
    pub fn to(&self) -> Date {
        self.to
    }

    /// How many days, both ends included.
    pub fn days(&self) -> i32 {
        (self.to - self.from).get_days() + 1
    }

    /// The first instant of the period.
    pub fn start(&self, tz: &TimeZone) -> Timestamp {
        day_start(self.from, tz)
    }

    /// The first instant after the period.
    pub fn end(&self, tz: &TimeZone) -> Timestamp {
        day_start(self.to.tomorrow().unwrap_or(self.to), tz)
    }

    /// The days at whose end the backlog is counted, oldest first: every day of a short period,
    /// else every seventh day back from the last.
    pub fn points(&self) -> Vec<Date> {
        let step = if self.days() <= DAILY_UP_TO { 1 } else { 7 };
        let mut out = Vec::new();
        let mut day = self.to;
        while day >= self.from {
            out.push(day);
            match day.checked_sub(step.days()) {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        out.reverse();
        out
    }

    /// The months the period touches, each cut to the period.
    pub fn months(&self, tz: &TimeZone) -> Vec<Month> {
        let mut out = Vec::new();
        let mut first = self.from.first_of_month();
        while first <= self.to {
            let next = first.checked_add(1.month()).unwrap_or(first);
            let start = day_start(first.max(self.from), tz);
            let end = day_start(next, tz).min(self.end(tz));
            out.push(Month {
                label: first.strftime("%Y-%m").to_string(),
                start,
                end,
            });
            if next == first {
                break;
            }
            first = next;
        }
        out
    }
}

/// The first instant of a day on the desk's calendar.
pub fn day_start(day: Date, tz: &TimeZone) -> Timestamp {
    day.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The instant at which a day's count is taken: the start of the next day.
pub fn day_end(day: Date, tz: &TimeZone) -> Timestamp {
    day_start(day.tomorrow().unwrap_or(day), tz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    #[test]
    fn bad_periods_are_refused_with_the_field() {
        let e = Period::new(date(2026, 5, 2), date(2026, 5, 1)).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("from", "after_to"));
        let e = Period::new(date(2025, 1, 1), date(2026, 1, 2)).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("to", "too_long"));
        assert_eq!(
            Period::new(date(2025, 1, 1), date(2026, 1, 1))
                .unwrap()
                .days(),
            366
        );
    }

    #[test]
    fn short_periods_are_sampled_daily_long_ones_weekly_from_the_end() {
        let p = Period::new(date(2026, 11, 1), date(2026, 11, 3)).unwrap();
        assert_eq!(
            p.points(),
            [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
        );
        let p = Period::new(date(2026, 10, 1), date(2026, 11, 30)).unwrap();
        let points = p.points();
        assert_eq!(points.last(), Some(&date(2026, 11, 30)));
        assert_eq!(points[0], date(2026, 10, 5));
        assert_eq!(points.len(), 9);
        let default = Period::last_six_months(date(2026, 12, 7));
        assert_eq!(default.from(), date(2026, 6, 7));
    }

    #[test]
    fn months_are_cut_to_the_period_on_the_desks_dates() {
        let tz = shanghai();
        let p = Period::new(date(2026, 10, 15), date(2026, 11, 3)).unwrap();
        let months = p.months(&tz);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].label, "2026-10");
        assert_eq!(months[0].start, "2026-10-14T16:00:00Z".parse().unwrap());
        assert_eq!(months[0].end, "2026-10-31T16:00:00Z".parse().unwrap());
        assert_eq!(months[1].end, "2026-11-03T16:00:00Z".parse().unwrap());
        assert_eq!(p.end(&tz), months[1].end);
    }
}
