//! Use cases for business calendars: list, read, create, replace, import a year's holidays
//! (with a dry run), the days of a date range, and deadlines.

use casebook_domain::Timestamp;
use casebook_domain::error::FieldError;
use casebook_domain::policy::Permission;
use casebook_domain::sla::definition::{CalendarWarning, holiday_warnings};
use casebook_domain::sla::hours::Interval;
use casebook_domain::sla::import::{self, ImportDiff, ImportFormat};
use casebook_domain::sla::{
    BusinessCalendar, Calendar, CalendarId, CalendarSpec, Exception, ExceptionKind, WeeklyHours,
};
use casebook_store::{AuditEntry, Db, Page, PageRequest, StoreError, calendars};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

/// A calendar with the warnings about its data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarView {
    /// The calendar.
    #[serde(flatten)]
    pub calendar: Calendar,
    /// E.g. no holidays for the coming year.
    pub warnings: Vec<CalendarWarning>,
}

/// A new calendar: its id and definition (fields as in [`CalendarSpec`]; not flattened, so a
/// bad field is named by its path).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDraft {
    /// Stable id: lowercase letters, digits and `-`.
    pub id: CalendarId,
    /// Its name.
    pub name: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// Working hours per weekday.
    pub weekly: WeeklyHours,
    /// Holidays, make-up working days and special hours.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

impl CalendarDraft {
    fn into_parts(self) -> (CalendarId, CalendarSpec) {
        let spec = CalendarSpec {
            name: self.name,
            time_zone: self.time_zone,
            weekly: self.weekly,
            exceptions: self.exceptions,
        };
        (self.id, spec)
    }
}

/// A file of holidays to import.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// `ics`, `json` or `csv`.
    pub format: ImportFormat,
    /// The file's text.
    pub content: String,
    /// Only show what would change.
    #[serde(default)]
    pub dry_run: bool,
    /// The calendar version the import was prepared against (409 if it changed).
    pub version: Option<i64>,
}

/// What an import changed, or would change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// Whether it was applied (false for a dry run).
    pub applied: bool,
    /// The difference.
    pub diff: ImportDiff,
    /// The calendar after the import (as it would be, for a dry run).
    pub calendar: CalendarView,
}

/// One date of a calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarDay {
    /// The date.
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// `mon` … `sun`.
    pub weekday: &'static str,
    /// Whether any working time falls on it.
    pub working: bool,
    /// Its working intervals.
    pub hours: Vec<Interval>,
    /// Why: `weekday`, `weekend` (no weekly hours), `holiday`, `workday` (make-up working day)
    /// or `special_hours`.
    pub reason: &'static str,
    /// The holiday's or exception's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a deadline is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineTarget {
    /// Working minutes.
    Minutes(u32),
    /// The end of the next business day.
    NextBusinessDay,
}

/// A computed deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadline {
    /// The calendar.
    pub calendar: CalendarId,
    /// The start, RFC 3339 in the calendar's zone.
    pub start: String,
    /// The deadline, RFC 3339 in the calendar's zone.
    pub deadline: String,
    /// The calendar's time zone.
    pub time_zone: String,
    /// Working minutes between start and deadline.
    pub working_minutes: i64,
}

/// Longest range of `days`.
const MAX_DAYS: i64 = 366;

fn compile(calendar: &Calendar) -> ActionResult<BusinessCalendar> {
    calendar.spec.compile().map_err(|e| {
        ActionError::Unavailable(format!("stored calendar {} is invalid: {e:?}", calendar.id))
    })
}

fn view(app: &App, calendar: Calendar) -> CalendarView {
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    let warnings = holiday_warnings(&calendar.spec, today);
    CalendarView { calendar, warnings }
}

async fn load(db: &mut Db, id: &CalendarId) -> ActionResult<Calendar> {
    calendars::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("calendar"))
}

fn validate(spec: &CalendarSpec) -> ActionResult<()> {
    spec.compile().map(drop).map_err(ActionError::Validation)
}

/// Lists calendars (everyone signed in: customers see deadlines promised on them).
pub async fn list(
    app: &App,
    _who: &Principal,
    page: &PageRequest,
) -> ActionResult<Page<CalendarView>> {
    let mut db = app.store.read().await?;
    Ok(calendars::list(&mut db, page).await?.map(|c| view(app, c)))
}

/// Reads a calendar.
pub async fn get(app: &App, _who: &Principal, id: &CalendarId) -> ActionResult<CalendarView> {
    let mut db = app.store.read().await?;
    Ok(view(app, load(&mut db, id).await?))
}

/// Creates a calendar (admins).
pub async fn create(
    app: &App,
    who: &Principal,
    draft: CalendarDraft,
) -> ActionResult<CalendarView> {
    require(who, Permission::ManageServiceLevels)?;
    let (id, spec) = draft.into_parts();
    validate(&spec)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let calendar = calendars::insert(&mut db, &id, &spec, false, now)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ActionError::Conflict {
                code: "duplicate_calendar",
                message: format!("a calendar with the id {id} exists already"),
            },
            e => e.into(),
        })?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "calendar.create",
        "calendar",
        &id,
        None,
        Some(&calendar),
    ));
    db.commit().await?;
    Ok(view(app, calendar))
}

async fn save(
    app: &App,
    who: &Principal,
    before: &Calendar,
    spec: &CalendarSpec,
    action: &'static str,
    db: &mut Db,
) -> ActionResult<Calendar> {
    let now = app.clock.now();
    let saved = calendars::update(db, &before.id, spec, before.version, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action,
        "calendar",
        &before.id,
        Some(before),
        Some(&saved),
    ));
    Ok(saved)
}

/// Replaces a calendar's definition (admins); built-in calendars too, e.g. to add a year.
pub async fn replace(
    app: &App,
    who: &Principal,
    id: &CalendarId,
    spec: CalendarSpec,
    if_match: Option<i64>,
) -> ActionResult<CalendarView> {
    require(who, Permission::ManageServiceLevels)?;
    validate(&spec)?;
    let mut db = app.store.write().await?;
    let before = load(&mut db, id).await?;
    check_version(if_match, before.version)?;
    if before.spec == spec {
        return Ok(view(app, before));
    }
    let saved = save(app, who, &before, &spec, "calendar.update", &mut db).await?;
    db.commit().await?;
    Ok(view(app, saved))
}

/// Imports a year's holidays and make-up working days (admins): the calendar's exceptions in
/// the years the file covers are replaced by the file's. A dry run shows the difference only.
pub async fn import(
    app: &App,
    who: &Principal,
    id: &CalendarId,
    request: ImportRequest,
) -> ActionResult<ImportOutcome> {
    require(who, Permission::ManageServiceLevels)?;
    let imported =
        import::parse(request.format, &request.content).map_err(ActionError::Validation)?;
    let mut db = app.store.write().await?;
    let before = load(&mut db, id).await?;
    check_version(request.version, before.version)?;
    let (exceptions, diff) = import::apply(&before.spec.exceptions, imported);
    let spec = CalendarSpec {
        exceptions,
        ..before.spec.clone()
    };
    spec.compile().map_err(|errors| {
        ActionError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(format!("content: {}", e.field), e.code, e.message))
                .collect(),
        )
    })?;
    if request.dry_run || diff.added.is_empty() && diff.removed.is_empty() {
        let mut after = before;
        after.spec = spec;
        return Ok(ImportOutcome {
            applied: false,
            diff,
            calendar: view(app, after),
        });
    }
    let saved = save(app, who, &before, &spec, "calendar.import", &mut db).await?;
    db.commit().await?;
    Ok(ImportOutcome {
        applied: true,
        diff,
        calendar: view(app, saved),
    })
}

/// Each date of a range with whether it is worked, its hours and why.
pub async fn days(
    app: &App,
    who: &Principal,
    id: &CalendarId,
    from: Date,
    to: Date,
) -> ActionResult<Vec<CalendarDay>> {
    if to < from {
        return Err(ActionError::field(
            "to",
            "before_from",
            "`to` is before `from`",
        ));
    }
    if from
        .until(to)
        .map_or(true, |s| s.get_days() >= MAX_DAYS as i32)
    {
        return Err(ActionError::field(
            "to",
            "too_long",
            format!("at most {MAX_DAYS} days at once"),
        ));
    }
    let calendar = compile(&get(app, who, id).await?.calendar)?;
    let weekday = |d: Date| {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            [d.weekday().to_monday_zero_offset() as usize]
    };
    Ok(from
        .series(jiff::Span::new().days(1))
        .take_while(|d| *d <= to)
        .map(|date| {
            let rule = calendar.day(date);
            let reason = match (rule.exception.map(|e| e.kind), rule.hours.is_empty()) {
                (Some(ExceptionKind::Holiday), _) => "holiday",
                (Some(ExceptionKind::Workday), _) => "workday",
                (Some(ExceptionKind::SpecialHours), _) => "special_hours",
                (None, true) => "weekend",
                (None, false) => "weekday",
            };
            CalendarDay {
                date,
                weekday: weekday(date),
                working: !rule.hours.is_empty(),
                hours: rule.hours.to_vec(),
                reason,
                name: rule.exception.map(|e| e.name.clone()),
            }
        })
        .collect())
}

fn rfc3339(calendar: &BusinessCalendar, t: Timestamp) -> String {
    t.to_zoned(calendar.zone().clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The deadline `target` after `start` on a calendar.
pub async fn deadline(
    app: &App,
    who: &Principal,
    id: &CalendarId,
    start: Timestamp,
    target: DeadlineTarget,
) -> ActionResult<Deadline> {
    let stored = get(app, who, id).await?.calendar;
    let calendar = compile(&stored)?;
    let due = match target {
        DeadlineTarget::Minutes(m) => calendar.add(start, i64::from(m) * 60),
        DeadlineTarget::NextBusinessDay => calendar.next_business_day_end(start),
    }
    .ok_or_else(|| {
        ActionError::field(
            "calendar",
            "no_working_time",
            "this calendar has no working time to reach the target",
        )
    })?;
    Ok(Deadline {
        calendar: stored.id,
        start: rfc3339(&calendar, start),
        deadline: rfc3339(&calendar, due),
        time_zone: stored.spec.time_zone,
        working_minutes: calendar.elapsed(start, due) / 60,
    })
}

/// Tells administrators and managers, once per calendar and year, when a calendar used by a
/// support plan lacks holiday data (see [`holiday_warnings`]). Returns how many were told.
pub async fn notify_missing_holidays(app: &App) -> ActionResult<usize> {
    use casebook_domain::policy::Role;
    use casebook_store::notifications::{self, NewNotification};
    use casebook_store::users::{self, StaffGroup};
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let mut in_use = Vec::new();
    let mut page = PageRequest {
        limit: Some(200),
        cursor: None,
    };
    loop {
        let plans = casebook_store::plans::list(&mut db, &page).await?;
        for plan in &plans.items {
            in_use.extend(plan.spec.calendars().into_iter().map(|(_, id)| id.clone()));
        }
        match plans.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    in_use.sort();
    in_use.dedup();
    let mut people = users::staff_of(&mut db, StaffGroup::Role(Role::Admin)).await?;
    people.extend(users::staff_of(&mut db, StaffGroup::Role(Role::Manager)).await?);
    let mut told = 0;
    for id in in_use {
        let Some(calendar) = calendars::get(&mut db, &id).await? else {
            continue;
        };
        let calendar_name = calendar.spec.name.clone();
        for warning in view(app, calendar).warnings {
            for user in &people {
                let key = format!("calendar:{id}:{}:{}", warning.year, user.id);
                let lang =
                    crate::actions::notify::case_mail::lang_of(app, &mut db, Some(user)).await?;
                let title = lang.t1("calendar-news-title", "year", warning.year);
                let body = lang.tn(
                    "calendar-news-body",
                    &[
                        ("calendar", calendar_name.clone()),
                        ("year", warning.year.to_string()),
                    ],
                );
                let added = notifications::notify(
                    &mut db,
                    &NewNotification {
                        user: user.id,
                        case: None,
                        kind: "calendar_holidays",
                        title: &title,
                        body: &body,
                        dedupe_key: &key,
                    },
                    now,
                )
                .await?;
                told += usize::from(added);
            }
        }
    }
    db.commit().await?;
    Ok(told)
}
