//! The dispatch board (派工看板): the visits of a period by engineer, each visit from its planned
//! arrival for its planned length. Visits no engineer is assigned to come first; an engineer's
//! visits that overlap while still ahead (planned or on site) are flagged as conflicts.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

use super::visit::{Visit, VisitState};
use crate::case::NamedRef;
use crate::ids::UserId;

/// A visit on the board.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BoardVisit {
    /// The visit.
    pub id: i64,
    /// Its case.
    pub case_number: String,
    /// Where it is in its life.
    pub state: VisitState,
    /// The site's name.
    pub site: Option<String>,
    /// When they should arrive.
    #[schema(value_type = String, format = DateTime)]
    pub planned_arrival: Timestamp,
    /// How long it is planned to take.
    pub planned_minutes: i64,
    /// Whether it overlaps another visit of the same engineer.
    pub conflict: bool,
}

/// One engineer's row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EngineerRow {
    /// The engineer.
    #[schema(value_type = Object)]
    pub engineer: NamedRef<UserId>,
    /// Their visits, by arrival.
    pub visits: Vec<BoardVisit>,
    /// The pairs of their visits that overlap (visit ids).
    pub conflicts: Vec<(i64, i64)>,
}

/// The board of a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Board {
    /// The first instant shown.
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    /// The instant after the last shown.
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// Visits with no engineer, listed first.
    pub unassigned: Vec<BoardVisit>,
    /// Each engineer with visits, by name.
    pub engineers: Vec<EngineerRow>,
}

fn end(v: &BoardVisit) -> Timestamp {
    v.planned_arrival + SignedDuration::from_mins(v.planned_minutes.max(1))
}

fn ahead(v: &BoardVisit) -> bool {
    matches!(v.state, VisitState::Planned | VisitState::OnSite)
}

/// The overlapping pairs among one engineer's visits (by arrival), and marks them.
fn flag(visits: &mut [BoardVisit]) -> Vec<(i64, i64)> {
    let mut pairs = Vec::new();
    for i in 0..visits.len() {
        for j in i + 1..visits.len() {
            let (a, b) = (&visits[i], &visits[j]);
            if b.planned_arrival >= end(a) {
                break;
            }
            if ahead(a) && ahead(b) {
                pairs.push((a.id, b.id));
            }
        }
    }
    for v in visits.iter_mut() {
        v.conflict = pairs.iter().any(|&(a, b)| a == v.id || b == v.id);
    }
    pairs
}

/// Lays the visits of `from`..`to` out by engineer.
pub fn lay_out(from: Timestamp, to: Timestamp, visits: &[Visit]) -> Board {
    let mut unassigned = Vec::new();
    let mut rows: Vec<EngineerRow> = Vec::new();
    let mut sorted: Vec<&Visit> = visits.iter().collect();
    sorted.sort_by_key(|v| (v.planned_arrival, v.id));
    for v in sorted {
        let item = BoardVisit {
            id: v.id,
            case_number: v.case_number.clone(),
            state: v.state,
            site: v.site.as_ref().map(|s| s.name.clone()),
            planned_arrival: v.planned_arrival,
            planned_minutes: v.planned_minutes,
            conflict: false,
        };
        if v.engineers.is_empty() {
            unassigned.push(item);
            continue;
        }
        for e in &v.engineers {
            match rows.iter_mut().find(|r| r.engineer.id == e.id) {
                Some(row) => row.visits.push(item.clone()),
                None => rows.push(EngineerRow {
                    engineer: e.clone(),
                    visits: vec![item.clone()],
                    conflicts: Vec::new(),
                }),
            }
        }
    }
    for row in &mut rows {
        row.conflicts = flag(&mut row.visits);
    }
    rows.sort_by(|a, b| {
        a.engineer
            .name
            .cmp(&b.engineer.name)
            .then(a.engineer.id.cmp(&b.engineer.id))
    });
    Board {
        from,
        to,
        unassigned,
        engineers: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Id;

    fn visit(id: i64, engineers: &[i64], hour: i64, minutes: i64, state: VisitState) -> Visit {
        Visit {
            id,
            case_number: format!("2026-0000{id}"),
            state,
            site: None,
            engineers: engineers
                .iter()
                .map(|&e| NamedRef {
                    id: Id::new(e),
                    name: format!("engineer {e}"),
                })
                .collect(),
            planned_arrival: Timestamp::from_second(1_800_000_000 + hour * 3600).expect("time"),
            planned_minutes: minutes,
            notes: String::new(),
            dispatched_by: None,
            dispatched_at: Timestamp::from_second(1_800_000_000).expect("time"),
            checked_in_at: None,
            ended_at: None,
            work_done: String::new(),
            travel_minutes: 0,
            onsite_minutes: None,
            cancel_reason: None,
            reserved: Vec::new(),
            used: Vec::new(),
            signed: None,
            version: 1,
        }
    }

    #[test]
    fn overlaps_of_one_engineer_are_flagged_and_the_unassigned_come_first() {
        let t = Timestamp::from_second(1_800_000_000).expect("time");
        let visits = [
            visit(1, &[7], 0, 120, VisitState::Planned),
            visit(2, &[7, 8], 1, 60, VisitState::Planned),
            visit(3, &[8], 2, 60, VisitState::Planned),
            visit(4, &[], 3, 60, VisitState::Planned),
            visit(5, &[7], 5, 60, VisitState::Completed),
            visit(6, &[7], 5, 60, VisitState::Planned),
        ];
        let board = lay_out(t, t + SignedDuration::from_hours(24), &visits);
        assert_eq!(
            board.unassigned.iter().map(|v| v.id).collect::<Vec<_>>(),
            [4]
        );
        let seven = &board.engineers[0];
        assert_eq!(seven.engineer.id.get(), 7);
        assert_eq!(seven.conflicts, [(1, 2)]);
        let flagged: Vec<i64> = seven
            .visits
            .iter()
            .filter(|v| v.conflict)
            .map(|v| v.id)
            .collect();
        assert_eq!(flagged, [1, 2]);
        let eight = &board.engineers[1];
        assert!(eight.conflicts.is_empty(), "2 ends when 3 begins");
    }
}
