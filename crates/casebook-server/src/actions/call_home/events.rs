//! The events call home writes for webhooks and chat robots (`integrations::emit`), in the
//! transaction of the device's batch or of the silence sweep: a fault that opened a case or was
//! added to one, a storm that starts, a device that fell silent.

use casebook_domain::call_home::DeviceEvent;
use casebook_domain::contract::Unit;
use casebook_domain::events::{DeviceSection, Event, EventKind, IdName};
use casebook_domain::ids::{CaseId, OrganizationId, UnitId};
use casebook_domain::{Named, Timestamp};
use casebook_store::{Db, cases, organizations, units};

use crate::actions::ActionResult;
use crate::actions::integrations::emit;
use crate::app::App;

async fn organization(db: &mut Db, id: OrganizationId) -> ActionResult<IdName> {
    let name = organizations::get(db, id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(IdName { id: id.get(), name })
}

fn device_actor(unit: &str) -> casebook_domain::events::Actor {
    casebook_domain::events::Actor {
        kind: "device".into(),
        name: unit.into(),
    }
}

async fn section(
    db: &mut Db,
    unit: &Unit,
    event: Option<&DeviceEvent>,
) -> ActionResult<DeviceSection> {
    Ok(DeviceSection {
        serial_number: unit.serial_number.clone(),
        unit_id: unit.id.get(),
        organization: organization(db, unit.organization_id).await?,
        product: Some(IdName {
            id: unit.product.id.get(),
            name: unit.product.name.clone(),
        }),
        code: event
            .and_then(|e| e.code.as_ref())
            .map(|c| c.as_str().to_owned()),
        severity: event
            .and_then(|e| e.severity)
            .map(|s| s.as_str().to_owned()),
        message: event.map(|e| e.message.as_str().to_owned()),
        last_seen_at: None,
    })
}

/// A fault opened `case` or was added to it.
pub(super) async fn fault(
    app: &App,
    db: &mut Db,
    unit: &Unit,
    event: &DeviceEvent,
    case: CaseId,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(case) = cases::get(db, case).await? else {
        return Ok(());
    };
    let device = section(db, unit, Some(event)).await?;
    emit::case_event(
        app,
        db,
        EventKind::CallHomeFault,
        &case,
        device_actor(&unit.serial_number),
        now,
        |e| {
            e.device = Some(device);
        },
    )
    .await
}

/// A device's storm starts (its events are recorded without action for a while).
pub(super) async fn storm(
    app: &App,
    db: &mut Db,
    unit: &Unit,
    event: &DeviceEvent,
    case: Option<CaseId>,
    now: Timestamp,
) -> ActionResult<()> {
    let device = section(db, unit, Some(event)).await?;
    emit::event(app, db, EventKind::CallHomeStorm, case, now, |id| {
        let mut e = Event::new(
            EventKind::CallHomeStorm,
            id,
            now,
            device_actor(&unit.serial_number),
        );
        e.device = Some(device);
        e
    })
    .await
}

/// A device's heartbeats stopped.
pub(super) async fn silent(
    app: &App,
    db: &mut Db,
    unit: UnitId,
    case: Option<CaseId>,
    last_seen_at: Option<Timestamp>,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(unit) = units::get(db, unit).await? else {
        return Ok(());
    };
    let mut device = section(db, &unit, None).await?;
    device.last_seen_at = last_seen_at;
    emit::event(app, db, EventKind::CallHomeSilent, case, now, |id| {
        let mut e = Event::new(EventKind::CallHomeSilent, id, now, emit::system_actor());
        e.device = Some(device);
        e
    })
    .await
}
