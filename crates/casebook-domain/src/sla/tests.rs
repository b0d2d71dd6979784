//! Tests of business-time arithmetic: tables from the 2025 and 2026 China calendars, and
//! properties checked against a slow minute-by-minute reference on random calendars, in zones
//! with daylight-saving gaps and folds.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::china::{ALWAYS, CHINA_5X8, builtin_calendars};
use super::hours::{Exception, ExceptionKind, Interval, WeeklyHours};
use super::{BusinessCalendar, CalendarSpec};

fn builtin(id: &str) -> BusinessCalendar {
    builtin_calendars()
        .into_iter()
        .find(|(i, _)| i.as_str() == id)
        .map(|(_, spec)| spec.compile().unwrap())
        .unwrap()
}

/// A wall-clock time in Shanghai.
fn sh(s: &str) -> Timestamp {
    s.parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
}

const H: i64 = 3600;
const M: i64 = 60;

#[test]
fn china_5x8_deadlines_around_holidays() {
    let cal = builtin(CHINA_5X8);
    let cases = [
        // Severity 3 at 16:50 on the day before National Day 2026: 10 minutes that day, the
        // rest after the seven days off.
        ("2026-09-30T16:50", 2 * H, "2026-10-08T10:20"),
        // Friday before the 2026 Spring Festival: the rest on Saturday, a make-up working day.
        ("2026-02-13T16:00", 2 * H, "2026-02-14T09:30"),
        // On that make-up Saturday: the rest after the nine days off.
        ("2026-02-14T16:00", 2 * H, "2026-02-24T09:30"),
        // The last working day before Spring Festival 2025, then the week off.
        ("2025-01-27T16:30", H, "2025-02-05T09:00"),
        // The Sunday make-up day before National Day 2025.
        ("2025-09-26T16:00", 4 * H, "2025-09-28T11:30"),
        ("2025-09-30T16:00", 2 * H, "2025-10-09T09:30"),
        // Opened outside working hours: the clock starts next working morning.
        ("2026-03-06T20:00", 2 * H, "2026-03-09T10:30"),
        // Exactly used up at the end of a day ends there, not next morning.
        ("2026-03-05T15:00", 2 * H, "2026-03-05T17:00"),
        // Thirty business days (of 8.5 hours) across Mid-Autumn and National Day 2026 and the
        // make-up Saturday of 10 October.
        (
            "2026-09-21T08:30",
            30 * (8 * H + 30 * M),
            "2026-11-06T17:00",
        ),
    ];
    for (start, secs, due) in cases {
        assert_eq!(
            cal.add(sh(start), secs),
            Some(sh(due)),
            "{start} + {secs} s"
        );
        assert_eq!(
            cal.elapsed(sh(start), sh(due)),
            secs,
            "working time {start} to {due}"
        );
    }
}

#[test]
fn next_business_day_ends() {
    let cal = builtin(CHINA_5X8);
    let cases = [
        // A Friday before a holiday weekend: Qingming 2026 (Saturday to Monday).
        ("2026-04-03T10:00", "2026-04-07T17:00"),
        // A Friday whose next day is a make-up Saturday.
        ("2026-02-13T10:00", "2026-02-14T17:00"),
        ("2025-09-26T18:00", "2025-09-28T17:00"),
        // The day before National Day 2026.
        ("2026-09-30T09:00", "2026-10-08T17:00"),
        // Filed at night on a holiday.
        ("2026-10-03T23:00", "2026-10-08T17:00"),
        ("2026-11-20T11:00", "2026-11-23T17:00"),
    ];
    for (start, due) in cases {
        assert_eq!(
            cal.next_business_day_end(sh(start)),
            Some(sh(due)),
            "NBD after {start}"
        );
    }
}

#[test]
fn round_the_clock_runs_on_holidays() {
    let cal = builtin(ALWAYS);
    // Severity 1 at 23:00 on a holiday.
    assert_eq!(
        cal.add(sh("2026-10-03T23:00"), 2 * H),
        Some(sh("2026-10-04T01:00"))
    );
    assert_eq!(
        cal.add(sh("2026-12-31T23:30"), H),
        Some(sh("2027-01-01T00:30"))
    );
    assert_eq!(
        cal.elapsed(sh("2026-12-31T23:30"), sh("2027-01-01T00:30")),
        H
    );
}

#[test]
fn day_rules_say_why() {
    let cal = builtin(CHINA_5X8);
    let d = |s: &str| s.parse::<Date>().unwrap();
    let rule = cal.day(d("2026-10-10"));
    assert_eq!(rule.exception.unwrap().kind, ExceptionKind::Workday);
    assert_eq!(rule.hours, &["08:30-17:00".parse::<Interval>().unwrap()]);
    assert!(cal.day(d("2026-10-05")).hours.is_empty());
    assert!(
        cal.day(d("2026-10-11")).exception.is_none() && cal.day(d("2026-10-11")).hours.is_empty()
    );
}

#[test]
fn a_calendar_without_working_time_gives_no_deadline() {
    let spec = CalendarSpec {
        name: "closed".into(),
        time_zone: "UTC".into(),
        weekly: WeeklyHours::default(),
        exceptions: vec![],
    };
    let cal = spec.compile().unwrap();
    assert_eq!(cal.add(sh("2026-01-01T00:00"), 60), None);
    assert_eq!(cal.next_business_day_end(sh("2026-01-01T00:00")), None);
}

#[test]
fn bad_definitions_are_refused_with_the_field_named() {
    let spec: CalendarSpec = serde_json::from_value(serde_json::json!({
        "name": "x", "time_zone": "Mars/Olympus", "weekly": {"mon": ["08:00-12:00", "11:00-13:00"]},
        "exceptions": [{"date": "2026-01-01", "kind": "holiday", "name": "h", "hours": ["08:00-09:00"]}]
    }))
    .unwrap();
    let fields: Vec<String> = spec
        .compile()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["time_zone", "weekly.mon", "exceptions[0].hours"]);
    let inverted = serde_json::from_value::<CalendarSpec>(serde_json::json!({
        "name": "x", "time_zone": "UTC", "weekly": {"mon": ["13:00-12:00"]}
    }));
    assert!(
        inverted
            .unwrap_err()
            .to_string()
            .contains("starts at or after its end")
    );
}

// ---- Properties against a minute-by-minute reference ----

const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/Santiago",
    "Australia/Lord_Howe",
    "UTC",
];

fn interval_strategy() -> impl Strategy<Value = Vec<Interval>> {
    // Up to three intervals, on 5-minute boundaries, sorted and apart.
    prop::collection::vec((0u16..288, 1u16..100), 0..=3).prop_map(|raw| {
        let mut out = Vec::new();
        let mut at = 0u16;
        for (gap, len) in raw {
            let start = at + gap % 96 * 5;
            let end = (start + len * 5).min(24 * 60);
            if start >= end {
                break;
            }
            out.push(Interval::new(start, end).unwrap());
            at = end;
        }
        out
    })
}

fn calendar_strategy() -> impl Strategy<Value = CalendarSpec> {
    let week = prop::collection::vec(interval_strategy(), 7);
    let exceptions = prop::collection::btree_map(0i32..120, (0u8..3, interval_strategy()), 0..12);
    (prop::sample::select(ZONES), week, exceptions).prop_map(|(zone, week, exceptions)| {
        let base: Date = "2026-01-01".parse().unwrap();
        let weekly = WeeklyHours {
            mon: week[0].clone(),
            tue: week[1].clone(),
            wed: week[2].clone(),
            thu: week[3].clone(),
            fri: week[4].clone(),
            sat: week[5].clone(),
            sun: week[6].clone(),
        };
        let exceptions = exceptions
            .into_iter()
            .map(|(offset, (kind, hours))| {
                let kind = [
                    ExceptionKind::Holiday,
                    ExceptionKind::Workday,
                    ExceptionKind::SpecialHours,
                ][kind as usize];
                let hours = match kind {
                    ExceptionKind::Holiday => vec![],
                    ExceptionKind::SpecialHours if hours.is_empty() => {
                        vec![Interval::new(600, 660).unwrap()]
                    }
                    _ => hours,
                };
                Exception {
                    date: base
                        .checked_add(jiff::Span::new().days(offset * 3))
                        .unwrap(),
                    until: None,
                    kind,
                    name: "x".into(),
                    hours,
                }
            })
            .collect();
        CalendarSpec {
            name: "random".into(),
            time_zone: zone.into(),
            weekly,
            exceptions,
        }
    })
}

/// Whether the real minute starting at `t` is working time, by the definition.
fn working_minute(cal: &BusinessCalendar, t: Timestamp) -> bool {
    let local = cal.zone().to_datetime(t);
    let minute = local.hour() as u16 * 60 + local.minute() as u16;
    cal.day(local.date())
        .hours
        .iter()
        .any(|i| i.start() <= minute && minute < i.end())
}

/// The deadline found by walking minute by minute, within `limit` minutes of real time.
fn reference_add(
    cal: &BusinessCalendar,
    start: Timestamp,
    minutes: i64,
    limit: i64,
) -> Option<Timestamp> {
    if minutes == 0 {
        return Some(start);
    }
    let mut left = minutes;
    for k in 0..limit {
        let t = start + jiff::SignedDuration::from_mins(k);
        if working_minute(cal, t) {
            left -= 1;
            if left == 0 {
                return Some(t + jiff::SignedDuration::from_mins(1));
            }
        }
    }
    None
}

fn start_strategy() -> impl Strategy<Value = Timestamp> {
    // Minute-aligned instants in 2025–2026 (DST changes of all zones included).
    (0i64..(2 * 365 * 24 * 60))
        .prop_map(|m| Timestamp::from_second(1_735_689_600 + m * 60).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_minute_by_minute_reference(
        spec in calendar_strategy(),
        start in start_strategy(),
        minutes in 0i64..(60 * 24 * 3),
    ) {
        let cal = spec.compile().unwrap();
        let limit = 60 * 24 * 60; // sixty days of real time
        if let Some(expected) = reference_add(&cal, start, minutes, limit) {
            prop_assert_eq!(cal.add(start, minutes * 60), Some(expected));
            prop_assert_eq!(cal.elapsed(start, expected), minutes * 60);
        }
    }

    #[test]
    fn deadlines_are_monotone_and_additive(
        spec in calendar_strategy(),
        start in start_strategy(),
        a in 0i64..500_000,
        b in 0i64..500_000,
    ) {
        let cal = spec.compile().unwrap();
        let (Some(da), Some(dab)) = (cal.add(start, a), cal.add(start, a + b)) else {
            return Ok(());
        };
        prop_assert!(da >= start);
        prop_assert!(dab >= da);
        prop_assert_eq!(cal.add(da, b), Some(dab));
        // A pause of d working seconds moves the deadline by exactly d working seconds.
        prop_assert_eq!(cal.elapsed(da, dab), b);
    }

    #[test]
    fn ten_years_never_panic(
        spec in calendar_strategy(),
        start in start_strategy(),
        seconds in 0i64..(10 * 366 * 86_400),
    ) {
        let cal = spec.compile().unwrap();
        if let Some(d) = cal.add(start, seconds) {
            prop_assert!(d >= start);
        }
        let _ = cal.next_business_day_end(start);
    }
}

#[test]
fn dst_gap_and_fold_in_berlin() {
    let spec = CalendarSpec {
        name: "Berlin nights".into(),
        time_zone: "Europe/Berlin".into(),
        weekly: WeeklyHours::every_day(&["01:00-05:00".parse().unwrap()]),
        exceptions: vec![],
    };
    let cal = spec.compile().unwrap();
    let berlin = |s: &str| s.parse::<jiff::Zoned>().unwrap().timestamp();
    // 2026-03-29: 02:00 jumps to 03:00, so the night has three working hours.
    let night = berlin("2026-03-29T01:00+01:00[Europe/Berlin]");
    assert_eq!(
        cal.elapsed(night, night + jiff::SignedDuration::from_hours(5)),
        3 * H
    );
    // 2026-10-25: 03:00 falls back to 02:00, so the night has five working hours.
    let night = berlin("2026-10-25T01:00+02:00[Europe/Berlin]");
    assert_eq!(
        cal.elapsed(night, night + jiff::SignedDuration::from_hours(6)),
        5 * H
    );
}

#[test]
fn calendars_in_november_warn_about_the_coming_year() {
    use super::definition::holiday_warnings;
    let (_, china) = builtin_calendars().into_iter().next().unwrap();
    let d = |s: &str| s.parse::<Date>().unwrap();
    assert!(holiday_warnings(&china, d("2026-10-31")).is_empty());
    let warnings = holiday_warnings(&china, d("2026-11-22"));
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (warnings[0].code, warnings[0].year),
        ("no_holidays_for_year", 2027)
    );
    assert_eq!(holiday_warnings(&china, d("2027-03-01"))[0].year, 2027);
    let (_, always) = builtin_calendars().into_iter().nth(1).unwrap();
    assert!(holiday_warnings(&always, d("2026-11-22")).is_empty());
}
