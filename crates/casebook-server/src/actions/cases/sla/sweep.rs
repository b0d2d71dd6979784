//! Firing the escalation steps that are due, each exactly once whatever the number of server
//! processes: in-app notifications and mail to the people the step names, and the `breached`
//! entry on the clock at 100 %.

use casebook_domain::events::{EventKind, SlaSection};
use casebook_domain::policy::Role;
use casebook_domain::sla::clock::ClockEventKind;
use casebook_domain::sla::plan::Notify;
use casebook_store::sla::{self as store};
use casebook_store::users::{self as users_store, StaffGroup};
use casebook_store::{AuditActor, AuditEntry, Db, cases};

use crate::actions::ActionResult;
use crate::actions::integrations::emit;
use crate::actions::notify::case_mail::{self, SlaNews};
use crate::app::App;

use super::SlaCase;

/// Who an escalation step reaches: the owner (or the coordinators), the tier's leads, or the
/// duty managers; managers when nobody holds that duty.
async fn recipients(
    db: &mut Db,
    notify: Notify,
    case: &SlaCase,
) -> ActionResult<Vec<casebook_domain::users::User>> {
    let found = match (notify, case.owner) {
        (Notify::Owner, Some(owner)) => users_store::get(db, owner)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect(),
        (Notify::Owner, None) => {
            users_store::staff_of(db, StaffGroup::Role(Role::Coordinator)).await?
        }
        (Notify::TierLead, _) => {
            users_store::staff_of(db, StaffGroup::TierLeads(case.tier)).await?
        }
        (Notify::DutyManager, _) => users_store::staff_of(db, StaffGroup::DutyManagers).await?,
    };
    if found.is_empty() {
        return Ok(users_store::staff_of(db, StaffGroup::Role(Role::Manager)).await?);
    }
    Ok(found)
}

/// Fires the escalation steps that are due, each exactly once: notifications, mail in the
/// outbox, a `breached` entry on the clock at 100 %. Returns how many fired.
pub async fn sweep(app: &App, limit: i64) -> ActionResult<usize> {
    let now = app.clock.now();
    let due = {
        let mut db = app.store.read().await?;
        store::due_escalations(&mut db, now, limit).await?
    };
    let mut fired = 0;
    for step in due {
        let mut db = app.store.write().await?;
        if !store::claim_escalation(&mut db, step.id, now).await? {
            continue;
        }
        let Some(case) = cases::get(&mut db, step.case_id).await? else {
            continue;
        };
        let sla_case = SlaCase::from(&case);
        let kind = match step.percent {
            p if p < 100 => "sla_warning",
            100 => "sla_breach",
            _ => "sla_escalation",
        };
        let news = SlaNews {
            metric: step.metric,
            percent: step.percent,
            due: step.due_at,
        };
        for user in recipients(&mut db, step.notify, &sla_case).await? {
            let key = format!("sla:{}:{}", step.id, user.id);
            case_mail::alert_staff(app, &mut db, &user, &case, kind, &news, &key, now).await?;
        }
        let event = match step.percent {
            p if p < 100 => Some(EventKind::SlaWarning),
            100 => Some(EventKind::SlaBreach),
            _ => None,
        };
        if let Some(event) = event {
            let deadline = store::clocks_of_case(&mut db, case.id)
                .await?
                .into_iter()
                .find(|c| c.id == step.clock_id)
                .and_then(|c| c.deadline)
                .unwrap_or(step.due_at);
            let sla = SlaSection {
                metric: step.metric.as_str().into(),
                deadline,
                percent: (step.percent < 100).then(|| u32::from(step.percent)),
            };
            let id = format!("evt_sla_{}_{}", step.clock_id, step.percent);
            emit::case_event_keyed(
                app,
                &mut db,
                event,
                &case,
                emit::system_actor(),
                now,
                id,
                |e| {
                    e.sla = Some(sla);
                },
            )
            .await?;
        }
        if step.percent >= 100 {
            let clocks = store::clocks_of_case(&mut db, case.id).await?;
            if let Some(mut c) = clocks.into_iter().find(|c| c.id == step.clock_id)
                && !c.events.iter().any(|e| e.kind == ClockEventKind::Breached)
            {
                store::add_event(&mut db, c.id, step.due_at, ClockEventKind::Breached, "").await?;
                c.breached = true;
                store::save_clock(&mut db, &c, now).await?;
            }
        }
        db.audit(AuditEntry::change(
            now,
            &AuditActor::system("sla"),
            "sla.escalate",
            "case",
            case.number,
            None,
            Some(&serde_json::json!({"metric": step.metric, "percent": step.percent, "notify": step.notify, "due_at": step.due_at})),
        ));
        db.commit().await?;
        fired += 1;
    }
    Ok(fired)
}
