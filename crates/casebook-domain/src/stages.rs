//! Per-tier clocks (OLA): the stretches of time a case spends at one tier (intake, L1, L2,
//! engineering) and with one owner, and their business time on the case's calendar. A case
//! that comes back to a tier adds a stretch; the totals are per tier and per owner, in the order
//! they were first reached. Internal only: customers never see them.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::attributes::Tier;
use crate::case::NamedRef;
use crate::ids::UserId;
use crate::ola::{self, Deadlines, OlaStay};
use crate::sla::calendar::BusinessCalendar;

/// One stretch: at a tier, or with an owner (`None`: unassigned).
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// At a tier.
    Tier(Tier),
    /// With an owner, or unassigned.
    Owner(Option<NamedRef<UserId>>),
}

/// A stretch as stored: what, from when, until when (`None` while it lasts).
#[derive(Debug, Clone, PartialEq)]
pub struct Stretch {
    /// What the case was at or with.
    pub stage: Stage,
    /// Started.
    pub started_at: Timestamp,
    /// Ended, or `None` while it lasts.
    pub ended_at: Option<Timestamp>,
    /// The internal target of a stay at a tier, if one applies.
    pub deadlines: Option<Deadlines>,
}

/// The time a case spent at one tier or with one owner.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StageTime {
    /// The tier (for a tier's time).
    pub tier: Option<Tier>,
    /// The owner (for an owner's time; absent with `tier` absent too: unassigned).
    pub owner: Option<NamedRef<UserId>>,
    /// Business seconds on the case's calendar.
    pub business_seconds: i64,
    /// Wall-clock seconds.
    pub elapsed_seconds: i64,
    /// How many stretches (a case that came back adds one).
    pub stretches: i64,
    /// Whether the case is there now.
    pub current: bool,
}

/// A case's time per tier and per owner.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
pub struct CaseStages {
    /// Per tier, in the order first reached.
    pub tiers: Vec<StageTime>,
    /// Per owner (unassigned included), in the order first reached.
    pub owners: Vec<StageTime>,
    /// Each stay at a tier that had an internal target, oldest first, and where it stands.
    pub targets: Vec<OlaStay>,
}

/// Adds up the stretches at `now` on `calendar`.
pub fn totals(stretches: &[Stretch], calendar: &BusinessCalendar, now: Timestamp) -> CaseStages {
    let mut out = CaseStages::default();
    for s in stretches {
        if let (Stage::Tier(tier), Some(d)) = (&s.stage, &s.deadlines) {
            out.targets.push(OlaStay {
                tier: *tier,
                target_minutes: d.minutes,
                started_at: s.started_at,
                ended_at: s.ended_at,
                warn_at: d.warn_at,
                due_at: d.due_at,
                state: ola::state(d, s.ended_at, now),
            });
        }
        let end = s.ended_at.unwrap_or(now).max(s.started_at);
        let business = calendar.elapsed(s.started_at, end);
        let elapsed = end.duration_since(s.started_at).as_secs();
        let (list, tier, owner) = match &s.stage {
            Stage::Tier(t) => (&mut out.tiers, Some(*t), None),
            Stage::Owner(o) => (&mut out.owners, None, o.clone()),
        };
        let same = |t: &StageTime| {
            t.tier == tier && t.owner.as_ref().map(|o| o.id) == owner.as_ref().map(|o| o.id)
        };
        match list.iter_mut().find(|t| same(t)) {
            Some(t) => {
                t.business_seconds += business;
                t.elapsed_seconds += elapsed;
                t.stretches += 1;
                t.current |= s.ended_at.is_none();
            }
            None => list.push(StageTime {
                tier,
                owner,
                business_seconds: business,
                elapsed_seconds: elapsed,
                stretches: 1,
                current: s.ended_at.is_none(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Id;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn time_at_each_tier_and_owner_on_the_business_calendar() {
        let (_, spec) = crate::sla::china::builtin_calendars().remove(0);
        let calendar = spec.compile().unwrap();
        let li = NamedRef {
            id: Id::new(7),
            name: "李工".into(),
        };
        // China 5×8 works 08:30–17:00 in Shanghai. Opened at intake on Friday 2026-11-20 at
        // 16:00; L1 and 李工 at 16:30; L2 on Monday at 10:00; back to L1 at 11:00; now 12:00.
        let stretch = |stage: Stage, from: &str, to: Option<&str>| Stretch {
            stage,
            started_at: t(from),
            ended_at: to.map(t),
            deadlines: None,
        };
        let stretches = [
            stretch(
                Stage::Tier(Tier::Intake),
                "2026-11-20T08:00:00Z",
                Some("2026-11-20T08:30:00Z"),
            ),
            stretch(
                Stage::Owner(None),
                "2026-11-20T08:00:00Z",
                Some("2026-11-20T08:30:00Z"),
            ),
            stretch(
                Stage::Tier(Tier::L1),
                "2026-11-20T08:30:00Z",
                Some("2026-11-23T02:00:00Z"),
            ),
            stretch(Stage::Owner(Some(li.clone())), "2026-11-20T08:30:00Z", None),
            stretch(
                Stage::Tier(Tier::L2),
                "2026-11-23T02:00:00Z",
                Some("2026-11-23T03:00:00Z"),
            ),
            stretch(Stage::Tier(Tier::L1), "2026-11-23T03:00:00Z", None),
        ];
        let got = totals(&stretches, &calendar, t("2026-11-23T04:00:00Z"));
        let tiers: Vec<_> = got
            .tiers
            .iter()
            .map(|s| (s.tier, s.business_seconds / 60, s.stretches, s.current))
            .collect();
        // L1: Friday 16:30–17:00 and Monday 08:30–10:00, then 11:00–12:00.
        assert_eq!(
            tiers,
            [
                (Some(Tier::Intake), 30, 1, false),
                (Some(Tier::L1), 30 + 90 + 60, 2, true),
                (Some(Tier::L2), 60, 1, false),
            ]
        );
        assert_eq!(got.tiers[1].elapsed_seconds / 60, 3930 + 60);
        let owners: Vec<_> = got
            .owners
            .iter()
            .map(|s| {
                (
                    s.owner.as_ref().map(|o| o.id.get()),
                    s.business_seconds / 60,
                    s.current,
                )
            })
            .collect();
        // With 李工 from Friday 16:30: 30 min on Friday, 08:30–12:00 on Monday.
        assert_eq!(owners, [(None, 30, false), (Some(7), 30 + 210, true)]);
    }
}
