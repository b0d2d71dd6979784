//! Call home as staff read it: the kept events (newest first, filtered by organisation, unit,
//! site, case or outcome), a device's state, the devices of a site with their flags, and the
//! cases a device's faults opened. Every list is bounded and paginated by key; conditions that
//! apply are written into the statement's text so that SQLite plans them on their index.

use casebook_domain::call_home::EventOutcome;
use casebook_domain::ids::{CaseId, Id, OrganizationId, SiteId, UnitId};
use casebook_domain::{CaseNumber, Named, Severity, Status, Timestamp};

use crate::call_home::DeviceState;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::rows::parse_column;
use crate::time::Ts;

/// A kept event as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Row id (the list's key).
    pub id: i64,
    /// The organisation of the key that sent it.
    pub organization_id: OrganizationId,
    /// Its name.
    pub organization_name: String,
    /// The unit, when the serial number was known.
    pub unit_id: Option<UnitId>,
    /// The serial number the device sent.
    pub serial_number: String,
    /// The site code the device sent.
    pub site_code: String,
    /// fault, warning, recovery, heartbeat, inventory.
    pub event_type: String,
    /// The device's event code.
    pub event_code: String,
    /// The device's severity.
    pub severity: String,
    /// The device's message (plain text; pages escape it).
    pub message: String,
    /// When it happened, by the device's clock.
    pub occurred_at: Timestamp,
    /// When it was received.
    pub received_at: Timestamp,
    /// What became of it.
    pub outcome: EventOutcome,
    /// Why.
    pub reason: String,
    /// The case it opened or joined.
    pub case: Option<CaseNumber>,
}

#[derive(sqlx::FromRow)]
struct EventDbRow {
    id: i64,
    organization_id: i64,
    organization_name: String,
    unit_id: Option<i64>,
    serial_number: String,
    site_code: String,
    event_type: String,
    event_code: String,
    severity: String,
    message: String,
    occurred_at: Ts,
    received_at: Ts,
    outcome: String,
    reason: String,
    case_year: Option<i64>,
    case_seq: Option<i64>,
}

fn case_number(year: Option<i64>, seq: Option<i64>) -> StoreResult<Option<CaseNumber>> {
    match (year, seq) {
        (Some(year), Some(seq)) => {
            let year = i16::try_from(year).map_err(|e| StoreError::corrupt("cases.year", e))?;
            CaseNumber::new(year, seq)
                .map(Some)
                .map_err(|e| StoreError::corrupt("cases.seq", e))
        }
        _ => Ok(None),
    }
}

impl TryFrom<EventDbRow> for EventRow {
    type Error = StoreError;

    fn try_from(r: EventDbRow) -> StoreResult<EventRow> {
        Ok(EventRow {
            case: case_number(r.case_year, r.case_seq)?,
            id: r.id,
            organization_id: Id::new(r.organization_id),
            organization_name: r.organization_name,
            unit_id: r.unit_id.map(Id::new),
            serial_number: r.serial_number,
            site_code: r.site_code,
            event_type: r.event_type,
            event_code: r.event_code,
            severity: r.severity,
            message: r.message,
            occurred_at: r.occurred_at.0,
            received_at: r.received_at.0,
            outcome: parse_column("call_home_events.outcome", &r.outcome, EventOutcome::parse)?,
            reason: r.reason,
        })
    }
}

/// Which events to list; every filter that is set applies.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Sent with a key of this organisation.
    pub organization: Option<OrganizationId>,
    /// About this unit.
    pub unit: Option<UnitId>,
    /// About the units at this site (of this organisation, whose index finds them).
    pub site: Option<(OrganizationId, SiteId)>,
    /// Opened or joined this case.
    pub case: Option<CaseId>,
    /// With this outcome (`not_entitled`, `unknown_device`, `suppressed`, …).
    pub outcome: Option<EventOutcome>,
    /// Leave heartbeats out (the staff's list does unless asked to show them).
    pub without_heartbeats: bool,
}

/// Events, newest first.
pub async fn events(
    db: &mut Db,
    filter: &EventFilter,
    page: &PageRequest,
) -> StoreResult<Page<EventRow>> {
    let before: Option<i64> = page.key()?;
    let by_org = if filter.organization.is_some() {
        "e.organization_id = $1"
    } else {
        "$1 IS NULL"
    };
    let by_unit = if filter.unit.is_some() {
        "e.unit_id = $2"
    } else {
        "$2 IS NULL"
    };
    let by_site = if filter.site.is_some() {
        "e.unit_id IN (SELECT u.id FROM units u WHERE u.organization_id = $3 AND u.site_id = $4)"
    } else {
        "$3 IS NULL AND $4 IS NULL"
    };
    let by_case = if filter.case.is_some() {
        "e.case_id = $5"
    } else {
        "$5 IS NULL"
    };
    let by_outcome = if filter.outcome.is_some() {
        "e.outcome = $6"
    } else {
        "$6 IS NULL"
    };
    let by_type = if filter.without_heartbeats {
        "e.event_type <> 'heartbeat'"
    } else {
        "1 = 1"
    };
    let sql = format!(
        "SELECT e.id, e.organization_id,
                (SELECT o.name FROM organizations o WHERE o.id = e.organization_id) AS organization_name,
                e.unit_id, e.serial_number, e.site_code, e.event_type, e.event_code, e.severity, e.message,
                e.occurred_at, e.received_at, e.outcome, e.reason,
                (SELECT k.year FROM cases k WHERE k.id = e.case_id) AS case_year,
                (SELECT k.seq FROM cases k WHERE k.id = e.case_id) AS case_seq
         FROM call_home_events e
         WHERE {by_org} AND {by_unit} AND {by_site} AND {by_case} AND {by_outcome} AND {by_type}
           AND ($7 IS NULL OR e.id < $7)
         ORDER BY e.id DESC LIMIT $8"
    );
    let (site_org, site) = filter.site.map(|(o, s)| (o.get(), s.get())).unzip();
    let rows: Vec<EventDbRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.organization.map(|o| o.get())).bind(filter.unit.map(|u| u.get()))
        .bind(site_org).bind(site).bind(filter.case.map(|k| k.get())).bind(filter.outcome.map(EventOutcome::as_str))
        .bind(before).bind(page.fetch_limit()).fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(EventRow::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

type StateRow = (
    Option<Ts>,
    Option<Ts>,
    Option<i64>,
    Option<Ts>,
    Option<Ts>,
    i64,
    Option<Ts>,
    i64,
    Option<String>,
    Option<Ts>,
);

/// A device's state as it is now (without locking it); `None` if it never called home.
pub async fn device(db: &mut Db, unit: UnitId) -> StoreResult<Option<DeviceState>> {
    let row: Option<StateRow> = on_db!(db, c => sqlx::query_as(
        "SELECT last_event_at, last_heartbeat_at, heartbeat_secs, silent_since, window_started_at,
                window_events, suppressed_until, suppressed_events, configuration, silent_after
         FROM call_home_devices WHERE unit_id = $1")
        .bind(unit.get()).fetch_optional(c).await)?;
    Ok(row.map(
        |(last, beat, secs, silent, window, events, until, suppressed, configuration, after)| {
            DeviceState {
                last_event_at: last.map(|t| t.0),
                last_heartbeat_at: beat.map(|t| t.0),
                heartbeat_secs: secs,
                silent_since: silent.map(|t| t.0),
                window_started_at: window.map(|t| t.0),
                window_events: events,
                suppressed_until: until.map(|t| t.0),
                suppressed_events: suppressed,
                configuration,
                silent_after: after.map(|t| t.0),
            }
        },
    ))
}

/// A unit of a site with its call-home flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDevice {
    /// The unit.
    pub unit_id: UnitId,
    /// Its serial number.
    pub serial_number: String,
    /// Its product's name.
    pub product: String,
    /// Its installed version.
    pub product_version: Option<String>,
    /// Its last event of any kind (none: it never called home).
    pub last_event_at: Option<Timestamp>,
    /// Its last heartbeat.
    pub last_heartbeat_at: Option<Timestamp>,
    /// The heartbeat interval it announced.
    pub heartbeat_secs: Option<i64>,
    /// Since when it is flagged silent.
    pub silent_since: Option<Timestamp>,
    /// When it becomes silent if no heartbeat comes.
    pub silent_after: Option<Timestamp>,
    /// Suppressed (an event storm) until.
    pub suppressed_until: Option<Timestamp>,
    /// Its faults' cases that are not closed or cancelled.
    pub open_cases: i64,
}

type SiteDeviceRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<Ts>,
    Option<Ts>,
    Option<i64>,
    Option<Ts>,
    Option<Ts>,
    Option<Ts>,
    i64,
);

/// The units at a site (not retired) with their call-home state, by unit id.
pub async fn site_devices(
    db: &mut Db,
    organization: OrganizationId,
    site: SiteId,
    page: &PageRequest,
) -> StoreResult<Page<SiteDevice>> {
    let after: Option<i64> = page.key()?;
    let rows: Vec<SiteDeviceRow> = on_db!(db, c => sqlx::query_as(
        "SELECT u.id, u.serial_number, (SELECT p.name FROM products p WHERE p.id = u.product_id),
                u.product_version, d.last_event_at, d.last_heartbeat_at, d.heartbeat_secs, d.silent_since,
                d.silent_after, d.suppressed_until,
                (SELECT COUNT(*) FROM case_faults f JOIN cases k ON k.id = f.case_id
                 WHERE f.unit_id = u.id AND k.status NOT IN ('closed', 'cancelled'))
         FROM units u LEFT JOIN call_home_devices d ON d.unit_id = u.id
         WHERE u.organization_id = $1 AND u.site_id = $2 AND u.retired_at IS NULL
           AND ($3 IS NULL OR u.id > $3)
         ORDER BY u.id LIMIT $4").persistent(false)
        .bind(organization.get()).bind(site.get()).bind(after).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| r.0).map(
        |(id, serial, product, version, last, beat, secs, silent, after, until, open)| SiteDevice {
            unit_id: Id::new(id),
            serial_number: serial,
            product,
            product_version: version,
            last_event_at: last.map(|t| t.0),
            last_heartbeat_at: beat.map(|t| t.0),
            heartbeat_secs: secs,
            silent_since: silent.map(|t| t.0),
            silent_after: after.map(|t| t.0),
            suppressed_until: until.map(|t| t.0),
            open_cases: open,
        },
    ))
}

/// A case about a unit, with the device's fault when a device opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCase {
    /// Row id (the list's key).
    pub id: CaseId,
    /// Its number.
    pub number: CaseNumber,
    /// Its title.
    pub title: String,
    /// Its status.
    pub status: Status,
    /// Its severity.
    pub severity: Severity,
    /// The unit's serial number.
    pub serial_number: String,
    /// The fault signature, if a device opened it.
    pub signature: Option<String>,
    /// How often the fault was reported.
    pub occurrences: Option<i64>,
    /// When it was last reported.
    pub last_seen: Option<Timestamp>,
}

type DeviceCaseRow = (
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<Ts>,
);

fn device_case(r: DeviceCaseRow) -> StoreResult<DeviceCase> {
    let (id, year, seq, title, status, severity, serial, signature, occurrences, last) = r;
    let severity =
        Severity::from_level(severity).map_err(|e| StoreError::corrupt("cases.severity", e))?;
    Ok(DeviceCase {
        id: Id::new(id),
        number: case_number(Some(year), Some(seq))?
            .ok_or_else(|| StoreError::corrupt("cases.seq", seq))?,
        title,
        status: <Status as Named>::parse(&status)
            .map_err(|e| StoreError::corrupt("cases.status", e))?,
        severity,
        serial_number: serial,
        signature,
        occurrences,
        last_seen: last.map(|t| t.0),
    })
}

/// The cases of a unit (any channel), newest first, with the fault of those a device opened.
pub async fn unit_cases(
    db: &mut Db,
    unit: UnitId,
    page: &PageRequest,
) -> StoreResult<Page<DeviceCase>> {
    let before: Option<i64> = page.key()?;
    let rows: Vec<DeviceCaseRow> = on_db!(db, c => sqlx::query_as(
        "SELECT k.id, k.year, k.seq, k.title, k.status, k.severity,
                (SELECT u.serial_number FROM units u WHERE u.id = k.unit_id),
                f.signature, f.occurrences, f.last_seen
         FROM cases k LEFT JOIN case_faults f ON f.case_id = k.id
         WHERE k.unit_id = $1 AND ($2 IS NULL OR k.id < $2)
         ORDER BY k.id DESC LIMIT $3").persistent(false)
        .bind(unit.get()).bind(before).bind(page.fetch_limit()).fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| r.0);
    let items = page
        .items
        .into_iter()
        .map(device_case)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The open cases (not closed or cancelled) devices at a site opened, newest first, at most
/// `limit` (1–200).
pub async fn open_site_cases(
    db: &mut Db,
    organization: OrganizationId,
    site: SiteId,
    limit: u32,
) -> StoreResult<Vec<DeviceCase>> {
    let rows: Vec<DeviceCaseRow> = on_db!(db, c => sqlx::query_as(
        "SELECT k.id, k.year, k.seq, k.title, k.status, k.severity, u.serial_number,
                f.signature, f.occurrences, f.last_seen
         FROM units u JOIN case_faults f ON f.unit_id = u.id JOIN cases k ON k.id = f.case_id
         WHERE u.organization_id = $1 AND u.site_id = $2 AND k.status NOT IN ('closed', 'cancelled')
         ORDER BY k.id DESC LIMIT $3").persistent(false)
        .bind(organization.get()).bind(site.get()).bind(i64::from(limit.clamp(1, 200)))
        .fetch_all(c).await)?;
    rows.into_iter().map(device_case).collect()
}
