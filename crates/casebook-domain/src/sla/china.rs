//! Mainland-China public holidays and make-up working days (调休) for 2024–2026, as published
//! in the State Council General Office's notices on the holiday arrangements of each year
//! (国务院办公厅关于2024年、2025年、2026年部分节假日安排的通知), and the built-in calendars
//! `china-5x8` and `24x7`.
//!
//! A new year's notice is published every November; admins add it through the calendar API
//! (or an import), and Casebook warns while a calendar in use has no data for the coming year.

use jiff::civil::Date;

use super::definition::{CalendarId, CalendarSpec};
use super::hours::{Exception, ExceptionKind, Interval, WeeklyHours};

/// Id of the built-in China 5×8 calendar.
pub const CHINA_5X8: &str = "china-5x8";
/// Id of the built-in round-the-clock calendar.
pub const ALWAYS: &str = "24x7";

/// `(first day, last day, name)` of each public holiday.
const HOLIDAYS: &[(&str, &str, &str)] = &[
    ("2024-01-01", "2024-01-01", "元旦 New Year's Day"),
    ("2024-02-10", "2024-02-17", "春节 Spring Festival"),
    ("2024-04-04", "2024-04-06", "清明节 Qingming Festival"),
    ("2024-05-01", "2024-05-05", "劳动节 Labour Day"),
    ("2024-06-10", "2024-06-10", "端午节 Dragon Boat Festival"),
    ("2024-09-15", "2024-09-17", "中秋节 Mid-Autumn Festival"),
    ("2024-10-01", "2024-10-07", "国庆节 National Day"),
    ("2025-01-01", "2025-01-01", "元旦 New Year's Day"),
    ("2025-01-28", "2025-02-04", "春节 Spring Festival"),
    ("2025-04-04", "2025-04-06", "清明节 Qingming Festival"),
    ("2025-05-01", "2025-05-05", "劳动节 Labour Day"),
    ("2025-05-31", "2025-06-02", "端午节 Dragon Boat Festival"),
    (
        "2025-10-01",
        "2025-10-08",
        "国庆节、中秋节 National Day and Mid-Autumn Festival",
    ),
    ("2026-01-01", "2026-01-03", "元旦 New Year's Day"),
    ("2026-02-15", "2026-02-23", "春节 Spring Festival"),
    ("2026-04-04", "2026-04-06", "清明节 Qingming Festival"),
    ("2026-05-01", "2026-05-05", "劳动节 Labour Day"),
    ("2026-06-19", "2026-06-21", "端午节 Dragon Boat Festival"),
    ("2026-09-25", "2026-09-27", "中秋节 Mid-Autumn Festival"),
    ("2026-10-01", "2026-10-07", "国庆节 National Day"),
];

/// `(date, the holiday it makes up for)` of each make-up working day (调休上班).
const WORKDAYS: &[(&str, &str)] = &[
    ("2024-02-04", "春节调休 Spring Festival make-up day"),
    ("2024-02-18", "春节调休 Spring Festival make-up day"),
    ("2024-04-07", "清明节调休 Qingming make-up day"),
    ("2024-04-28", "劳动节调休 Labour Day make-up day"),
    ("2024-05-11", "劳动节调休 Labour Day make-up day"),
    ("2024-09-14", "中秋节调休 Mid-Autumn make-up day"),
    ("2024-09-29", "国庆节调休 National Day make-up day"),
    ("2024-10-12", "国庆节调休 National Day make-up day"),
    ("2025-01-26", "春节调休 Spring Festival make-up day"),
    ("2025-02-08", "春节调休 Spring Festival make-up day"),
    ("2025-04-27", "劳动节调休 Labour Day make-up day"),
    ("2025-09-28", "国庆节调休 National Day make-up day"),
    ("2025-10-11", "国庆节调休 National Day make-up day"),
    ("2026-01-04", "元旦调休 New Year make-up day"),
    ("2026-02-14", "春节调休 Spring Festival make-up day"),
    ("2026-02-28", "春节调休 Spring Festival make-up day"),
    ("2026-05-09", "劳动节调休 Labour Day make-up day"),
    ("2026-09-20", "国庆节调休 National Day make-up day"),
    ("2026-10-10", "国庆节调休 National Day make-up day"),
];

fn date(s: &str) -> Date {
    s.parse()
        .expect("the built-in holiday data holds valid dates")
}

/// The mainland-China holidays and make-up working days, 2024–2026.
pub fn exceptions() -> Vec<Exception> {
    let holidays = HOLIDAYS.iter().map(|&(from, until, name)| Exception {
        date: date(from),
        until: (from != until).then(|| date(until)),
        kind: ExceptionKind::Holiday,
        name: name.into(),
        hours: vec![],
    });
    let workdays = WORKDAYS.iter().map(|&(on, name)| Exception {
        date: date(on),
        until: None,
        kind: ExceptionKind::Workday,
        name: name.into(),
        hours: vec![],
    });
    let mut all: Vec<Exception> = holidays.chain(workdays).collect();
    all.sort_by_key(|e| e.date);
    all
}

/// The built-in calendars, by id.
pub fn builtin_calendars() -> Vec<(CalendarId, CalendarSpec)> {
    let day: Interval = "08:30-17:00".parse().expect("a valid interval");
    vec![
        (
            CHINA_5X8.parse().expect("a valid id"),
            CalendarSpec {
                name: "China 5×8 (08:30–17:00, Asia/Shanghai) 中国 5×8".into(),
                time_zone: "Asia/Shanghai".into(),
                weekly: WeeklyHours::weekdays(&[day]),
                exceptions: exceptions(),
            },
        ),
        (
            ALWAYS.parse().expect("a valid id"),
            CalendarSpec {
                name: "7×24 (round the clock) 全天候".into(),
                time_zone: "Asia/Shanghai".into(),
                weekly: WeeklyHours::every_day(&[Interval::whole_day()]),
                exceptions: vec![],
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Weekday;

    #[test]
    fn builtins_compile() {
        for (id, spec) in builtin_calendars() {
            spec.compile().unwrap_or_else(|e| panic!("{id}: {e:?}"));
        }
    }

    #[test]
    fn make_up_days_are_weekends_and_holidays_cover_the_notices() {
        for &(on, _) in WORKDAYS {
            let d = date(on);
            assert!(
                matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday),
                "{on}"
            );
        }
        let days: usize = exceptions()
            .iter()
            .filter(|e| e.kind == ExceptionKind::Holiday)
            .map(|e| e.dates().count())
            .sum();
        // 2024: 1+8+3+5+1+3+7, 2025: 1+8+3+5+3+8, 2026: 3+9+3+5+3+3+7.
        assert_eq!(days, 28 + 28 + 33);
    }
}
