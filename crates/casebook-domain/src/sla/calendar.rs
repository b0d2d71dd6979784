//! Business calendars (工作日历) and business-time arithmetic: the deadline that lies N minutes
//! of working time after a moment, the working time between two moments, and the end of the
//! next business day.
//!
//! A minute counts as working time when its wall-clock time in the calendar's zone falls in
//! a working interval of its date. Each local year is compiled once, on first use, into the
//! working segments in real time (UTC seconds) with running totals, so a deadline is a binary
//! search rather than a walk over days. Daylight-saving gaps and folds are handled exactly: the
//! year is cut into pieces of constant UTC offset and each working interval is mapped through
//! them, so an interval across a fold counts the repeated hour and one across a gap does not
//! count the hour that never happens.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::hours::{DayRule, Exceptions, WeeklyHours, day_rule};

/// First local year with a cached table.
const FIRST_YEAR: i16 = 1900;
/// Years with a cached table (1900–2399); others are computed on demand.
const CACHED_YEARS: usize = 500;
/// A deadline search gives up after this many years without enough working time.
const MAX_YEARS: i64 = 200;

/// Working time in one local year, as real-time segments.
#[derive(Debug)]
struct YearTable {
    /// `[start, end)` in UTC seconds, sorted, not overlapping.
    segs: Vec<(i64, i64)>,
    /// Working seconds of the year up to the end of each segment.
    upto: Vec<i64>,
    /// `day_start[i]..day_start[i + 1]` are the segments of the (i+1)-th day of the year.
    day_start: Vec<u32>,
}

impl YearTable {
    fn empty() -> Self {
        YearTable {
            segs: vec![],
            upto: vec![],
            day_start: vec![0],
        }
    }

    /// Working seconds in the year.
    fn total(&self) -> i64 {
        self.upto.last().copied().unwrap_or(0)
    }

    /// Working seconds of the year before `t` (clamped to the year).
    fn position(&self, t: i64) -> i64 {
        let i = self.segs.partition_point(|&(_, end)| end <= t);
        match self.segs.get(i) {
            Some(&(start, end)) => self.upto[i] - (end - start.max(t)),
            None => self.total(),
        }
    }

    /// The instant at which `pos` working seconds of the year are used up (`0 < pos ≤ total`):
    /// within a segment, or at the end of the one that completes it.
    fn instant_at(&self, pos: i64) -> i64 {
        let j = self.upto.partition_point(|&u| u < pos);
        let (_, end) = self.segs[j];
        end - (self.upto[j] - pos)
    }

    /// The end of the last working segment of a day of the year (1-based), if it has any.
    fn day_end(&self, day: usize) -> Option<i64> {
        let (a, b) = (*self.day_start.get(day - 1)?, *self.day_start.get(day)?);
        (b > a).then(|| self.segs[b as usize - 1].1)
    }
}

/// A business calendar ready for arithmetic. Cheap to share; build it once per definition.
#[derive(Debug)]
pub struct BusinessCalendar {
    zone: TimeZone,
    weekly: WeeklyHours,
    exceptions: Exceptions,
    years: Vec<OnceLock<YearTable>>,
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(date: Date) -> i64 {
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl BusinessCalendar {
    /// A calendar from validated parts.
    pub fn new(zone: TimeZone, weekly: WeeklyHours, exceptions: Exceptions) -> Self {
        let years = (0..CACHED_YEARS).map(|_| OnceLock::new()).collect();
        BusinessCalendar {
            zone,
            weekly,
            exceptions,
            years,
        }
    }

    /// The time zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The weekly hours.
    pub fn weekly(&self) -> &WeeklyHours {
        &self.weekly
    }

    /// The dated exceptions.
    pub fn exceptions(&self) -> &Exceptions {
        &self.exceptions
    }

    /// How a date is worked, and why.
    pub fn day(&self, date: Date) -> DayRule<'_> {
        day_rule(&self.weekly, &self.exceptions, date)
    }

    /// The local date of an instant.
    pub fn local_date(&self, t: Timestamp) -> Date {
        self.zone.to_datetime(t).date()
    }

    fn build_year(&self, year: i16) -> YearTable {
        let Ok(first) = Date::new(year, 1, 1) else {
            return YearTable::empty();
        };
        let first_day = days_from_civil(first);
        // Pieces of constant offset covering the year with a margin of two days each side.
        let pieces = self.offset_pieces((first_day - 2) * 86_400, (first_day + 368) * 86_400);
        let mut segs: Vec<(i64, i64)> = Vec::new();
        let mut day_start = vec![0];
        let mut date = first;
        while date.year() == year {
            let rule = self.day(date);
            let local_day = days_from_civil(date) * 86_400;
            let day_first = segs.len();
            for interval in rule.hours {
                let l0 = local_day + i64::from(interval.start()) * 60;
                let l1 = local_day + i64::from(interval.end()) * 60;
                for &(p0, p1, offset) in &pieces {
                    let (s, e) = (p0.max(l0 - offset), p1.min(l1 - offset));
                    if s < e {
                        segs.push((s, e));
                    }
                }
            }
            // Across a fold, intervals map to pieces out of order.
            segs[day_first..].sort_unstable();
            day_start.push(segs.len() as u32);
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        if !segs.is_sorted() {
            // Only a fold at midnight gets here; day ends are then approximate.
            segs.sort_unstable();
        }
        // Merge overlaps (a fold repeats wall-clock time, never real time).
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(segs.len());
        let mut index_map = Vec::with_capacity(segs.len());
        for (s, e) in segs {
            match merged.last_mut() {
                Some(last) if s < last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
            index_map.push(merged.len() as u32);
        }
        let day_start = day_start
            .into_iter()
            .map(|i| if i == 0 { 0 } else { index_map[i as usize - 1] })
            .collect();
        let mut upto = Vec::with_capacity(merged.len());
        let mut total = 0;
        for &(s, e) in &merged {
            total += e - s;
            upto.push(total);
        }
        YearTable {
            segs: merged,
            upto,
            day_start,
        }
    }

    fn year(&self, year: i16) -> YearRef<'_> {
        match usize::try_from(i32::from(year) - i32::from(FIRST_YEAR)) {
            Ok(i) if i < CACHED_YEARS => {
                YearRef::Cached(self.years[i].get_or_init(|| self.build_year(year)))
            }
            _ => YearRef::Owned(Box::new(self.build_year(year))),
        }
    }

    fn local_year(&self, t: i64) -> i16 {
        self.zone.to_datetime(ts(t)).year()
    }

    /// The moment `seconds` of working time after `start`; `start` itself for zero. `None` if
    /// the calendar has too little working time to ever get there.
    pub fn add(&self, start: Timestamp, seconds: i64) -> Option<Timestamp> {
        if seconds <= 0 {
            return Some(start);
        }
        let t = start.as_second();
        let mut year = self.local_year(t);
        let mut remaining = seconds;
        let mut pos = {
            let table = self.year(year);
            table.position(t)
        };
        for _ in 0..MAX_YEARS {
            let table = self.year(year);
            let left = table.total() - pos;
            if remaining <= left {
                let at = table.instant_at(pos + remaining);
                // Sub-second parts of `start` are kept when the deadline is in its segment.
                return Timestamp::from_second(at).ok().map(|d| d.max(start));
            }
            remaining -= left;
            pos = 0;
            year = year.checked_add(1)?;
        }
        None
    }

    /// Working seconds between `from` and `to` (zero if `to` is not after `from`).
    pub fn elapsed(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (a, b) = (from.as_second(), to.as_second());
        if b <= a {
            return 0;
        }
        let (ya, yb) = (self.local_year(a), self.local_year(b));
        if ya == yb {
            let table = self.year(ya);
            return table.position(b) - table.position(a);
        }
        let mut sum = {
            let table = self.year(ya);
            table.total() - table.position(a)
        };
        for y in (ya + 1)..yb {
            sum += self.year(y).total();
        }
        sum + self.year(yb).position(b)
    }

    /// The end of the next business day (NBD): the end of the last working interval of the
    /// first working date after the local date of `start`. `None` if there is none within a
    /// year.
    pub fn next_business_day_end(&self, start: Timestamp) -> Option<Timestamp> {
        let mut date = self.local_date(start).tomorrow().ok()?;
        for _ in 0..=366 {
            let table = self.year(date.year());
            if let Some(end) = table.day_end(usize::try_from(date.day_of_year()).ok()?) {
                return Timestamp::from_second(end).ok();
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// Whether `date` (in the calendar's zone) has working time: a working day, a make-up
    /// working day; not a weekend or a holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        usize::try_from(date.day_of_year())
            .is_ok_and(|day| self.year(date.year()).day_end(day).is_some())
    }

    /// Whether `t` falls in working time.
    pub fn is_working(&self, t: Timestamp) -> bool {
        let s = t.as_second();
        let table = self.year(self.local_year(s));
        let i = table.segs.partition_point(|&(_, end)| end <= s);
        table.segs.get(i).is_some_and(|&(start, _)| start <= s)
    }

    /// `(start, end, offset)` in UTC seconds, covering `[from, to)`, of constant UTC offset.
    fn offset_pieces(&self, from: i64, to: i64) -> Vec<(i64, i64, i64)> {
        let mut pieces = Vec::new();
        let mut start = from;
        let mut offset = i64::from(self.zone.to_offset(ts(from)).seconds());
        for transition in self.zone.following(ts(from)) {
            let at = transition.timestamp().as_second();
            if at >= to {
                break;
            }
            pieces.push((start, at, offset));
            start = at;
            offset = i64::from(transition.offset().seconds());
        }
        pieces.push((start, to, offset));
        pieces
    }
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// A year table, cached or built for one use.
enum YearRef<'a> {
    Cached(&'a YearTable),
    Owned(Box<YearTable>),
}

impl std::ops::Deref for YearRef<'_> {
    type Target = YearTable;

    fn deref(&self) -> &YearTable {
        match self {
            YearRef::Cached(t) => t,
            YearRef::Owned(t) => t,
        }
    }
}
