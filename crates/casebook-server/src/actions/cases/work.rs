//! Time accounting on a case (工时): staff record the minutes they spent, by activity, billable or
//! not, from the reply box, the time form or the API; remote sessions and on-site visits record
//! theirs through [`record_in`] with a key that makes a retry add nothing. A billable entry is
//! charged to the contract the case is entitled under, and the contract's notices at 80 % and
//! 100 % of its bank go out in the same transaction. Entries are internal: customers see the
//! totals of their contract's bank, never the entries or their notes.

use casebook_domain::ids::UserId;
use casebook_domain::policy::Permission;
use casebook_domain::work::{WorkDraft, WorkEntry, WorkSource};
use casebook_domain::{CaseNumber, Role, Timestamp};
use casebook_store::work_entries::{self, NewWork, WorkFilter};
use casebook_store::{AuditEntry, Db, Page, PageRequest, users};

use crate::actions::cases::visible_case;
use crate::actions::contracts::usage;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// A case's work entries with its totals.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CaseWork {
    /// The newest 200 entries, newest first.
    pub entries: Vec<WorkEntry>,
    /// Billable minutes of all entries.
    pub billable_minutes: i64,
    /// Minutes that were not billable.
    pub other_minutes: i64,
}

/// Records time on a case.
pub async fn add(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    draft: WorkDraft,
) -> ActionResult<WorkEntry> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    let entry = record_in(
        app,
        &mut db,
        who,
        &case,
        &draft,
        Recorded::manual(),
        "",
        now,
    )
    .await?
    .ok_or_else(|| ActionError::Internal("a manual work entry was not recorded".into()))?;
    db.commit().await?;
    Ok(entry)
}

/// How an entry comes to be recorded.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    /// Manual, or the remote session or visit it comes from.
    pub source: WorkSource,
    /// For automatic entries: a key unique to what it was recorded from.
    pub key: Option<&'a str>,
}

impl Recorded<'_> {
    /// Typed by a person.
    pub fn manual() -> Self {
        Recorded {
            source: WorkSource::Manual,
            key: None,
        }
    }
}

/// Records time on a case the principal may see, in the caller's transaction: checks the draft
/// (field names prefixed with `field`, e.g. `work.` on a reply), charges billable time to the
/// case's contract and tells the contract's people when its bank reaches 80 % or 100 %.
/// `None` when an automatic entry with the same key was recorded before.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_in(
    app: &App,
    db: &mut Db,
    who: &Principal,
    case: &casebook_domain::case::Case,
    draft: &WorkDraft,
    recorded: Recorded<'_>,
    field: &str,
    now: Timestamp,
) -> ActionResult<Option<WorkEntry>> {
    require(who, Permission::WorkCases)?;
    let mut errors = draft.check(now, field);
    let worker = worker(db, who, draft.user_id, field, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let worked_at = draft.worked_at.unwrap_or(now);
    let worked_on = worked_at
        .to_zoned(app.config.time_zone())
        .date()
        .to_string();
    let contract_id = work_entries::charged_contract(db, case.id).await?;
    let note = draft.note.as_ref().map(|n| n.as_str()).unwrap_or("");
    let Some(id) = work_entries::insert(
        db,
        &NewWork {
            case_id: case.id,
            user_id: worker,
            contract_id,
            worked_at,
            worked_on: &worked_on,
            minutes: draft.minutes,
            activity: draft.activity,
            billable: draft.billable,
            note,
            source: recorded.source,
            source_key: recorded.key,
            created_by: who.user_id(),
        },
        now,
    )
    .await?
    else {
        return Ok(None);
    };
    let (_, entry) = work_entries::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("work entry"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.work.add",
        "work_entry",
        id,
        None,
        Some(&entry),
    ));
    if let (Some(contract), true) = (contract_id, draft.billable) {
        usage::tell_thresholds(app, db, contract, now).await?;
    }
    Ok(Some(entry))
}

/// Whose time it is: the caller's, or (for managers, admins and the system) another active
/// staff member's.
async fn worker(
    db: &mut Db,
    who: &Principal,
    asked: Option<UserId>,
    field: &str,
    errors: &mut Vec<casebook_domain::FieldError>,
) -> ActionResult<UserId> {
    let me = who.user_id();
    let Some(asked) = asked.filter(|a| Some(*a) != me) else {
        return me.ok_or_else(|| {
            ActionError::field(
                &format!("{field}user_id"),
                "required",
                "say whose time it is",
            )
        });
    };
    if who
        .actor()
        .is_some_and(|a| !matches!(a.role, Role::Manager | Role::Admin))
    {
        return Err(ActionError::Forbidden(
            "only managers and administrators can record time for someone else",
        ));
    }
    match users::get(db, asked).await? {
        Some(u) if u.role.is_staff() && u.active => {}
        _ => errors.push(casebook_domain::FieldError::new(
            format!("{field}user_id"),
            "not_staff",
            "time is recorded for an active staff user",
        )),
    }
    Ok(asked)
}

/// A case's work entries and totals (staff only).
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<CaseWork> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let filter = WorkFilter {
        case: Some(case.id),
        ..WorkFilter::default()
    };
    let page = PageRequest {
        limit: Some(200),
        cursor: None,
    };
    let entries = work_entries::list(&mut db, &filter, &page).await?.items;
    let (billable_minutes, other_minutes) = work_entries::case_totals(&mut db, case.id).await?;
    Ok(CaseWork {
        entries,
        billable_minutes,
        other_minutes,
    })
}

/// Removes a work entry: its author, or a manager or administrator. The audit log keeps it. An
/// entry that is gone already is removed too (a retried removal succeeds); one of another case
/// is not found on this one.
pub async fn delete(app: &App, who: &Principal, number: CaseNumber, id: i64) -> ActionResult<()> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let Some((case_id, entry)) = work_entries::get(&mut db, id).await? else {
        return Ok(());
    };
    if case_id != case.id {
        return Err(ActionError::NotFound("work entry"));
    }
    let mine = who.user_id() == Some(entry.user.id);
    let manages = who
        .actor()
        .is_none_or(|a| matches!(a.role, Role::Manager | Role::Admin));
    if !mine && !manages {
        return Err(ActionError::Forbidden(
            "only the engineer who recorded the time, a manager or an administrator can remove it",
        ));
    }
    work_entries::delete(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.work.delete",
        "work_entry",
        id,
        Some(&entry),
        None::<&WorkEntry>,
    ));
    db.commit().await?;
    Ok(())
}

/// Which entries a time sheet lists.
#[derive(Debug, Clone, Default)]
pub struct WorkQuery {
    /// One person's.
    pub user: Option<UserId>,
    /// From this day (inclusive).
    pub from: Option<jiff::civil::Date>,
    /// To this day (inclusive).
    pub to: Option<jiff::civil::Date>,
}

/// Work entries across cases, newest first (staff only): a time sheet.
pub async fn list(
    app: &App,
    who: &Principal,
    query: &WorkQuery,
    page: &PageRequest,
) -> ActionResult<Page<WorkEntry>> {
    require(who, Permission::WorkCases)?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(ActionError::field(
            "to",
            "before_from",
            "the last day is before the first",
        ));
    }
    let filter = WorkFilter {
        user: query.user,
        from: query.from.map(|d| d.to_string()),
        to: query.to.map(|d| d.to_string()),
        ..WorkFilter::default()
    };
    let mut db = app.store.read().await?;
    Ok(work_entries::list(&mut db, &filter, page).await?)
}
