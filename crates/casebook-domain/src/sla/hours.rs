//! Working hours: intervals of a day (`08:30-12:00`) with minute precision, the weekly pattern
//! and the dated exceptions of a business calendar (holidays, make-up working days 调休, special
//! hours), as admins write them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FieldError;

/// Minutes in a day; an interval may end at `24:00`.
pub const DAY_MINUTES: u16 = 24 * 60;

/// A span of wall-clock time within one day, `[start, end)`, in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    start: u16,
    end: u16,
}

impl Interval {
    /// An interval from `start` to `end` minutes after midnight; `start < end ≤ 24:00`.
    pub fn new(start: u16, end: u16) -> Result<Self, String> {
        if end > DAY_MINUTES {
            return Err("an interval ends at 24:00 at the latest".into());
        }
        if start >= end {
            return Err(format!(
                "the interval {} starts at or after its end",
                Interval { start, end }
            ));
        }
        Ok(Interval { start, end })
    }

    /// The whole day, `00:00-24:00`.
    pub const fn whole_day() -> Self {
        Interval {
            start: 0,
            end: DAY_MINUTES,
        }
    }

    /// Minutes after midnight at which it starts.
    pub fn start(self) -> u16 {
        self.start
    }

    /// Minutes after midnight at which it ends.
    pub fn end(self) -> u16 {
        self.end
    }

    /// Its length in minutes.
    pub fn minutes(self) -> u16 {
        self.end - self.start
    }
}

fn hhmm(f: &mut fmt::Formatter<'_>, m: u16) -> fmt::Result {
    write!(f, "{:02}:{:02}", m / 60, m % 60)
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hhmm(f, self.start)?;
        f.write_str("-")?;
        hhmm(f, self.end)
    }
}

fn parse_hhmm(s: &str) -> Result<u16, String> {
    let bad = || format!("`{s}` is not a time of day like 08:30");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not an interval like 08:30-12:00"))?;
        Interval::new(parse_hhmm(a)?, parse_hhmm(b)?)
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Interval {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some(r"^\d{2}:\d{2}-\d{2}:\d{2}$"))
            .examples([serde_json::json!("08:30-12:00")])
            .description(Some(
                "Working time of a day, `HH:MM-HH:MM`; the end may be 24:00.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Interval {}

/// Checks that intervals are sorted and do not overlap (touching is allowed).
pub fn check_intervals(intervals: &[Interval]) -> Result<(), String> {
    for pair in intervals.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(format!(
                "the intervals {} and {} overlap or are out of order",
                pair[0], pair[1]
            ));
        }
    }
    Ok(())
}

/// Working hours for each day of the week.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// Monday.
    #[serde(default)]
    pub mon: Vec<Interval>,
    /// Tuesday.
    #[serde(default)]
    pub tue: Vec<Interval>,
    /// Wednesday.
    #[serde(default)]
    pub wed: Vec<Interval>,
    /// Thursday.
    #[serde(default)]
    pub thu: Vec<Interval>,
    /// Friday.
    #[serde(default)]
    pub fri: Vec<Interval>,
    /// Saturday.
    #[serde(default)]
    pub sat: Vec<Interval>,
    /// Sunday.
    #[serde(default)]
    pub sun: Vec<Interval>,
}

impl WeeklyHours {
    /// The same hours Monday to Friday.
    pub fn weekdays(hours: &[Interval]) -> Self {
        WeeklyHours {
            mon: hours.to_vec(),
            tue: hours.to_vec(),
            wed: hours.to_vec(),
            thu: hours.to_vec(),
            fri: hours.to_vec(),
            ..Default::default()
        }
    }

    /// The same hours every day.
    pub fn every_day(hours: &[Interval]) -> Self {
        WeeklyHours {
            sat: hours.to_vec(),
            sun: hours.to_vec(),
            ..WeeklyHours::weekdays(hours)
        }
    }

    /// The hours of a weekday.
    pub fn of(&self, day: Weekday) -> &[Interval] {
        match day {
            Weekday::Monday => &self.mon,
            Weekday::Tuesday => &self.tue,
            Weekday::Wednesday => &self.wed,
            Weekday::Thursday => &self.thu,
            Weekday::Friday => &self.fri,
            Weekday::Saturday => &self.sat,
            Weekday::Sunday => &self.sun,
        }
    }

    /// The hours of a normal working day: those of the first weekday, Monday first, that has
    /// any. Make-up working days without their own hours use them.
    pub fn standard_day(&self) -> &[Interval] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
        .into_iter()
        .find(|h| !h.is_empty())
        .map_or(&[], |h| h.as_slice())
    }

    fn named(&self) -> [(&'static str, &[Interval]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// What a dated exception does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// A day off (公共假期), whatever the weekday.
    Holiday,
    /// A working day on a day that is normally off (调休 / 补班), with its hours.
    Workday,
    /// Different hours on a day, e.g. a half day.
    SpecialHours,
}

/// A dated exception of a calendar: one day or a range of days (both ends included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The first day.
    #[schema(value_type = String, format = Date, example = "2026-10-01")]
    pub date: Date,
    /// The last day of a range; absent for one day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, example = "2026-10-07")]
    pub until: Option<Date>,
    /// Holiday, make-up working day or special hours.
    pub kind: ExceptionKind,
    /// Its name, e.g. `国庆节 National Day`.
    pub name: String,
    /// The working hours (make-up days: the standard day's hours if empty; holidays: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<Interval>,
}

impl Exception {
    /// Every date it covers.
    pub fn dates(&self) -> impl Iterator<Item = Date> + '_ {
        let last = self.until.unwrap_or(self.date);
        self.date
            .series(jiff::Span::new().days(1))
            .take_while(move |d| *d <= last)
    }
}

/// How one date is worked, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRule<'a> {
    /// The working intervals (empty: not a working day).
    pub hours: &'a [Interval],
    /// The exception that decided it, if any.
    pub exception: Option<&'a Exception>,
}

/// The exceptions of a calendar, by date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exceptions {
    by_date: BTreeMap<Date, usize>,
    list: Vec<Exception>,
}

/// The longest range one exception may cover.
const MAX_RANGE_DAYS: usize = 366;

impl Exceptions {
    /// Validates and indexes the exceptions: names present, ranges forward and at most a year,
    /// hours sorted and not overlapping, no date covered twice. Errors name the entry.
    pub fn new(list: Vec<Exception>) -> Result<Self, Vec<FieldError>> {
        let mut by_date = BTreeMap::new();
        let mut errors = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let field = |name: &str| format!("exceptions[{i}].{name}");
            if e.name.trim().is_empty() || e.name.chars().count() > 100 {
                errors.push(FieldError::new(
                    field("name"),
                    "invalid",
                    "a name of 1 to 100 characters",
                ));
            }
            if let Some(until) = e.until {
                if until < e.date {
                    errors.push(FieldError::new(
                        field("until"),
                        "before_start",
                        "the range ends before it starts",
                    ));
                    continue;
                }
                if e.dates().nth(MAX_RANGE_DAYS).is_some() {
                    errors.push(FieldError::new(
                        field("until"),
                        "too_long",
                        "a range covers at most a year",
                    ));
                    continue;
                }
            }
            match e.kind {
                ExceptionKind::Holiday if !e.hours.is_empty() => {
                    errors.push(FieldError::new(
                        field("hours"),
                        "not_allowed",
                        "a holiday has no working hours",
                    ));
                }
                ExceptionKind::SpecialHours if e.hours.is_empty() => {
                    errors.push(FieldError::new(
                        field("hours"),
                        "required",
                        "special hours need their intervals",
                    ));
                }
                _ => {}
            }
            if let Err(m) = check_intervals(&e.hours) {
                errors.push(FieldError::new(field("hours"), "overlapping", m));
            }
            for date in e.dates() {
                if let Some(other) = by_date.insert(date, i) {
                    errors.push(FieldError::new(
                        field("date"),
                        "duplicate",
                        format!(
                            "{date} is already covered by exceptions[{other}] ({})",
                            list[other].name
                        ),
                    ));
                    break;
                }
            }
        }
        if errors.is_empty() {
            Ok(Exceptions { by_date, list })
        } else {
            Err(errors)
        }
    }

    /// The exception covering a date.
    pub fn on(&self, date: Date) -> Option<&Exception> {
        self.by_date.get(&date).map(|&i| &self.list[i])
    }

    /// All exceptions, as given.
    pub fn list(&self) -> &[Exception] {
        &self.list
    }

    /// Whether any exception falls in a year.
    pub fn covers_year(&self, year: i16) -> bool {
        let from = Date::new(year, 1, 1).ok();
        let to = Date::new(year, 12, 31).ok();
        match (from, to) {
            (Some(a), Some(b)) => self.by_date.range(a..=b).next().is_some(),
            _ => false,
        }
    }
}

/// Validates weekly hours: each day sorted and without overlaps.
pub fn check_weekly(weekly: &WeeklyHours) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = weekly
        .named()
        .into_iter()
        .filter_map(|(day, hours)| {
            check_intervals(hours)
                .err()
                .map(|m| FieldError::new(format!("weekly.{day}"), "overlapping", m))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// How a date is worked under weekly hours and exceptions.
pub fn day_rule<'a>(
    weekly: &'a WeeklyHours,
    exceptions: &'a Exceptions,
    date: Date,
) -> DayRule<'a> {
    match exceptions.on(date) {
        Some(e) => {
            let hours: &[Interval] = match e.kind {
                ExceptionKind::Holiday => &[],
                ExceptionKind::Workday if e.hours.is_empty() => weekly.standard_day(),
                _ => &e.hours,
            };
            DayRule {
                hours,
                exception: Some(e),
            }
        }
        None => DayRule {
            hours: weekly.of(date.weekday()),
            exception: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_print() {
        let i: Interval = "08:30-12:00".parse().unwrap();
        assert_eq!((i.start(), i.end()), (510, 720));
        assert_eq!(i.to_string(), "08:30-12:00");
        assert_eq!(
            "00:00-24:00".parse::<Interval>().unwrap(),
            Interval::whole_day()
        );
        for bad in [
            "12:00-08:30",
            "08:30-08:30",
            "8-9",
            "08:60-09:00",
            "24:30-25:00",
            "08:30",
            "x",
        ] {
            assert!(bad.parse::<Interval>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn overlapping_intervals_are_refused() {
        let a: Interval = "08:30-12:00".parse().unwrap();
        let b: Interval = "11:00-13:00".parse().unwrap();
        let c: Interval = "12:00-13:00".parse().unwrap();
        assert!(check_intervals(&[a, b]).is_err());
        assert!(check_intervals(&[c, a]).is_err());
        assert!(check_intervals(&[a, c]).is_ok());
    }

    #[test]
    fn exceptions_refuse_double_cover_and_bad_ranges() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let holiday = |from: &str, until: Option<&str>| Exception {
            date: d(from),
            until: until.map(d),
            kind: ExceptionKind::Holiday,
            name: "假期".into(),
            hours: vec![],
        };
        let err = Exceptions::new(vec![
            holiday("2026-10-01", Some("2026-10-07")),
            holiday("2026-10-05", None),
        ])
        .unwrap_err();
        assert_eq!(err[0].field, "exceptions[1].date");
        let err = Exceptions::new(vec![holiday("2026-10-07", Some("2026-10-01"))]).unwrap_err();
        assert_eq!(err[0].code, "before_start");
        let ok = Exceptions::new(vec![holiday("2026-10-01", Some("2026-10-07"))]).unwrap();
        assert!(ok.on(d("2026-10-07")).is_some());
        assert!(ok.on(d("2026-10-08")).is_none());
        assert!(ok.covers_year(2026) && !ok.covers_year(2027));
    }
}
