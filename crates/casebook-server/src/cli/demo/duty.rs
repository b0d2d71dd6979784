//! The demo's on-duty rota and integrations: the Beijing first line's three shifts (day and
//! night on working days, round the clock on weekends and holidays) for the fortnight around
//! today, the engineers taking turns with the manager as duty manager, their mobiles for
//! DingTalk mentions, a page to the engineer on duty about an open case, and two subscriptions
//! switched off (a CRM webhook and a DingTalk group) that administrators can look at and test.

use casebook_domain::Timestamp;
use casebook_domain::events::EventKind;
use casebook_domain::ids::UserId;
use jiff::SignedDuration;
use serde_json::json;

use super::draft;
use crate::actions::ActionError;
use crate::actions::duty::{pages, rota};
use crate::actions::integrations::subscriptions;
use crate::app::App;
use crate::policy::Principal;

const TEAM: &str = "北京一线 Beijing L1";

/// Loads the rota, the page and the subscriptions; `engineers` take the shifts in turn.
pub(super) async fn load(
    app: &App,
    manager: &Principal,
    admin: &Principal,
    engineers: &[(Principal, UserId)],
    manager_id: UserId,
) -> Result<(), ActionError> {
    let mut shifts = Vec::new();
    for (name, starts, ends, days) in [
        ("白班 Day", "08:30", "17:00", "working"),
        ("夜班 Night", "17:00", "08:30", "working"),
        ("节假日 Holiday", "08:30", "08:30", "non_working"),
    ] {
        let shift = draft(
            json!({"team": TEAM, "name": name, "starts": starts, "ends": ends, "days": days}),
        )?;
        shifts.push(rota::create_shift(app, manager, shift).await?);
    }
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    let mut assignments = Vec::new();
    let mut turn = 0;
    for offset in -1i64..14 {
        let date = today
            .checked_add(jiff::Span::new().days(offset))
            .map_err(|e| ActionError::Internal(e.to_string()))?;
        for shift in &shifts {
            let assignment = json!({"shift_id": shift.id, "date": date, "engineer_id": engineers[turn % engineers.len()].1, "manager_id": manager_id});
            assignments.push(assignment);
            turn += 1;
        }
    }
    // Only the occurrences that run on their date are kept (a working day has no holiday shift).
    let calendar_days = rota::rota(
        app,
        manager,
        Some(
            today
                .yesterday()
                .map_err(|e| ActionError::Internal(e.to_string()))?,
        ),
        Some(15),
    )
    .await?;
    assignments.retain(|a| {
        calendar_days
            .days
            .iter()
            .any(|o| json!(o.shift.id) == a["shift_id"] && json!(o.date) == a["date"])
    });
    rota::assign(app, manager, draft(json!(assignments))?).await?;
    for (i, (engineer, id)) in engineers.iter().enumerate() {
        let contact = draft(json!({"mobile": format!("1380013800{i}")}))?;
        rota::set_contact(app, engineer, id.get(), contact).await?;
    }
    page_about_open_case(app, admin).await?;
    for (name, kind, url) in [
        (
            "CRM (示例 example)",
            "webhook",
            "https://crm.example.com/casebook/events",
        ),
        (
            "钉钉值班群 DingTalk duty group",
            "dingtalk",
            "https://oapi.dingtalk.com/robot/send?access_token=demo",
        ),
    ] {
        let input = draft(
            json!({"name": name, "kind": kind, "url": url, "enabled": false,
            "events": ["case.opened", "sla.breach", "call_home.fault"], "filters": {"severities": [1, 2]},
            "mention_duty": kind != "webhook"}),
        )?;
        subscriptions::create(app, admin, input).await?;
    }
    Ok(())
}

/// Pages the engineer on duty about the most recent open case, as an SLA breach would.
async fn page_about_open_case(app: &App, admin: &Principal) -> Result<(), ActionError> {
    let page = casebook_store::PageRequest {
        limit: Some(1),
        cursor: None,
    };
    let filter = casebook_store::case_list::CaseFilter {
        statuses: vec![
            casebook_domain::Status::Assigned,
            casebook_domain::Status::InProgress,
        ],
        ..Default::default()
    };
    let Some(case) = crate::actions::cases::list(app, admin, filter, &page)
        .await?
        .items
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let now: Timestamp = app.clock.now() - SignedDuration::from_mins(5);
    let mut db = app.store.write().await?;
    let Some(case) = casebook_store::cases::get_by_number(&mut db, case.number).await? else {
        return Ok(());
    };
    pages::on_case_event(app, &mut db, EventKind::SlaBreach, &case, now).await?;
    db.commit().await?;
    Ok(())
}
