//! The demo's call-home fleet: eight storage controllers `SIM-0001`…`SIM-0008` of 北京远景银行 in
//! its disaster-recovery centre, under a 7×24 contract that includes call home, and a device key
//! written to the demo's data directory, so that `casebook call-home simulate` (whose devices are
//! named `SIM-0001`… by default) plays them against the running demo.

use std::io::Write;
use std::path::{Path, PathBuf};

use casebook_domain::ids::{OrganizationId, ProductId};
use serde_json::json;

use super::draft;
use crate::actions::call_home::keys::{self, KeyDraft};
use crate::actions::{
    ActionError, contracts, contracts::plans, directory::sites, directory::units,
};
use crate::app::App;
use crate::policy::Principal;

/// The organisation whose devices call home.
pub const FLEET_ORGANIZATION: &str = "CN-10001";
/// How many devices the fleet has.
pub const FLEET_SIZE: u32 = 8;
/// The key file in the demo's data directory.
pub const KEY_FILE: &str = "call-home-key.json";

/// What the premium plan promises (the standard plan's targets, every severity and channel on
/// the 7×24 calendar), in Chinese and then English.
const PREMIUM_DESCRIPTION: &str = "全天候 7×24 服务，节假日不停止计时。所有严重程度的问题，不论经电话、网站、邮件、\
API 还是自动报警提交，均在两小时内响应；进展通报间隔：严重程度一 4 小时，二 8 小时，三 17 小时，四 34 小时；\
解决时限：严重程度一 24 小时，二 85 小时，三 170 小时，四 340 小时（均按自然时间连续计算）。\
\n\nService around the clock, 7×24, holidays included. Problems of every severity, by any channel \
(phone, web, e-mail, API or call home), are answered within two hours; updates every 4, 8, 17 and \
34 hours and resolution within 24, 85, 170 and 340 hours for severities 1 to 4, counted around \
the clock.";

/// The 7×24 plan, the site, the units and the contract of the fleet.
pub(super) async fn fleet(
    loader: &App,
    system: &Principal,
    org: OrganizationId,
    product: (ProductId, &str),
) -> Result<(), ActionError> {
    let mut premium = serde_json::to_value(casebook_domain::sla::plan::standard_plan())
        .map_err(|e| ActionError::Internal(e.to_string()))?;
    premium["id"] = json!("premium-7x24");
    premium["name"] = json!("7×24 金牌 Premium 7×24");
    premium["description"] = json!(PREMIUM_DESCRIPTION);
    if let Some(severities) = premium["severities"].as_array_mut() {
        for terms in severities {
            terms["calendar"] = json!("24x7");
            if let Some(terms) = terms.as_object_mut() {
                terms.remove("overrides");
            }
        }
    }
    plans::create(loader, system, draft(premium)?).await?;
    let site = sites::create(
        loader,
        system,
        draft(
            json!({"organization_id": org, "code": format!("{FLEET_ORGANIZATION}-DR"),
            "name": "灾备中心 Disaster-recovery centre"}),
        )?,
    )
    .await?;
    let mut fleet = Vec::new();
    for n in 1..=FLEET_SIZE {
        let unit = units::create(
            loader,
            system,
            draft(json!({"organization_id": org, "site_id": site.id,
                "serial_number": format!("SIM-{n:04}"), "product_id": product.0,
                "product_version": product.1}))?,
        )
        .await?;
        fleet.push(unit.id);
    }
    let today = loader
        .clock
        .now()
        .to_zoned(loader.config.time_zone())
        .date();
    let ends = today
        .checked_add(jiff::Span::new().years(2))
        .map_err(|e| ActionError::Internal(e.to_string()))?;
    contracts::create(
        loader,
        system,
        draft(
            json!({"contract_number": format!("HT-{FLEET_ORGANIZATION}-CH"), "organization_id": org,
            "plan": "premium-7x24", "starts_on": today.to_string(), "ends_on": ends.to_string(),
            "units": fleet, "channels": ["call_home", "phone", "web", "email"], "precedence": 1,
            "services": ["remote_diagnosis", "on_site"]}),
        )?,
    )
    .await?;
    Ok(())
}

/// The fleet's key file in `data`, made on first use (readable by its owner only).
pub async fn key_file(app: &App, data: &Path) -> anyhow::Result<PathBuf> {
    let path = data.join(KEY_FILE);
    if path.exists() {
        return Ok(path);
    }
    let draft = KeyDraft {
        organization: FLEET_ORGANIZATION.into(),
        site: None,
        label: "demo fleet (casebook call-home simulate)".into(),
    };
    let made = keys::create(app, &Principal::system("demo"), draft)
        .await
        .map_err(crate::cli::describe)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(serde_json::to_string_pretty(&made)?.as_bytes())?;
    file.write_all(b"\n")?;
    Ok(path)
}
