//! The stretches of time a case spends at each tier and with each owner (per-tier clocks, OLA):
//! one row per stretch, ended by the change that ends it.

use casebook_domain::Named;
use casebook_domain::Tier;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::ids::{CaseId, Id, UserId};
use casebook_domain::ola::Deadlines;
use casebook_domain::stages::{Stage, Stretch};

use crate::db::Db;
use crate::error::StoreResult;
use crate::rows::parse_column;
use crate::time::Ts;

/// Which stretches: a case's tiers or its owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// At a tier.
    Tier,
    /// With an owner.
    Owner,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Tier => "tier",
            Kind::Owner => "owner",
        }
    }
}

/// Starts a stretch at a tier, with the deadlines of its internal target if one applies.
pub async fn begin_tier(
    db: &mut Db,
    case: CaseId,
    tier: Tier,
    at: Timestamp,
    deadlines: Option<Deadlines>,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO case_stages (case_id, kind, tier, started_at, target_minutes, warn_at, due_at)
         VALUES ($1, 'tier', $2, $3, $4, $5, $6)")
        .bind(case.get()).bind(tier.as_str()).bind(Ts::new(at))
        .bind(deadlines.map(|d| d.minutes)).bind(deadlines.map(|d| Ts::new(d.warn_at)))
        .bind(deadlines.map(|d| Ts::new(d.due_at))).execute(c).await)?;
    Ok(())
}

/// The stay at a tier that lasts, of an open case: its row, case, tier and start.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenStay {
    /// The row.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The tier (as stored).
    pub tier: String,
    /// When it began.
    pub started_at: Ts,
}

/// The stay at a tier that lasts for `case`, if the case is open.
pub async fn current_stay(db: &mut Db, case: CaseId) -> StoreResult<Option<OpenStay>> {
    on_db!(db, c => sqlx::query_as(
        "SELECT id, case_id, tier, started_at FROM case_stages
         WHERE case_id = $1 AND kind = 'tier' AND ended_at IS NULL ORDER BY id DESC LIMIT 1")
        .bind(case.get()).fetch_optional(c).await)
}

/// The stays at a tier that last, after row `after`, by row (for setting targets again).
pub async fn open_stays(db: &mut Db, after: i64, limit: i64) -> StoreResult<Vec<OpenStay>> {
    on_db!(db, c => sqlx::query_as(
        "SELECT id, case_id, tier, started_at FROM case_stages
         WHERE kind = 'tier' AND ended_at IS NULL AND id > $1 ORDER BY id LIMIT $2")
        .bind(after).bind(limit).fetch_all(c).await)
}

/// Sets the deadlines of a lasting stay (`None`: no target); a warning or breach already told
/// is forgotten when its deadline moves later, so that it is told again when the new one comes.
pub async fn set_deadlines(db: &mut Db, id: i64, deadlines: Option<Deadlines>) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE case_stages SET target_minutes = $1, warn_at = $2, due_at = $3,
             warned_at = CASE WHEN $2 IS NULL OR warn_at IS NULL OR $2 > warn_at THEN NULL ELSE warned_at END,
             breached_at = CASE WHEN $3 IS NULL OR due_at IS NULL OR $3 > due_at THEN NULL ELSE breached_at END
         WHERE id = $4 AND ended_at IS NULL")
        .bind(deadlines.map(|d| d.minutes)).bind(deadlines.map(|d| Ts::new(d.warn_at)))
        .bind(deadlines.map(|d| Ts::new(d.due_at))).bind(id).execute(c).await)?;
    Ok(())
}

/// What an internal target tells when it comes: the warning or the breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The warning share is reached.
    Warning,
    /// The target is reached.
    Breach,
}

/// A warning or breach that is due and not told yet.
#[derive(Debug, Clone)]
pub struct DueMoment {
    /// The stay's row.
    pub id: i64,
    /// The case.
    pub case_id: CaseId,
    /// Which.
    pub moment: Moment,
    /// The target in business minutes.
    pub target_minutes: i64,
    /// When it came.
    pub at: Timestamp,
    /// When the target is reached.
    pub due_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    case_id: i64,
    target_minutes: Option<i64>,
    at: Ts,
    due_at: Ts,
}

/// Warnings and breaches of lasting stays due at `now` and not told yet, oldest first, at most
/// `limit` of each.
pub async fn due(db: &mut Db, now: Timestamp, limit: i64) -> StoreResult<Vec<DueMoment>> {
    let mut out = Vec::new();
    for (moment, sql) in [
        (
            Moment::Warning,
            "SELECT id, case_id, target_minutes, warn_at AS at, due_at FROM case_stages
             WHERE ended_at IS NULL AND warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= $1
             ORDER BY warn_at, id LIMIT $2",
        ),
        (
            Moment::Breach,
            "SELECT id, case_id, target_minutes, due_at AS at, due_at FROM case_stages
             WHERE ended_at IS NULL AND breached_at IS NULL AND due_at IS NOT NULL AND due_at <= $1
             ORDER BY due_at, id LIMIT $2",
        ),
    ] {
        let rows: Vec<DueRow> = on_db!(db, c => sqlx::query_as(sql)
            .bind(Ts::new(now)).bind(limit).fetch_all(c).await)?;
        out.extend(rows.into_iter().map(|r| DueMoment {
            id: r.id,
            case_id: Id::new(r.case_id),
            moment,
            target_minutes: r.target_minutes.unwrap_or_default(),
            at: r.at.0,
            due_at: r.due_at.0,
        }));
    }
    Ok(out)
}

/// Marks a warning or breach told at `now`; `false` if another process told it first or the
/// stay ended.
pub async fn claim(db: &mut Db, id: i64, moment: Moment, now: Timestamp) -> StoreResult<bool> {
    let sql = match moment {
        Moment::Warning => {
            "UPDATE case_stages SET warned_at = $1 WHERE id = $2 AND warned_at IS NULL AND ended_at IS NULL"
        }
        Moment::Breach => {
            "UPDATE case_stages SET breached_at = $1, warned_at = COALESCE(warned_at, $1)
             WHERE id = $2 AND breached_at IS NULL AND ended_at IS NULL"
        }
    };
    let n = exec_db!(db, c => sqlx::query(sql).bind(Ts::new(now)).bind(id).execute(c).await)?;
    Ok(n == 1)
}

/// Starts a stretch with an owner (`None`: unassigned).
pub async fn begin_owner(
    db: &mut Db,
    case: CaseId,
    owner: Option<UserId>,
    at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO case_stages (case_id, kind, owner_id, started_at) VALUES ($1, 'owner', $2, $3)")
        .bind(case.get()).bind(owner.map(|o| o.get())).bind(Ts::new(at)).execute(c).await)?;
    Ok(())
}

/// Ends the stretch of this kind that lasts.
pub async fn end(db: &mut Db, case: CaseId, kind: Kind, at: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE case_stages SET ended_at = $1 WHERE case_id = $2 AND kind = $3 AND ended_at IS NULL")
        .bind(Ts::new(at)).bind(case.get()).bind(kind.as_str()).execute(c).await)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: String,
    tier: Option<String>,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    started_at: Ts,
    ended_at: Option<Ts>,
    target_minutes: Option<i64>,
    warn_at: Option<Ts>,
    due_at: Option<Ts>,
}

/// A case's stretches, oldest first (at most 1,000).
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<Stretch>> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT s.kind, s.tier, s.owner_id, u.name AS owner_name, s.started_at, s.ended_at,
                s.target_minutes, s.warn_at, s.due_at
         FROM case_stages s LEFT JOIN users u ON u.id = s.owner_id
         WHERE s.case_id = $1 ORDER BY s.id LIMIT 1000")
        .bind(case.get()).fetch_all(c).await)?;
    rows.into_iter()
        .map(|r| {
            let stage = match (r.kind.as_str(), r.tier.as_deref()) {
                ("tier", Some(t)) => Stage::Tier(parse_column("case_stages.tier", t, Tier::parse)?),
                _ => Stage::Owner(r.owner_id.map(|id| NamedRef {
                    id: Id::new(id),
                    name: r.owner_name.unwrap_or_default(),
                })),
            };
            let deadlines = match (r.target_minutes, r.warn_at, r.due_at) {
                (Some(minutes), Some(warn_at), Some(due_at)) => Some(Deadlines {
                    minutes,
                    warn_at: warn_at.0,
                    due_at: due_at.0,
                }),
                _ => None,
            };
            Ok(Stretch {
                stage,
                started_at: r.started_at.0,
                ended_at: r.ended_at.map(|t| t.0),
                deadlines,
            })
        })
        .collect()
}
