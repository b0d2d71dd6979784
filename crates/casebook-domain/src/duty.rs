//! The on-duty rota (值班表): shifts per team (e.g. day 08:30–17:00 on working days, night
//! 17:00–08:30 every day, 00:00–24:00 on holidays), which dates they run on by a business
//! calendar (working days and make-up working days, or weekends and holidays), who is duty
//! engineer (值班工程师) and duty manager (值班经理) of each occurrence, and who is on duty at
//! an instant. A shift whose end is not after its start runs past midnight into the next day;
//! an occurrence belongs to the date it starts on.

use jiff::civil::{Date, Time};
use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::error::FieldError;
use crate::sla::calendar::BusinessCalendar;

/// On which dates a shift runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShiftDays {
    /// Working days of the calendar (make-up working days included).
    Working,
    /// Weekends and holidays of the calendar.
    NonWorking,
    /// Every day.
    Every,
}

impl Named for ShiftDays {
    const WHAT: &'static str = "shift days";
    const ALL: &'static [Self] = &[Self::Working, Self::NonWorking, Self::Every];
    fn as_str(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::NonWorking => "non_working",
            Self::Every => "every",
        }
    }
}

/// A shift of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// Id.
    pub id: i64,
    /// The team whose rota it is.
    pub team: String,
    /// Its name, e.g. `白班` or `Night`.
    pub name: String,
    /// When it starts, local time.
    pub starts: Time,
    /// When it ends, local time; not after `starts`: the next day.
    pub ends: Time,
    /// Which dates.
    pub days: ShiftDays,
}

/// A shift as an administrator writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftDraft {
    /// The team (as on users' `team`), 1–100 characters.
    pub team: String,
    /// Its name, 1–100 characters.
    pub name: String,
    /// Start, `HH:MM`.
    pub starts: String,
    /// End, `HH:MM` (`24:00` or a time not after the start: the next day).
    pub ends: String,
    /// `working`, `non_working` or `every`.
    pub days: ShiftDays,
}

fn parse_time(field: &str, raw: &str) -> Result<Time, FieldError> {
    if raw == "24:00" {
        return Ok(Time::midnight());
    }
    let bad = || FieldError::new(field, "invalid", "a time as HH:MM, e.g. 08:30");
    let (h, m) = raw.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

impl ShiftDraft {
    /// Checks it into a shift (id 0), every refusal naming its field.
    pub fn check(&self) -> Result<Shift, Vec<FieldError>> {
        let mut errors = Vec::new();
        let line = |field: &str, v: &str, errors: &mut Vec<FieldError>| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 100 || v.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    field,
                    "invalid",
                    "1 to 100 characters on one line",
                ));
            }
            v.to_owned()
        };
        let team = line("team", &self.team, &mut errors);
        let name = line("name", &self.name, &mut errors);
        let starts = parse_time("starts", &self.starts)
            .map_err(|e| errors.push(e))
            .ok();
        let ends = parse_time("ends", &self.ends)
            .map_err(|e| errors.push(e))
            .ok();
        match (starts, ends) {
            (Some(starts), Some(ends)) if errors.is_empty() => Ok(Shift {
                id: 0,
                team,
                name,
                starts,
                ends,
                days: self.days,
            }),
            _ => Err(errors),
        }
    }
}

/// One occurrence of a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The shift.
    pub shift: i64,
    /// The date it starts on (its assignments are kept by it).
    pub date: Date,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
}

fn at(date: Date, time: Time, zone: &TimeZone) -> Option<Timestamp> {
    date.to_datetime(time)
        .to_zoned(zone.clone())
        .ok()
        .map(|z| z.timestamp())
}

impl Shift {
    /// Whether it runs on `date`.
    pub fn runs_on(&self, date: Date, calendar: &BusinessCalendar) -> bool {
        match self.days {
            ShiftDays::Every => true,
            ShiftDays::Working => calendar.is_working_day(date),
            ShiftDays::NonWorking => !calendar.is_working_day(date),
        }
    }

    /// Its occurrence starting on `date`, if it runs then.
    pub fn on(&self, date: Date, calendar: &BusinessCalendar) -> Option<Occurrence> {
        if !self.runs_on(date, calendar) {
            return None;
        }
        let zone = calendar.zone();
        let starts_at = at(date, self.starts, zone)?;
        let end_date = if self.ends <= self.starts {
            date.tomorrow().ok()?
        } else {
            date
        };
        let ends_at = at(end_date, self.ends, zone)?;
        Some(Occurrence {
            shift: self.id,
            date,
            starts_at,
            ends_at,
        })
    }
}

/// The occurrences running at `t`, by start.
pub fn current(shifts: &[Shift], calendar: &BusinessCalendar, t: Timestamp) -> Vec<Occurrence> {
    let today = calendar.local_date(t);
    let mut found: Vec<Occurrence> = [today.yesterday().ok(), Some(today)]
        .into_iter()
        .flatten()
        .flat_map(|d| shifts.iter().filter_map(move |s| s.on(d, calendar)))
        .filter(|o| o.starts_at <= t && t < o.ends_at)
        .collect();
    found.sort_by_key(|o| (o.starts_at, o.shift));
    found
}

/// The occurrences starting on `days` dates from `from`, by start.
pub fn upcoming(
    shifts: &[Shift],
    calendar: &BusinessCalendar,
    from: Date,
    days: u16,
) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let mut date = from;
    for _ in 0..days {
        found.extend(shifts.iter().filter_map(|s| s.on(date, calendar)));
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    found.sort_by_key(|o| (o.starts_at, o.shift));
    found
}

/// The next occurrence of each team's shifts that starts after `t` (within two weeks).
pub fn next_after(shifts: &[Shift], calendar: &BusinessCalendar, t: Timestamp) -> Vec<Occurrence> {
    let mut next: Vec<Occurrence> = Vec::new();
    let today = calendar.local_date(t);
    for o in upcoming(shifts, calendar, today, 15)
        .into_iter()
        .filter(|o| o.starts_at > t)
    {
        let team = |id: i64| shifts.iter().find(|s| s.id == id).map(|s| s.team.as_str());
        if !next.iter().any(|n| team(n.shift) == team(o.shift)) {
            next.push(o);
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::china;

    fn china_5x8() -> BusinessCalendar {
        china::builtin_calendars().remove(0).1.compile().unwrap()
    }

    fn shifts() -> Vec<Shift> {
        let draft = |name: &str, starts: &str, ends: &str, days| ShiftDraft {
            team: "一线".into(),
            name: name.into(),
            starts: starts.into(),
            ends: ends.into(),
            days,
        };
        let mut all: Vec<Shift> = [
            draft("白班", "08:30", "17:00", ShiftDays::Working),
            draft("夜班", "17:00", "08:30", ShiftDays::Working),
            draft("节假日", "08:30", "08:30", ShiftDays::NonWorking),
        ]
        .iter()
        .map(|d| d.check().unwrap())
        .collect();
        for (i, s) in all.iter_mut().enumerate() {
            s.id = i as i64 + 1;
        }
        all
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_shift_on_duty_follows_working_days_holidays_and_midnight() {
        let calendar = china_5x8();
        let shifts = shifts();
        // Monday 2026-12-07 10:00 in Shanghai: the day shift.
        let day = current(&shifts, &calendar, t("2026-12-07T02:00:00Z"));
        assert_eq!(day.iter().map(|o| o.shift).collect::<Vec<_>>(), [1]);
        // Tuesday 02:00: Monday's night shift, which started on Monday.
        let night = current(&shifts, &calendar, t("2026-12-07T18:00:00Z"));
        assert_eq!(
            (night[0].shift, night[0].date.to_string()),
            (2, "2026-12-07".to_owned())
        );
        // 1 October 02:00 (National Day): 30 September was a working day, so its night shift
        // runs until 08:30; the holiday shift starts then.
        let eve = current(&shifts, &calendar, t("2026-09-30T18:00:00Z"));
        assert_eq!(eve.iter().map(|o| o.shift).collect::<Vec<_>>(), [2]);
        // 2 October 02:00: the holiday shift of 1 October (08:30 to 08:30 the next day).
        let holiday = current(&shifts, &calendar, t("2026-10-01T18:00:00Z"));
        assert_eq!(
            (holiday[0].shift, holiday[0].date.to_string()),
            (3, "2026-10-01".to_owned())
        );
        // A make-up working day (Saturday 2026-10-10) has the day shift, not the holiday one.
        let makeup = current(&shifts, &calendar, t("2026-10-10T02:00:00Z"));
        assert_eq!(makeup.iter().map(|o| o.shift).collect::<Vec<_>>(), [1]);
        let next = next_after(&shifts, &calendar, t("2026-12-07T02:00:00Z"));
        assert_eq!(
            (next[0].shift, next[0].starts_at),
            (2, t("2026-12-07T09:00:00Z"))
        );
    }

    #[test]
    fn drafts_are_checked_field_by_field() {
        let bad = ShiftDraft {
            team: " ".into(),
            name: "夜班".into(),
            starts: "8:30".into(),
            ends: "25:00".into(),
            days: ShiftDays::Every,
        };
        let fields: Vec<String> = bad
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["team", "starts", "ends"]);
        let midnight = ShiftDraft {
            team: "L1".into(),
            name: "n".into(),
            starts: "00:00".into(),
            ends: "24:00".into(),
            days: ShiftDays::Every,
        };
        let shift = midnight.check().unwrap();
        assert_eq!(shift.ends, Time::midnight());
    }
}
