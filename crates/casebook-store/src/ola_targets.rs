//! Internal targets per tier and severity (OLA): administrators replace the whole set.

use casebook_domain::ola::{OlaTarget, OlaTargets};
use casebook_domain::{Named, Severity, Tier, Timestamp};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    tier: String,
    severity: i64,
    minutes: i64,
    warn_percent: i64,
}

/// Every target, by tier (intake first) and severity.
pub async fn list(db: &mut Db) -> StoreResult<OlaTargets> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT tier, severity, minutes, warn_percent FROM ola_targets ORDER BY tier, severity")
        .fetch_all(c).await)?;
    let mut targets = rows
        .into_iter()
        .map(|r| {
            Ok(OlaTarget {
                tier: parse_column("ola_targets.tier", &r.tier, Tier::parse)?,
                severity: Severity::from_level(r.severity)
                    .map_err(|e| StoreError::corrupt("ola_targets.severity", e))?,
                minutes: r.minutes,
                warn_percent: r.warn_percent,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    targets.sort_by_key(|t| (t.tier, t.severity));
    Ok(OlaTargets { targets })
}

/// Replaces every target with `set` (checked by the caller).
pub async fn replace(db: &mut Db, set: &OlaTargets, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("DELETE FROM ola_targets").execute(c).await)?;
    for t in &set.targets {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO ola_targets (tier, severity, minutes, warn_percent, updated_at)
             VALUES ($1, $2, $3, $4, $5)")
            .bind(t.tier.as_str()).bind(i64::from(t.severity.level())).bind(t.minutes)
            .bind(t.warn_percent).bind(Ts::new(now)).execute(c).await)?;
    }
    Ok(())
}
