//! The rota as people use it: shifts (administrators and managers), who is on duty for each
//! occurrence, swaps with a reason, who is on duty now and next (all staff), and how the chat
//! robots @-mention a member of staff (themselves or an administrator). Every change is audited.

use casebook_domain::case::NamedRef;
use casebook_domain::duty::{self, Occurrence, Shift, ShiftDays, ShiftDraft};
use casebook_domain::ids::{Id, UserId};
use casebook_domain::policy::{Permission, Role};
use casebook_domain::{FieldError, Timestamp};
use casebook_store::duty::{self as store, Assignment, Contact};
use casebook_store::{AuditEntry, Db, users};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// A shift as read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    /// Id.
    pub id: i64,
    /// Team.
    pub team: String,
    /// Name.
    pub name: String,
    /// Start, `HH:MM`.
    pub starts: String,
    /// End, `HH:MM` (not after the start: the next day).
    pub ends: String,
    /// Which dates.
    pub days: ShiftDays,
}

impl From<&Shift> for ShiftView {
    fn from(s: &Shift) -> Self {
        let hm = |t: jiff::civil::Time| format!("{:02}:{:02}", t.hour(), t.minute());
        ShiftView {
            id: s.id,
            team: s.team.clone(),
            name: s.name.clone(),
            starts: hm(s.starts),
            ends: hm(s.ends),
            days: s.days,
        }
    }
}

/// The calendar of the rota (`[duty] calendar`).
pub(crate) async fn calendar(
    app: &App,
    db: &mut Db,
) -> ActionResult<std::sync::Arc<casebook_domain::sla::calendar::BusinessCalendar>> {
    let id = app
        .config
        .duty
        .calendar
        .parse()
        .map_err(|_| ActionError::Internal("duty.calendar is not a calendar id".into()))?;
    app.calendars.get(db, &id).await
}

/// The shifts (staff).
pub async fn shifts(app: &App, who: &Principal) -> ActionResult<Vec<ShiftView>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::shifts(&mut db)
        .await?
        .iter()
        .map(Into::into)
        .collect())
}

/// Adds a shift (managers and administrators).
pub async fn create_shift(
    app: &App,
    who: &Principal,
    draft: ShiftDraft,
) -> ActionResult<ShiftView> {
    require(who, Permission::ManageRota)?;
    let mut shift = draft.check().map_err(ActionError::Validation)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    shift.id = store::insert_shift(&mut db, &shift, now).await?;
    let view = ShiftView::from(&shift);
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "duty.shift_created",
        "duty_shift",
        shift.id,
        None,
        Some(&view),
    ));
    db.commit().await?;
    Ok(view)
}

/// Replaces a shift (managers and administrators).
pub async fn update_shift(
    app: &App,
    who: &Principal,
    id: i64,
    draft: ShiftDraft,
) -> ActionResult<ShiftView> {
    require(who, Permission::ManageRota)?;
    let mut shift = draft.check().map_err(ActionError::Validation)?;
    shift.id = id;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = store::shifts(&mut db)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(ActionError::NotFound("shift"))?;
    store::update_shift(&mut db, &shift, now).await?;
    let view = ShiftView::from(&shift);
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "duty.shift_updated",
        "duty_shift",
        id,
        Some(&ShiftView::from(&before)),
        Some(&view),
    ));
    db.commit().await?;
    Ok(view)
}

/// Removes a shift with its assignments (managers and administrators); one that is gone
/// already changes nothing.
pub async fn delete_shift(app: &App, who: &Principal, id: i64) -> ActionResult<()> {
    require(who, Permission::ManageRota)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let Some(before) = store::shifts(&mut db)
        .await?
        .into_iter()
        .find(|s| s.id == id)
    else {
        return Ok(());
    };
    store::delete_shift(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "duty.shift_deleted",
        "duty_shift",
        id,
        Some(&ShiftView::from(&before)),
        None,
    ));
    db.commit().await?;
    Ok(())
}

/// Who is on duty for one occurrence, as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    /// The shift.
    pub shift_id: i64,
    /// The date the occurrence starts on, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// The duty engineer (active staff).
    pub engineer_id: i64,
    /// The duty manager (an active manager, administrator or user marked duty manager).
    #[serde(default)]
    pub manager_id: Option<i64>,
}

/// A swap of one occurrence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapInput {
    /// The new duty engineer, if that changes.
    #[serde(default)]
    pub engineer_id: Option<i64>,
    /// The new duty manager, if that changes.
    #[serde(default)]
    pub manager_id: Option<i64>,
    /// Why (1–500 characters).
    pub reason: String,
}

async fn active_staff(
    db: &mut Db,
    field: &str,
    id: i64,
    managers_only: bool,
) -> ActionResult<NamedRef<UserId>> {
    let user = users::get(db, Id::new(id)).await?;
    let fits = |u: &casebook_domain::users::User| {
        u.active
            && u.role.is_staff()
            && (!managers_only || u.duty_manager || matches!(u.role, Role::Manager | Role::Admin))
    };
    match user {
        Some(u) if fits(&u) => Ok(NamedRef {
            id: u.id,
            name: u.name,
        }),
        _ => Err(ActionError::Validation(vec![FieldError::new(
            field,
            "invalid",
            if managers_only {
                "an active manager, administrator or duty manager"
            } else {
                "an active member of staff"
            },
        )])),
    }
}

/// Sets who is on duty for up to 400 occurrences at once (managers and administrators); all
/// or nothing.
pub async fn assign(
    app: &App,
    who: &Principal,
    input: Vec<AssignmentInput>,
) -> ActionResult<usize> {
    require(who, Permission::ManageRota)?;
    if input.is_empty() || input.len() > 400 {
        return Err(ActionError::field(
            "assignments",
            "invalid",
            "from 1 to 400 assignments",
        ));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let shifts = store::shifts(&mut db).await?;
    let calendar = calendar(app, &mut db).await?;
    for (i, a) in input.iter().enumerate() {
        let Some(shift) = shifts.iter().find(|s| s.id == a.shift_id) else {
            return Err(ActionError::field(
                &format!("assignments[{i}].shift_id"),
                "unknown",
                "no such shift",
            ));
        };
        if !shift.runs_on(a.date, &calendar) {
            return Err(ActionError::field(
                &format!("assignments[{i}].date"),
                "invalid",
                format!("{} does not run on {}", shift.name, a.date),
            ));
        }
        let engineer = active_staff(
            &mut db,
            &format!("assignments[{i}].engineer_id"),
            a.engineer_id,
            false,
        )
        .await?;
        let manager = match a.manager_id {
            Some(m) => Some(
                active_staff(&mut db, &format!("assignments[{i}].manager_id"), m, true)
                    .await?
                    .id,
            ),
            None => None,
        };
        let assignment = Assignment {
            shift: a.shift_id,
            date: a.date,
            engineer: engineer.id,
            manager,
            swapped_from: None,
            swap_reason: None,
        };
        store::assign(&mut db, &assignment, now).await?;
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "duty.assigned",
        "duty_rota",
        "assignments",
        None,
        Some(&input),
    ));
    db.commit().await?;
    Ok(input.len())
}

/// Swaps the engineer or manager of one occurrence with a reason: managers and administrators,
/// or the engineer on duty then (handing over to a colleague).
pub async fn swap(
    app: &App,
    who: &Principal,
    shift: i64,
    date: Date,
    input: SwapInput,
) -> ActionResult<()> {
    require(who, Permission::WorkCases)?;
    let reason = input.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ActionError::field(
            "reason",
            "required",
            "say why, in 1 to 500 characters",
        ));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = store::assignments(&mut db, date, date)
        .await?
        .into_iter()
        .find(|a| a.shift == shift)
        .ok_or(ActionError::NotFound("assignment"))?;
    let may = who.actor().is_some_and(|a| a.may(Permission::ManageRota))
        || who.user_id() == Some(before.engineer)
        || who.user_id().is_none();
    if !may {
        return Err(ActionError::Forbidden(
            "only managers, administrators and the engineer on duty can swap a shift",
        ));
    }
    let engineer = match input.engineer_id {
        Some(e) => active_staff(&mut db, "engineer_id", e, false).await?.id,
        None => before.engineer,
    };
    let manager = match input.manager_id {
        Some(m) => Some(active_staff(&mut db, "manager_id", m, true).await?.id),
        None => before.manager,
    };
    let after = Assignment {
        shift,
        date,
        engineer,
        manager,
        swapped_from: (engineer != before.engineer)
            .then_some(before.engineer)
            .or(before.swapped_from),
        swap_reason: Some(reason.clone()),
    };
    store::assign(&mut db, &after, now).await?;
    let said = |a: &Assignment| serde_json::json!({"shift": a.shift, "date": a.date, "engineer": a.engineer, "manager": a.manager});
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "duty.swapped",
        "duty_rota",
        format!("{shift}:{date}"),
        Some(&said(&before)),
        Some(&serde_json::json!({"to": said(&after), "reason": reason})),
    ));
    db.commit().await?;
    Ok(())
}

/// One occurrence with who is on duty.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnDuty {
    /// The team.
    pub team: String,
    /// The shift.
    pub shift: ShiftView,
    /// The date it starts on.
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// When it starts.
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    /// When it ends.
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: Timestamp,
    /// The duty engineer, if assigned.
    pub engineer: Option<NamedRef<UserId>>,
    /// The duty manager, if assigned.
    pub manager: Option<NamedRef<UserId>>,
    /// Whom a swap replaced.
    pub swapped_from: Option<NamedRef<UserId>>,
    /// Why.
    pub swap_reason: Option<String>,
}

/// The rota from a date: now, next, and every occurrence of `days` dates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rota {
    /// The occurrences running now.
    pub now: Vec<OnDuty>,
    /// Each team's next occurrence.
    pub next: Vec<OnDuty>,
    /// The occurrences starting on the dates asked for.
    pub days: Vec<OnDuty>,
    /// The shifts.
    pub shifts: Vec<ShiftView>,
}

async fn named(db: &mut Db, id: Option<UserId>) -> ActionResult<Option<NamedRef<UserId>>> {
    Ok(match id {
        Some(id) => users::get(db, id).await?.map(|u| NamedRef {
            id: u.id,
            name: u.name,
        }),
        None => None,
    })
}

async fn on_duty(db: &mut Db, shifts: &[Shift], found: &[Occurrence]) -> ActionResult<Vec<OnDuty>> {
    let (Some(first), Some(last)) = (
        found.iter().map(|o| o.date).min(),
        found.iter().map(|o| o.date).max(),
    ) else {
        return Ok(Vec::new());
    };
    let assignments = store::assignments(db, first, last).await?;
    let mut out = Vec::with_capacity(found.len());
    for o in found {
        let Some(shift) = shifts.iter().find(|s| s.id == o.shift) else {
            continue;
        };
        let a = assignments
            .iter()
            .find(|a| a.shift == o.shift && a.date == o.date);
        out.push(OnDuty {
            team: shift.team.clone(),
            shift: shift.into(),
            date: o.date,
            starts_at: o.starts_at,
            ends_at: o.ends_at,
            engineer: named(db, a.map(|a| a.engineer)).await?,
            manager: named(db, a.and_then(|a| a.manager)).await?,
            swapped_from: named(db, a.and_then(|a| a.swapped_from)).await?,
            swap_reason: a.and_then(|a| a.swap_reason.clone()),
        });
    }
    Ok(out)
}

/// Who is on duty now (in `db`, e.g. the transaction of a page).
pub(crate) async fn now_on_duty(
    app: &App,
    db: &mut Db,
    now: Timestamp,
) -> ActionResult<Vec<OnDuty>> {
    let shifts = store::shifts(db).await?;
    if shifts.is_empty() {
        return Ok(Vec::new());
    }
    let calendar = match calendar(app, db).await {
        Ok(c) => c,
        Err(e) => {
            // A change must not fail for the rota's calendar: nobody is on duty then.
            tracing::warn!(error = %e, calendar = %app.config.duty.calendar, "the duty calendar cannot be read");
            return Ok(Vec::new());
        }
    };
    on_duty(db, &shifts, &duty::current(&shifts, &calendar, now)).await
}

/// The rota (staff): now, next, and `days` dates (1–31) from `from` (default today).
pub async fn rota(
    app: &App,
    who: &Principal,
    from: Option<Date>,
    days: Option<u16>,
) -> ActionResult<Rota> {
    require(who, Permission::WorkCases)?;
    let days = days.unwrap_or(14);
    if !(1..=31).contains(&days) {
        return Err(ActionError::field("days", "invalid", "from 1 to 31 days"));
    }
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let shifts = store::shifts(&mut db).await?;
    let calendar = calendar(app, &mut db).await?;
    let from = from.unwrap_or_else(|| calendar.local_date(now));
    Ok(Rota {
        now: on_duty(&mut db, &shifts, &duty::current(&shifts, &calendar, now)).await?,
        next: on_duty(&mut db, &shifts, &duty::next_after(&shifts, &calendar, now)).await?,
        days: on_duty(
            &mut db,
            &shifts,
            &duty::upcoming(&shifts, &calendar, from, days),
        )
        .await?,
        shifts: shifts.iter().map(Into::into).collect(),
    })
}

/// How robots mention someone, as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContactInput {
    /// Mobile number, digits with an optional leading `+` (DingTalk mentions by it).
    pub mobile: String,
    /// DingTalk userId.
    pub dingtalk_id: String,
    /// WeCom userid.
    pub wecom_id: String,
    /// Feishu open_id (`ou_…`).
    pub feishu_id: String,
}

/// Saves how robots mention a member of staff: themselves or an administrator.
pub async fn set_contact(
    app: &App,
    who: &Principal,
    user: i64,
    input: ContactInput,
) -> ActionResult<ContactInput> {
    require(who, Permission::WorkCases)?;
    let own = who.user_id().is_some_and(|u| u.get() == user);
    if !own && !who.actor().is_none_or(|a| a.may(Permission::ManageUsers)) {
        return Err(ActionError::Forbidden(
            "only administrators can set another user's duty contact",
        ));
    }
    let mut errors = Vec::new();
    let mobile = input.mobile.trim();
    let digits = mobile.strip_prefix('+').unwrap_or(mobile);
    if !mobile.is_empty()
        && (digits.len() < 5 || digits.len() > 20 || !digits.chars().all(|c| c.is_ascii_digit()))
    {
        errors.push(FieldError::new(
            "mobile",
            "invalid",
            "5 to 20 digits, optionally after +",
        ));
    }
    for (field, value) in [
        ("dingtalk_id", &input.dingtalk_id),
        ("wecom_id", &input.wecom_id),
        ("feishu_id", &input.feishu_id),
    ] {
        let v = value.trim();
        if v.len() > 100
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
        {
            errors.push(FieldError::new(
                field,
                "invalid",
                "at most 100 letters, digits, _ - . @",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let user_id = active_staff(&mut db, "user", user, false).await?.id;
    let contact = Contact {
        mobile: mobile.to_owned(),
        dingtalk_id: input.dingtalk_id.trim().to_owned(),
        wecom_id: input.wecom_id.trim().to_owned(),
        feishu_id: input.feishu_id.trim().to_owned(),
    };
    store::set_contact(&mut db, user_id, &contact, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "duty.contact_set",
        "user",
        user,
        None::<&ContactInput>,
        Some(&input),
    ));
    db.commit().await?;
    Ok(ContactInput {
        mobile: contact.mobile,
        dingtalk_id: contact.dingtalk_id,
        wecom_id: contact.wecom_id,
        feishu_id: contact.feishu_id,
    })
}

/// The active staff who can be put on duty, by name (staff; at most 50 per role).
pub async fn people(app: &App, who: &Principal) -> ActionResult<Vec<NamedRef<UserId>>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    let mut found: Vec<NamedRef<UserId>> = Vec::new();
    for role in [
        Role::Coordinator,
        Role::Engineer,
        Role::Manager,
        Role::Admin,
    ] {
        for u in users::staff_of(&mut db, users::StaffGroup::Role(role)).await? {
            if !found.iter().any(|f| f.id == u.id) {
                found.push(NamedRef {
                    id: u.id,
                    name: u.name,
                });
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}
