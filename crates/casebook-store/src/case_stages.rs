//! The stretches of time a case spends at each tier and with each owner (per-tier clocks, OLA):
//! one row per stretch, ended by the change that ends it.

use casebook_domain::Named;
use casebook_domain::Tier;
use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::ids::{CaseId, Id, UserId};
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

/// Starts a stretch at a tier.
pub async fn begin_tier(db: &mut Db, case: CaseId, tier: Tier, at: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO case_stages (case_id, kind, tier, started_at) VALUES ($1, 'tier', $2, $3)")
        .bind(case.get()).bind(tier.as_str()).bind(Ts::new(at)).execute(c).await)?;
    Ok(())
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
}

/// A case's stretches, oldest first (at most 1,000).
pub async fn of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<Stretch>> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT s.kind, s.tier, s.owner_id, u.name AS owner_name, s.started_at, s.ended_at
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
            Ok(Stretch {
                stage,
                started_at: r.started_at.0,
                ended_at: r.ended_at.map(|t| t.0),
            })
        })
        .collect()
}
