//! The backlog over time: how many cases were open at given instants, by the severity and the
//! status each had then. A case's history is its current severity and status and the changes
//! of either (each with the value it changed from); walking back from now gives its value at
//! any instant.

use jiff::Timestamp;

use crate::attributes::{Named, Severity, Status};

/// A change of a case's severity or status: from, to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The severity changed.
    Severity(Severity, Severity),
    /// The status changed.
    Status(Status, Status),
}

/// A case as the backlog needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseHistory {
    /// When it was opened.
    pub created_at: Timestamp,
    /// Its severity now.
    pub severity: Severity,
    /// Its status now.
    pub status: Status,
    /// Its changes of severity and status, oldest first.
    pub changes: Vec<(Timestamp, Change)>,
}

impl CaseHistory {
    /// Its severity and status at `at` (a change at `at` itself has not happened yet), or
    /// `None` before it was opened. Walking back from now, a change counts only if it led to
    /// the value the walk has reached: a merge moves a duplicate's entries to the survivor's
    /// timeline, and the duplicate's changes do not chain with the survivor's.
    pub fn at(&self, at: Timestamp) -> Option<(Severity, Status)> {
        if self.created_at >= at {
            return None;
        }
        let (mut severity, mut status) = (self.severity, self.status);
        for (when, change) in self.changes.iter().rev() {
            if *when < at {
                continue;
            }
            match *change {
                Change::Severity(from, to) if to == severity => severity = from,
                Change::Status(from, to) if to == status => status = from,
                _ => {}
            }
        }
        Some((severity, status))
    }
}

/// The statuses of an open case, in lifecycle order.
pub fn open_statuses() -> Vec<Status> {
    Status::ALL
        .iter()
        .copied()
        .filter(|s| !s.is_terminal())
        .collect()
}

/// Open cases at one instant: per severity (1–4) and per open status (in [`open_statuses`]
/// order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Count {
    /// Per severity 1–4.
    pub by_severity: [i64; 4],
    /// Per open status.
    pub by_status: Vec<i64>,
}

/// Counts the open cases at each instant.
pub fn count(cases: &[CaseHistory], instants: &[Timestamp]) -> Vec<Count> {
    let statuses = open_statuses();
    instants
        .iter()
        .map(|&at| {
            let mut out = Count {
                by_severity: [0; 4],
                by_status: vec![0; statuses.len()],
            };
            for (severity, status) in cases.iter().filter_map(|c| c.at(at)) {
                if let Some(i) = statuses.iter().position(|s| *s == status) {
                    out.by_status[i] += 1;
                    out.by_severity[usize::from(severity.level() - 1)] += 1;
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_case_counts_with_the_severity_and_status_it_had_then() {
        // Opened on day 1 as severity 3 (new), raised to 1 and assigned on day 2, closed on day 3.
        let case = CaseHistory {
            created_at: t("2026-11-01T02:00:00Z"),
            severity: Severity::One,
            status: Status::Closed,
            changes: vec![
                (
                    t("2026-11-02T02:00:00Z"),
                    Change::Severity(Severity::Three, Severity::One),
                ),
                (
                    t("2026-11-02T02:00:00Z"),
                    Change::Status(Status::New, Status::Assigned),
                ),
                // Another case's change, moved here by a merge: it does not chain.
                (
                    t("2026-11-02T05:00:00Z"),
                    Change::Status(Status::InProgress, Status::AwaitingCustomer),
                ),
                (
                    t("2026-11-03T02:00:00Z"),
                    Change::Status(Status::Assigned, Status::Closed),
                ),
            ],
        };
        let instants = [
            t("2026-11-01T00:00:00Z"),
            t("2026-11-01T16:00:00Z"),
            t("2026-11-02T16:00:00Z"),
            t("2026-11-03T16:00:00Z"),
        ];
        let counts = count(&[case], &instants);
        let statuses = open_statuses();
        let new = statuses.iter().position(|s| *s == Status::New).unwrap();
        let assigned = statuses
            .iter()
            .position(|s| *s == Status::Assigned)
            .unwrap();
        assert_eq!(
            counts[0],
            Count {
                by_severity: [0; 4],
                by_status: vec![0; 5]
            }
        );
        assert_eq!(counts[1].by_severity, [0, 0, 1, 0]);
        assert_eq!(counts[1].by_status[new], 1);
        assert_eq!(counts[2].by_severity, [1, 0, 0, 0]);
        assert_eq!(counts[2].by_status[assigned], 1);
        assert_eq!(counts[3].by_severity, [0; 4], "closed by then");
    }
}
