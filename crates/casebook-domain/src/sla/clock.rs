//! SLA clocks. Each metric of each case is a clock with an event log (started, paused, resumed,
//! met, cancelled; breaches are recorded but do not move it). Everything shown — the deadline,
//! the working time consumed and remaining, when each escalation step is due — is computed from
//! that log and the current terms, so a change of severity or plan recomputes the deadline from
//! the recorded history and keeps the paused time.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::BusinessCalendar;
use super::plan::Target;

/// What happened to a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockEventKind {
    /// It started.
    Started,
    /// It stopped for a while (the case waits for the customer).
    Paused,
    /// It runs again.
    Resumed,
    /// The target was met (first reply, update, closure); the clock ends.
    Met,
    /// The target passed unmet (recorded by the escalation job).
    Breached,
    /// The clock no longer applies (case cancelled, metric removed); it ends.
    Cancelled,
    /// The terms changed (severity or plan); the deadline is recomputed.
    Recomputed,
}

/// One entry of a clock's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockEvent {
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// What.
    pub kind: ClockEventKind,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Running.
    Running,
    /// Standing still.
    Paused,
    /// Met; ended.
    Met,
    /// Cancelled; ended.
    Cancelled,
}

/// A clock as computed from its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStatus {
    /// Where it stands.
    pub state: ClockState,
    /// The target in working seconds (NBD: from the start to the end of the next business day).
    pub target_secs: i64,
    /// Working seconds consumed (up to `now`, or to when it ended).
    pub consumed_secs: i64,
    /// When the target is (or was) reached, if it can be known: unknown while paused.
    pub deadline: Option<Timestamp>,
    /// Whether the working time consumed exceeds the target.
    pub breached: bool,
}

/// The running spans of a log: `(from, to)`, `to` absent for the open span.
fn spans(events: &[ClockEvent]) -> (Vec<(Timestamp, Option<Timestamp>)>, ClockState) {
    let mut out: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
    let mut state = ClockState::Paused;
    let mut started = false;
    for e in events {
        let running = state == ClockState::Running;
        match e.kind {
            ClockEventKind::Started if !started => {
                started = true;
                state = ClockState::Running;
                out.push((e.at, None));
            }
            ClockEventKind::Resumed if started && state == ClockState::Paused => {
                state = ClockState::Running;
                out.push((e.at, None));
            }
            ClockEventKind::Paused | ClockEventKind::Met | ClockEventKind::Cancelled
                if started && state != ClockState::Met && state != ClockState::Cancelled =>
            {
                if running && let Some(last) = out.last_mut() {
                    last.1 = Some(e.at);
                }
                state = match e.kind {
                    ClockEventKind::Met => ClockState::Met,
                    ClockEventKind::Cancelled => ClockState::Cancelled,
                    _ => ClockState::Paused,
                };
            }
            _ => {}
        }
    }
    (out, state)
}

/// The target in working seconds for a clock started at `start`.
pub fn target_seconds(
    calendar: &BusinessCalendar,
    target: Target,
    start: Timestamp,
) -> Option<i64> {
    match target {
        Target::Minutes(m) => Some(i64::from(m) * 60),
        Target::NextBusinessDay => calendar
            .next_business_day_end(start)
            .map(|end| calendar.elapsed(start, end)),
    }
}

/// When `need` working seconds are used up along the spans; for an ended clock, as if its last
/// span had gone on. `None` while paused with time left, or if the calendar never gets there.
fn reached_at(
    calendar: &BusinessCalendar,
    spans: &[(Timestamp, Option<Timestamp>)],
    state: ClockState,
    need: i64,
) -> Option<Timestamp> {
    let mut cum = 0;
    for (i, &(from, to)) in spans.iter().enumerate() {
        let last = i + 1 == spans.len();
        match to {
            Some(to) => {
                let e = calendar.elapsed(from, to);
                if cum + e >= need {
                    return calendar.add(from, need - cum);
                }
                if last && matches!(state, ClockState::Met | ClockState::Cancelled) {
                    return calendar.add(from, need - cum);
                }
                cum += e;
            }
            None => return calendar.add(from, need - cum),
        }
    }
    None
}

/// Computes a clock from its log at `now`.
pub fn evaluate(
    calendar: &BusinessCalendar,
    target: Target,
    events: &[ClockEvent],
    now: Timestamp,
) -> Option<ClockStatus> {
    let start = events
        .iter()
        .find(|e| e.kind == ClockEventKind::Started)?
        .at;
    let target_secs = target_seconds(calendar, target, start)?;
    let (spans, state) = spans(events);
    let consumed_secs = spans
        .iter()
        .map(|&(from, to)| calendar.elapsed(from, to.unwrap_or(now).max(from)))
        .sum();
    Some(ClockStatus {
        state,
        target_secs,
        consumed_secs,
        deadline: reached_at(calendar, &spans, state, target_secs),
        breached: consumed_secs > target_secs,
    })
}

/// When a clock reaches `percent` of its target, while it runs; `None` if it is paused or
/// ended (an escalation step is due only on a running clock) or never gets there.
pub fn due_at(
    calendar: &BusinessCalendar,
    target: Target,
    events: &[ClockEvent],
    percent: u16,
) -> Option<Timestamp> {
    let start = events
        .iter()
        .find(|e| e.kind == ClockEventKind::Started)?
        .at;
    let target_secs = target_seconds(calendar, target, start)?;
    let (spans, state) = spans(events);
    if state != ClockState::Running {
        return None;
    }
    let need = (target_secs * i64::from(percent) + 99) / 100;
    reached_at(calendar, &spans, state, need)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::china::{CHINA_5X8, builtin_calendars};
    use jiff::tz::TimeZone;

    fn china() -> BusinessCalendar {
        builtin_calendars()
            .into_iter()
            .find(|(id, _)| id.as_str() == CHINA_5X8)
            .map(|(_, s)| s.compile().unwrap())
            .unwrap()
    }

    fn sh(s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
    }

    fn ev(at: &str, kind: ClockEventKind) -> ClockEvent {
        ClockEvent { at: sh(at), kind }
    }

    use ClockEventKind::*;

    #[test]
    fn a_pause_moves_the_deadline_by_the_paused_working_time() {
        let cal = china();
        let target = Target::Minutes(240);
        let running = [ev("2026-11-23T09:00", Started)];
        let plain = evaluate(&cal, target, &running, sh("2026-11-23T10:00")).unwrap();
        assert_eq!(plain.deadline, Some(sh("2026-11-23T13:00")));
        assert_eq!(plain.consumed_secs, 3600);
        // Paused 10:00–11:30 (90 working minutes): the deadline moves to 14:30.
        let paused = [
            ev("2026-11-23T09:00", Started),
            ev("2026-11-23T10:00", Paused),
        ];
        let status = evaluate(&cal, target, &paused, sh("2026-11-23T11:00")).unwrap();
        assert_eq!(
            (status.state, status.deadline, status.consumed_secs),
            (ClockState::Paused, None, 3600)
        );
        assert_eq!(
            due_at(&cal, target, &paused, 100),
            None,
            "no escalation while paused"
        );
        let resumed = [paused[0], paused[1], ev("2026-11-23T11:30", Resumed)];
        let status = evaluate(&cal, target, &resumed, sh("2026-11-23T12:00")).unwrap();
        assert_eq!(status.deadline, Some(sh("2026-11-23T14:30")));
        assert_eq!(status.consumed_secs, 3600 + 1800);
        assert_eq!(
            due_at(&cal, target, &resumed, 75),
            Some(sh("2026-11-23T13:30"))
        );
        // A pause across the night counts only working time.
        let overnight = [
            ev("2026-11-23T16:00", Started),
            ev("2026-11-23T16:30", Paused),
            ev("2026-11-24T09:30", Resumed),
        ];
        assert_eq!(
            evaluate(&cal, target, &overnight, sh("2026-11-24T10:00"))
                .unwrap()
                .deadline,
            Some(sh("2026-11-24T13:00"))
        );
    }

    #[test]
    fn met_and_breached_clocks() {
        let cal = china();
        let target = Target::Minutes(120);
        let met = [ev("2026-09-30T16:50", Started), ev("2026-10-08T09:00", Met)];
        let status = evaluate(&cal, target, &met, sh("2026-10-09T09:00")).unwrap();
        assert_eq!(status.state, ClockState::Met);
        assert_eq!(
            status.consumed_secs,
            40 * 60,
            "10 minutes before the holiday, 30 after"
        );
        assert!(!status.breached);
        assert_eq!(status.deadline, Some(sh("2026-10-08T10:20")));
        let late = [ev("2026-09-30T16:50", Started), ev("2026-10-08T10:21", Met)];
        assert!(
            evaluate(&cal, target, &late, sh("2026-10-09T09:00"))
                .unwrap()
                .breached
        );
        assert_eq!(
            due_at(&cal, target, &late, 100),
            None,
            "an ended clock escalates no more"
        );
        // Breached events do not move the clock.
        let noted = [late[0], ev("2026-10-08T10:20", Breached)];
        let status = evaluate(&cal, target, &noted, sh("2026-10-08T11:00")).unwrap();
        assert_eq!((status.state, status.breached), (ClockState::Running, true));
    }

    #[test]
    fn nbd_targets_and_recomputation() {
        let cal = china();
        let events = [ev("2026-04-03T10:00", Started)];
        let status = evaluate(
            &cal,
            Target::NextBusinessDay,
            &events,
            sh("2026-04-03T11:00"),
        )
        .unwrap();
        assert_eq!(status.deadline, Some(sh("2026-04-07T17:00")));
        // Severity raised: the same history, a shorter target.
        let status = evaluate(&cal, Target::Minutes(60), &events, sh("2026-04-03T11:00")).unwrap();
        assert_eq!(status.deadline, Some(sh("2026-04-03T11:00")));
        assert_eq!(status.consumed_secs, 3600);
    }
}
