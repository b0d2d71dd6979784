//! Follow-ups of unhappy answers: a score at or below the threshold or a negative comment opens
//! one for the service manager of the case's contract, due at the end of the next business day
//! on the case's business calendar (the calendar of its SLA clocks; the built-in China 5×8
//! without one). Without a service manager it is nobody's in particular: the administrators
//! are told, and every manager and administrator sees it. Whoever is told gets an in-app
//! notification and a mail (`survey_follow_up`) in the same transaction. The manager, or any
//! manager or administrator, completes it with a note. One still open past its due time is
//! escalated once (`remind_overdue`, run by the server's SLA sweep): its service manager (or the
//! administrators) and every manager are told, in the app and by mail.

use casebook_domain::ids::{CaseId, UserId};
use casebook_domain::policy::Permission;
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::china::CHINA_5X8;
use casebook_domain::sla::plan::Metric;
use casebook_domain::survey::{FollowUp, FollowUpReason};
use casebook_domain::users::User;
use casebook_domain::{Named, Role, Timestamp};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::survey_follow_ups::{self, FollowUpFilter, NewFollowUp};
use casebook_store::surveys::StoredSurvey;
use casebook_store::users::StaffGroup;
use casebook_store::{AuditEntry, Db, Page, PageRequest, contracts, users, work_entries};
use jiff::SignedDuration;
use serde_json::json;

use crate::actions::notify::case_mail::lang_of;
use crate::actions::notify::templates;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// The longest note of a completed follow-up.
pub const MAX_NOTE: usize = 2_000;

/// The service manager of the contract a case is charged to.
async fn manager_of(db: &mut Db, case: CaseId) -> ActionResult<Option<User>> {
    let Some(contract) = work_entries::charged_contract(db, case).await? else {
        return Ok(None);
    };
    let Some(manager) = contracts::get(db, contract)
        .await?
        .and_then(|c| c.service_manager)
    else {
        return Ok(None);
    };
    Ok(users::get(db, manager.id).await?.filter(|u| u.active))
}

/// The end of the next business day after `now` on the case's calendar.
async fn due_at(app: &App, db: &mut Db, case: CaseId, now: Timestamp) -> ActionResult<Timestamp> {
    let clocks = casebook_store::sla::clocks_of_case(db, case).await?;
    let calendar = clocks
        .iter()
        .find(|c| c.metric == Metric::Resolution)
        .or(clocks.first())
        .map(|c| c.calendar.clone());
    let calendar = match calendar {
        Some(id) => id,
        None => CHINA_5X8
            .parse::<CalendarId>()
            .map_err(ActionError::Internal)?,
    };
    let compiled = app.calendars.get(db, &calendar).await?;
    Ok(compiled
        .next_business_day_end(now)
        .unwrap_or(now + SignedDuration::from_hours(24)))
}

/// Opens the follow-up of an answered survey in the caller's transaction and tells its people.
pub(crate) async fn open_in(
    app: &App,
    db: &mut Db,
    survey: &StoredSurvey,
    reason: FollowUpReason,
    now: Timestamp,
) -> ActionResult<()> {
    let manager = manager_of(db, survey.case_id).await?;
    let due = due_at(app, db, survey.case_id, now).await?;
    let Some(id) = survey_follow_ups::insert(
        db,
        &NewFollowUp {
            survey_id: survey.survey.id,
            case_id: survey.case_id,
            manager_id: manager.as_ref().map(|m| m.id),
            reason,
            due_at: due,
        },
        now,
    )
    .await?
    else {
        return Ok(());
    };
    let follow_up = survey_follow_ups::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("follow-up"))?;
    db.audit(AuditEntry::change(
        now,
        &casebook_store::AuditActor {
            user: None,
            label: "system:surveys".into(),
        },
        "survey.follow_up.open",
        "survey_follow_up",
        id,
        None,
        Some(&follow_up),
    ));
    let people = match manager {
        Some(m) => vec![m],
        None => users::staff_of(db, StaffGroup::Role(Role::Admin)).await?,
    };
    for user in &people {
        tell(app, db, user, &follow_up, survey.case_id, News::Opened, now).await?;
    }
    Ok(())
}

/// What a person is told about a follow-up: that it is new, or that it is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum News {
    /// A new follow-up (`survey_follow_up`).
    Opened,
    /// Still open past its due time (`survey_follow_up_overdue`).
    Overdue,
}

impl News {
    fn kind(self) -> &'static str {
        match self {
            News::Opened => "survey_follow_up",
            News::Overdue => "survey_follow_up_overdue",
        }
    }

    /// The message keys of the in-app title and body.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            News::Opened => ("survey-follow-up-title", "survey-follow-up-body"),
            News::Overdue => ("survey-overdue-title", "survey-overdue-body"),
        }
    }
}

/// The in-app notification and the mail about a follow-up to one person.
async fn tell(
    app: &App,
    db: &mut Db,
    user: &User,
    f: &FollowUp,
    case: CaseId,
    news: News,
    now: Timestamp,
) -> ActionResult<()> {
    let lang = lang_of(app, db, Some(user)).await?;
    let reason = lang.t(&format!("survey-reason-{}", f.reason.as_str()));
    let due = app.config.desk_time(f.due_at);
    let args = [
        ("number", f.case_number.clone()),
        ("organization", f.organization.clone()),
        ("score", f.resolution.to_string()),
        ("reason", reason.clone()),
        ("due", due.clone()),
    ];
    let kind = news.kind();
    let key = match news {
        News::Opened => format!("survey-follow-up:{}:{}", f.id, user.id),
        News::Overdue => format!("survey-follow-up-overdue:{}:{}", f.id, user.id),
    };
    let (title, body) = news.keys();
    notifications::notify(
        db,
        &NewNotification {
            user: user.id,
            case: Some(case),
            kind,
            title: &lang.tn(title, &args),
            body: &lang.tn(body, &args),
            dedupe_key: &key,
        },
        now,
    )
    .await?;
    let desk = &app.config.desk;
    let ctx = json!({
        "desk": {"name": desk.name, "url": desk.public_url},
        "recipient": {"name": user.name},
        "case": {"number": f.case_number, "title": f.case_title, "organization": f.organization,
                 "console_url": format!("{}/console/cases/{}", desk.public_url, f.case_number)},
        "follow_up": {"reason": reason, "score": f.resolution, "comment": f.comment,
                      "due_at": due, "url": format!("{}/console/surveys/follow-ups", desk.public_url),
                      "manager": f.manager.as_ref().map(|m| m.name.clone())},
    });
    let mail = templates::render(db, kind, lang, &ctx).await?;
    notifications::enqueue_mail(db, kind, &user.email, &mail.subject, &mail.body, &key, now)
        .await?;
    Ok(())
}

/// Escalates each open follow-up past its due time, once, in the transaction that claims it:
/// its service manager (the administrators when it has none) and every manager get an in-app
/// notification and a mail (`survey_follow_up_overdue`); returns how many were escalated.
pub async fn remind_overdue(app: &App, limit: i64) -> ActionResult<usize> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let claimed = survey_follow_ups::claim_overdue(&mut db, now, limit).await?;
    let managers = if claimed.is_empty() {
        Vec::new()
    } else {
        users::staff_of(&mut db, StaffGroup::Role(Role::Manager)).await?
    };
    for (id, case) in &claimed {
        let Some(f) = survey_follow_ups::get(&mut db, *id).await? else {
            continue;
        };
        let mut people: Vec<User> = match &f.manager {
            Some(m) => users::get(&mut db, m.id).await?.into_iter().collect(),
            None => users::staff_of(&mut db, StaffGroup::Role(Role::Admin)).await?,
        };
        for m in &managers {
            if !people.iter().any(|p| p.id == m.id) {
                people.push(m.clone());
            }
        }
        for user in &people {
            tell(app, &mut db, user, &f, *case, News::Overdue, now).await?;
        }
    }
    db.commit().await?;
    Ok(claimed.len())
}

fn manages(who: &Principal) -> bool {
    who.actor()
        .is_none_or(|a| matches!(a.role, Role::Manager | Role::Admin))
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowUpQuery {
    /// Only open ones.
    pub open: bool,
    /// Only the caller's (and those of nobody); always so for staff who are not managers.
    pub mine: bool,
}

/// Follow-ups, newest first (staff: managers and administrators see all, others their own).
pub async fn list(
    app: &App,
    who: &Principal,
    query: FollowUpQuery,
    page: &PageRequest,
) -> ActionResult<Page<FollowUp>> {
    require(who, Permission::WorkCases)?;
    let mine = query.mine || !manages(who);
    let filter = FollowUpFilter {
        manager: if mine {
            Some(who.user_id().unwrap_or(UserId::new(0)))
        } else {
            None
        },
        unassigned: manages(who),
        open: query.open,
    };
    let mut db = app.store.read().await?;
    Ok(survey_follow_ups::list(&mut db, &filter, page).await?)
}

/// Completes a follow-up with a note of what was done (its manager, or any manager or
/// administrator); a completed one is refused with `follow_up_completed`.
pub async fn complete(app: &App, who: &Principal, id: i64, note: &str) -> ActionResult<FollowUp> {
    require(who, Permission::WorkCases)?;
    let too_long = note.chars().count() > MAX_NOTE;
    let note = note.trim();
    if note.is_empty() || too_long {
        return Err(ActionError::field(
            "note",
            if too_long { "too_long" } else { "required" },
            format!("say what was done, in 1 to {MAX_NOTE} characters"),
        ));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = survey_follow_ups::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("follow-up"))?;
    let assigned = before.manager.as_ref().map(|m| m.id);
    if !manages(who) && assigned != who.user_id() {
        return Err(ActionError::Forbidden(
            "only its service manager, a manager or an administrator can complete a follow-up",
        ));
    }
    if !survey_follow_ups::complete(&mut db, id, who.user_id(), note, now).await? {
        return Err(ActionError::Conflict {
            code: "follow_up_completed",
            message: "this follow-up was completed already".into(),
        });
    }
    let after = survey_follow_ups::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("follow-up"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "survey.follow_up.complete",
        "survey_follow_up",
        id,
        Some(&before),
        Some(&after),
    ));
    db.commit().await?;
    Ok(after)
}
