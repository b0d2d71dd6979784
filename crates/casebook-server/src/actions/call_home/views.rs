//! What staff read of call home (the console's device, site, events and case views): a unit's
//! device state with its silence judged against the clock, the events kept (also those that
//! opened no case, such as `not_entitled`), the devices of a site with their flags, and the
//! fault and events of a case a device opened. Staff only; every list is bounded and paginated
//! by key.

use casebook_domain::Timestamp;
use casebook_domain::contract::{Site, Unit};
use casebook_domain::ids::{CaseId, SiteId, UnitId};
use casebook_domain::policy::Permission;
use casebook_store::call_home::{self, CaseFault, DeviceState};
use casebook_store::call_home_views::{
    self as views, DeviceCase, EventFilter, EventRow, SiteDevice,
};
use casebook_store::{Page, PageRequest, sites, units};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

pub use casebook_domain::call_home::EventOutcome;

/// The outcome of a name; anything else is refused with the field named.
pub fn parse_outcome(raw: &str) -> ActionResult<EventOutcome> {
    EventOutcome::parse(raw)
        .map_err(|_| ActionError::field("outcome", "invalid", "not an event outcome"))
}

/// Whether a device is heard from as it announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {
    /// It never sent a heartbeat: nothing to judge.
    Unknown,
    /// Its next heartbeat is not overdue.
    Heard,
    /// Its heartbeats stopped: flagged by the sweep, or overdue and not yet swept.
    Silent {
        /// Since when (the flag's time, or when it became overdue).
        since: Timestamp,
    },
}

impl Silence {
    /// Its stable name (`unknown`, `heard`, `silent`).
    pub fn as_str(self) -> &'static str {
        match self {
            Silence::Unknown => "unknown",
            Silence::Heard => "heard",
            Silence::Silent { .. } => "silent",
        }
    }
}

/// Judges a device's silence at `now`: silent when the sweep flagged it, or when the time it
/// becomes silent (set at each heartbeat from its interval and `call_home.silent_after_missed`)
/// has passed and the sweep has not come yet.
pub fn silence(
    silent_since: Option<Timestamp>,
    silent_after: Option<Timestamp>,
    now: Timestamp,
) -> Silence {
    match (silent_since, silent_after) {
        (Some(since), _) => Silence::Silent { since },
        (None, Some(after)) if now > after => Silence::Silent { since: after },
        (None, Some(_)) => Silence::Heard,
        (None, None) => Silence::Unknown,
    }
}

/// The storm suppression still running at `now`.
fn running(until: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
    until.filter(|u| *u > now)
}

/// A unit as a device that calls home.
#[derive(Debug, Clone)]
pub struct DeviceView {
    /// The unit (its version is the one the last inventory reported).
    pub unit: Unit,
    /// Its stored state; `None` if it never called home.
    pub state: Option<DeviceState>,
    /// Whether it is heard from.
    pub silence: Silence,
    /// Suppressed by an event storm until (only while that lasts).
    pub suppressed_until: Option<Timestamp>,
    /// The configuration of its last inventory, as indented JSON.
    pub configuration: Option<String>,
}

/// The configuration document, indented for reading (as stored if it is not JSON).
fn indented(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| raw.to_owned())
}

/// A unit's call-home state (staff).
pub async fn device(app: &App, who: &Principal, unit: UnitId) -> ActionResult<DeviceView> {
    require(who, Permission::WorkCases)?;
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let found = units::get(&mut db, unit)
        .await?
        .ok_or(ActionError::NotFound("unit"))?;
    let state = views::device(&mut db, unit).await?;
    let (heard, suppressed_until, configuration) = match &state {
        Some(s) => (
            silence(s.silent_since, s.silent_after, now),
            running(s.suppressed_until, now),
            s.configuration.as_deref().map(indented),
        ),
        None => (Silence::Unknown, None, None),
    };
    Ok(DeviceView {
        unit: found,
        state,
        silence: heard,
        suppressed_until,
        configuration,
    })
}

/// Kept events, newest first (staff).
pub async fn events(
    app: &App,
    who: &Principal,
    filter: &EventFilter,
    page: &PageRequest,
) -> ActionResult<Page<EventRow>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(views::events(&mut db, filter, page).await?)
}

/// The cases of a unit, newest first, with their faults (staff).
pub async fn unit_cases(
    app: &App,
    who: &Principal,
    unit: UnitId,
    page: &PageRequest,
) -> ActionResult<Page<DeviceCase>> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(views::unit_cases(&mut db, unit, page).await?)
}

/// A device of a site with its flags judged now.
#[derive(Debug, Clone)]
pub struct SiteDeviceView {
    /// The device as stored.
    pub device: SiteDevice,
    /// Whether it is heard from.
    pub silence: Silence,
    /// Suppressed by an event storm until (only while that lasts).
    pub suppressed_until: Option<Timestamp>,
}

/// A site as call home sees it.
#[derive(Debug, Clone)]
pub struct SiteView {
    /// The site.
    pub site: Site,
    /// Its units with their flags (one page).
    pub devices: Page<SiteDeviceView>,
    /// The open cases its devices' faults opened (at most 100).
    pub open_cases: Vec<DeviceCase>,
    /// Its devices' latest events (at most 50).
    pub events: Vec<EventRow>,
}

/// A site's devices, open call-home cases and latest events (staff).
pub async fn site(
    app: &App,
    who: &Principal,
    site: SiteId,
    devices_page: &PageRequest,
) -> ActionResult<SiteView> {
    require(who, Permission::WorkCases)?;
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let found = sites::get(&mut db, site)
        .await?
        .ok_or(ActionError::NotFound("site"))?;
    let org = found.organization_id;
    let devices = views::site_devices(&mut db, org, site, devices_page)
        .await?
        .map(|d| SiteDeviceView {
            silence: silence(d.silent_since, d.silent_after, now),
            suppressed_until: running(d.suppressed_until, now),
            device: d,
        });
    let open_cases = views::open_site_cases(&mut db, org, site, 100).await?;
    let filter = EventFilter {
        site: Some((org, site)),
        ..EventFilter::default()
    };
    let first = PageRequest {
        limit: Some(50),
        cursor: None,
    };
    let events = views::events(&mut db, &filter, &first).await?.items;
    Ok(SiteView {
        site: found,
        devices,
        open_cases,
        events,
    })
}

/// What call home did to a case.
#[derive(Debug, Clone, Default)]
pub struct CaseCallHome {
    /// The fault a device opened it for.
    pub fault: Option<CaseFault>,
    /// The device's events that opened or joined it, newest first (at most 100).
    pub events: Vec<EventRow>,
}

impl CaseCallHome {
    /// Whether call home opened or touched the case.
    pub fn is_empty(&self) -> bool {
        self.fault.is_none() && self.events.is_empty()
    }
}

/// The fault and device events of a case (staff; the caller has read the case).
pub async fn of_case(app: &App, who: &Principal, case: CaseId) -> ActionResult<CaseCallHome> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    let fault = call_home::fault_of(&mut db, case).await?;
    let filter = EventFilter {
        case: Some(case),
        ..EventFilter::default()
    };
    let first = PageRequest {
        limit: Some(100),
        cursor: None,
    };
    let events = views::events(&mut db, &filter, &first).await?.items;
    Ok(CaseCallHome { fault, events })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn a_device_is_silent_once_its_heartbeat_is_overdue() {
        assert_eq!(silence(None, None, at(0)), Silence::Unknown);
        assert_eq!(silence(None, Some(at(600)), at(600)), Silence::Heard);
        assert_eq!(
            silence(None, Some(at(600)), at(601)),
            Silence::Silent { since: at(600) }
        );
        assert_eq!(
            silence(Some(at(5)), Some(at(600)), at(10)),
            Silence::Silent { since: at(5) },
            "the sweep's flag wins"
        );
    }

    #[test]
    fn outcomes_parse_by_name_only() {
        for o in EventOutcome::ALL {
            assert_eq!(EventOutcome::parse(o.as_str()).unwrap(), o);
        }
        assert!(EventOutcome::parse("entitled").is_err());
        assert_eq!(running(Some(at(5)), at(4)), Some(at(5)));
        assert_eq!(running(Some(at(5)), at(5)), None);
    }
}
