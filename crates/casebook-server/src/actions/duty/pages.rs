//! Paging the duty engineer (值班呼叫): a severity-1 case opened outside business hours (by
//! the `[duty]` calendar), an SLA breach and a device fault page every engineer on duty, in the
//! transaction of the change: in the app and by mail with a signed acknowledgement link (the
//! robots subscribed with `mention_duty` @-mention them too). A page that nobody acknowledged
//! within `[duty] ack_minutes` escalates once to the occurrence's duty manager (else the users
//! marked duty manager, else the managers). The engineer, the manager or any staff member can
//! acknowledge it, in the console, through the API or with the link.

use casebook_domain::case::Case;
use casebook_domain::events::EventKind;
use casebook_domain::ids::{Id, UserId};
use casebook_domain::policy::{Permission, Role};
use casebook_domain::users::User;
use casebook_domain::{Severity, Timestamp};
use casebook_store::duty::{self as store, NewPage, Page};
use casebook_store::users::{self, StaffGroup};
use casebook_store::{AuditActor, AuditEntry, Db, cases};
use jiff::SignedDuration;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::rota;
use crate::actions::notify::case_mail::{self, StaffNews};
use crate::actions::notify::tokens;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::{Principal, require};

/// How long an acknowledgement link works.
const LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(72);

/// Why a case pages the duty engineer, if it does: a case at severity 1 (opened so, or raised
/// to it) outside the working time of the `[duty]` calendar, an SLA breach, a device fault.
async fn reason(
    app: &App,
    db: &mut Db,
    kind: EventKind,
    case: &Case,
    now: Timestamp,
) -> ActionResult<Option<&'static str>> {
    Ok(match kind {
        EventKind::CaseOpened | EventKind::CaseSeverityChanged
            if case.severity == Severity::One =>
        {
            match rota::calendar(app, db).await {
                Ok(calendar) => (!calendar.is_working(now)).then_some("sev1_after_hours"),
                Err(e) => {
                    tracing::warn!(error = %e, calendar = %app.config.duty.calendar, "the duty calendar cannot be read; severity-1 cases page nobody");
                    None
                }
            }
        }
        EventKind::SlaBreach => Some("sla_breach"),
        EventKind::CallHomeFault => Some("call_home_fault"),
        _ => None,
    })
}

/// What a page's mail and notification say.
struct DutyNews {
    reason: &'static str,
    shift: String,
    engineer: String,
    ack_url: String,
    due: Timestamp,
}

impl StaffNews for DutyNews {
    fn values(&self, app: &App, lang: Lang) -> (&'static str, Value) {
        let values = json!({
            "reason": lang.t(&format!("duty-reason-{}", self.reason)),
            "shift": self.shift,
            "engineer": self.engineer,
            "ack_url": self.ack_url,
            "ack_due_at": app.config.desk_time(self.due),
        });
        ("duty", values)
    }

    fn in_app(&self, app: &App, lang: Lang, kind: &str, case: &Case) -> (String, String) {
        let title = format!("{} {}", case.number, lang.t(&format!("duty-news-{kind}")));
        let body = format!(
            "{} · {} · {} · {}: {}",
            lang.t(&format!("duty-reason-{}", self.reason)),
            case.title,
            case.organization.name,
            lang.t("duty-ack-before"),
            app.config.desk_time(self.due)
        );
        (title, body)
    }
}

fn ack_url(app: &App, key: &[u8], page: i64, user: UserId, now: Timestamp) -> String {
    let token = tokens::page_token(key, page, user, now + LINK_LIFETIME);
    format!("{}/duty/ack/{token}", app.config.desk.public_url)
}

/// Pages every engineer on duty about `case` when `kind` calls for it; in the caller's
/// transaction, once per case, reason and occurrence.
pub async fn on_case_event(
    app: &App,
    db: &mut Db,
    kind: EventKind,
    case: &Case,
    now: Timestamp,
) -> ActionResult<()> {
    if !matches!(
        kind,
        EventKind::CaseOpened
            | EventKind::CaseSeverityChanged
            | EventKind::SlaBreach
            | EventKind::CallHomeFault
    ) {
        return Ok(());
    }
    let on_duty = rota::now_on_duty(app, db, now).await?;
    if on_duty.iter().all(|o| o.engineer.is_none()) {
        return Ok(());
    }
    let Some(reason) = reason(app, db, kind, case, now).await? else {
        return Ok(());
    };
    let due = now + SignedDuration::from_mins(i64::from(app.config.duty.ack_minutes));
    for occurrence in on_duty {
        let Some(engineer) = &occurrence.engineer else {
            continue;
        };
        let page = NewPage {
            case: case.id,
            reason,
            shift: occurrence.shift.id,
            date: occurrence.date,
            engineer: engineer.id,
            manager: occurrence.manager.as_ref().map(|m| m.id),
            ack_due_at: due,
        };
        let Some(id) = store::insert_page(db, &page, now).await? else {
            continue;
        };
        let Some(user) = users::get(db, engineer.id).await? else {
            continue;
        };
        let key = tokens::key(app, db).await?;
        let news = DutyNews {
            reason,
            shift: format!("{} {}", occurrence.team, occurrence.shift.name),
            engineer: engineer.name.clone(),
            ack_url: ack_url(app, &key, id, engineer.id, now),
            due,
        };
        let dedupe = format!("duty-page:{id}");
        case_mail::alert_staff(app, db, &user, case, "duty_page", &news, &dedupe, now).await?;
        db.audit(AuditEntry::change(
            now,
            &AuditActor::system("duty"),
            "duty.paged",
            "case",
            case.number,
            None,
            Some(&json!({"page": id, "reason": reason, "engineer": engineer.id})),
        ));
    }
    Ok(())
}

/// A page as people read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageView {
    /// Id.
    pub id: i64,
    /// The case.
    pub case_number: String,
    /// `sev1_after_hours`, `sla_breach` or `call_home_fault`.
    pub reason: String,
    /// The engineer paged.
    pub engineer_id: i64,
    /// The manager it escalates to.
    pub manager_id: Option<i64>,
    /// Sent.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it escalates if not acknowledged.
    #[schema(value_type = String, format = DateTime)]
    pub ack_due_at: Timestamp,
    /// Acknowledged.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    /// By whom.
    pub acknowledged_by: Option<i64>,
    /// Escalated to the manager.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub escalated_at: Option<Timestamp>,
}

async fn view(db: &mut Db, p: Page) -> ActionResult<PageView> {
    let number = cases::get(db, Id::new(p.case_id))
        .await?
        .map(|c| c.number.to_string())
        .unwrap_or_default();
    Ok(PageView {
        id: p.id,
        case_number: number,
        reason: p.reason,
        engineer_id: p.engineer_id,
        manager_id: p.manager_id,
        created_at: p.created_at.0,
        ack_due_at: p.ack_due_at.0,
        acknowledged_at: p.acknowledged_at.map(Into::into),
        acknowledged_by: p.acknowledged_by,
        escalated_at: p.escalated_at.map(Into::into),
    })
}

/// The pages of the last seven days, newest first (staff).
pub async fn recent(app: &App, who: &Principal) -> ActionResult<Vec<PageView>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    let since = app.clock.now() - SignedDuration::from_hours(24 * 7);
    let mut out = Vec::new();
    for p in store::recent_pages(&mut db, since).await? {
        out.push(view(&mut db, p).await?);
    }
    Ok(out)
}

async fn acknowledge_as(
    app: &App,
    id: i64,
    by: UserId,
    actor: &AuditActor,
) -> ActionResult<PageView> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let page = store::page(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("page"))?;
    if page.acknowledged_at.is_none() {
        store::acknowledge(&mut db, id, by, now).await?;
        db.audit(AuditEntry::change(
            now,
            actor,
            "duty.acknowledged",
            "duty_page",
            id,
            None::<&i64>,
            Some(&by.get()),
        ));
    }
    let page = store::page(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("page"))?;
    let shown = view(&mut db, page).await?;
    db.commit().await?;
    Ok(shown)
}

/// Acknowledges a page (staff); acknowledging it again changes nothing.
pub async fn acknowledge(app: &App, who: &Principal, id: i64) -> ActionResult<PageView> {
    require(who, Permission::WorkCases)?;
    let by = who.user_id().ok_or(ActionError::Forbidden(
        "only a member of staff can acknowledge a page",
    ))?;
    acknowledge_as(app, id, by, &who.audit_actor()).await
}

/// The page an acknowledgement link names (nothing changes).
pub async fn check_link(app: &App, token: &str) -> ActionResult<PageView> {
    let (page, _) = page_of_link(app, token).await?;
    let mut db = app.store.read().await?;
    view(&mut db, page).await
}

async fn page_of_link(app: &App, token: &str) -> ActionResult<(Page, UserId)> {
    let key = tokens::signing_key(app).await?;
    let (id, user) =
        tokens::read_page_token(&key, token, app.clock.now()).map_err(|e| match e {
            tokens::LinkError::Invalid => ActionError::NotFound("page"),
            tokens::LinkError::Expired => ActionError::Conflict {
                code: "link_expired",
                message: "this link has expired; acknowledge the page in the console".into(),
            },
        })?;
    let mut db = app.store.read().await?;
    let page = store::page(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("page"))?;
    Ok((page, user))
}

/// Acknowledges a page with the link of its mail, as the user the mail was sent to.
pub async fn acknowledge_by_link(app: &App, token: &str) -> ActionResult<PageView> {
    let (page, user) = page_of_link(app, token).await?;
    acknowledge_as(app, page.id, user, &AuditActor::system("duty-link")).await
}

/// Who an escalation reaches: the occurrence's duty manager, else the users marked duty
/// manager, else the managers.
async fn managers(db: &mut Db, page: &Page) -> ActionResult<Vec<User>> {
    if let Some(id) = page.manager_id
        && let Some(user) = users::get(db, Id::new(id)).await?
        && user.active
    {
        return Ok(vec![user]);
    }
    let duty = users::staff_of(db, StaffGroup::DutyManagers).await?;
    if !duty.is_empty() {
        return Ok(duty);
    }
    Ok(users::staff_of(db, StaffGroup::Role(Role::Manager)).await?)
}

/// Escalates the pages whose time ran out, each once whatever the number of servers; how many.
pub async fn sweep(app: &App, limit: i64) -> ActionResult<usize> {
    let now = app.clock.now();
    let due = {
        let mut db = app.store.read().await?;
        store::due_pages(&mut db, now, limit).await?
    };
    let mut escalated = 0;
    for page in due {
        let mut db = app.store.write().await?;
        if !store::claim_escalation(&mut db, page.id, now).await? {
            continue;
        }
        let Some(case) = cases::get(&mut db, Id::new(page.case_id)).await? else {
            db.commit().await?;
            continue;
        };
        let engineer = users::get(&mut db, Id::new(page.engineer_id))
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let shift = store::shifts(&mut db)
            .await?
            .into_iter()
            .find(|s| s.id == page.shift_id)
            .map(|s| format!("{} {}", s.team, s.name))
            .unwrap_or_default();
        let key = tokens::key(app, &mut db).await?;
        let reason = match page.reason.as_str() {
            "sev1_after_hours" => "sev1_after_hours",
            "sla_breach" => "sla_breach",
            _ => "call_home_fault",
        };
        for manager in managers(&mut db, &page).await? {
            let news = DutyNews {
                reason,
                shift: shift.clone(),
                engineer: engineer.clone(),
                ack_url: ack_url(app, &key, page.id, manager.id, now),
                due: page.ack_due_at.0,
            };
            let dedupe = format!("duty-escalation:{}:{}", page.id, manager.id);
            case_mail::alert_staff(
                app,
                &mut db,
                &manager,
                &case,
                "duty_escalation",
                &news,
                &dedupe,
                now,
            )
            .await?;
        }
        db.audit(AuditEntry::change(
            now,
            &AuditActor::system("duty"),
            "duty.escalated",
            "duty_page",
            page.id,
            None::<&i64>,
            page.manager_id.as_ref(),
        ));
        db.commit().await?;
        escalated += 1;
    }
    Ok(escalated)
}
