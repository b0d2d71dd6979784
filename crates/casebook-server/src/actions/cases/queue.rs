//! The console's queues: the cases of a filter with the time left on the nearest running SLA
//! target of each, and how urgent that is, newest first or nearest deadline first. One
//! statement for the page's rows, whatever the queue.

use casebook_domain::Timestamp;
use casebook_domain::case::Case;
use casebook_domain::policy::Permission;
use casebook_store::case_list::CaseFilter;
use casebook_store::case_queue::{self, QueueOrder, QueuedCase};
use casebook_store::{Page, PageRequest};
use serde::Serialize;

use crate::actions::ActionResult;
use crate::app::App;
use crate::policy::{Principal, case_scope, require};

/// How urgent the nearest target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than an hour and more than a quarter of the target's time left.
    Ok,
    /// Under an hour, or under a quarter of the time from the clock's start to its deadline.
    Warning,
    /// The deadline has passed.
    Breached,
}

impl Urgency {
    /// Its stable name (CSS classes, message keys).
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Ok => "ok",
            Urgency::Warning => "warning",
            Urgency::Breached => "breached",
        }
    }
}

/// The time left on a case's nearest running target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLeft {
    /// The deadline.
    pub deadline: Timestamp,
    /// Minutes of real time until it (negative: overdue by).
    pub minutes_left: i64,
    /// How urgent.
    pub urgency: Urgency,
}

/// The warning threshold in real time.
const WARN_SECS: i64 = 3600;

/// The time left at `now` on a target that started at `started_at` and is due at `deadline`.
/// The share is taken in real time: a paused stretch counts as used, so a clock that paused
/// turns to a warning early rather than late.
pub fn time_left(now: Timestamp, started_at: Option<Timestamp>, deadline: Timestamp) -> TimeLeft {
    let left = deadline.as_second() - now.as_second();
    let span = started_at.map_or(0, |s| deadline.as_second() - s.as_second());
    let urgency = if left <= 0 {
        Urgency::Breached
    } else if left < WARN_SECS || left.saturating_mul(4) < span {
        Urgency::Warning
    } else {
        Urgency::Ok
    };
    TimeLeft {
        deadline,
        minutes_left: left.div_euclid(60),
        urgency,
    }
}

/// A case in a queue.
#[derive(Debug, Clone)]
pub struct QueueCase {
    /// The case.
    pub case: Case,
    /// The time left on its nearest running target; none while no clock runs.
    pub time_left: Option<TimeLeft>,
}

/// One page of a queue (staff): the cases of `filter`, in `order`, each with its time left.
pub async fn queue(
    app: &App,
    who: &Principal,
    filter: &CaseFilter,
    order: QueueOrder,
    page: &PageRequest,
) -> ActionResult<Page<QueueCase>> {
    require(who, Permission::WorkCases)?;
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let page = case_queue::list(&mut db, case_scope(who), filter, order, page).await?;
    Ok(page.map(
        |QueuedCase {
             case,
             deadline,
             started_at,
         }| QueueCase {
            case,
            time_left: deadline.map(|d| time_left(now, started_at, d)),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn urgency_follows_the_time_left() {
        // Eight hours of target: seven left is fine, 1 h 50 min left is under a quarter.
        assert_eq!(
            time_left(at(0), Some(at(-3600)), at(7 * 3600)).urgency,
            Urgency::Ok
        );
        assert_eq!(
            time_left(at(0), Some(at(-6 * 3600)), at(6600)).urgency,
            Urgency::Warning
        );
        // A long target with under an hour left warns; a passed deadline is breached.
        assert_eq!(
            time_left(at(0), Some(at(-3600)), at(3000)).urgency,
            Urgency::Warning
        );
        let overdue = time_left(at(0), Some(at(-7200)), at(-90));
        assert_eq!(overdue.urgency, Urgency::Breached);
        assert_eq!(overdue.minutes_left, -2);
        assert_eq!(time_left(at(0), None, at(0)).urgency, Urgency::Breached);
    }
}
