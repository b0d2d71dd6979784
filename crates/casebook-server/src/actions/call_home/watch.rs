//! Watching call home: the refusals of device requests, counted in memory as they happen and
//! added to the database by the background loop (so a flood of forged requests never waits
//! for the writer), shown to staff per day, code and key; and the sweep that flags a device
//! whose heartbeats stopped as silent once, tells the coordinators and duty managers, and notes
//! it on the device's open case. The sweep also forgets nonces too old to be replayed.

use casebook_domain::Timestamp;
use casebook_domain::policy::{Permission, Role, Visibility};
use casebook_domain::timeline::EventKind;
use casebook_store::call_home_watch::{self as watch, SilentDevice};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::users::{self, StaffGroup};
use jiff::SignedDuration;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actions::ActionResult;
use crate::actions::call_home::keys::CLOCK_WINDOW;
use crate::actions::notify::case_mail;
use crate::app::App;
use crate::policy::{Principal, require};

/// Adds this process's counts to the database; on failure they stay for the next time.
pub async fn flush_refusals(app: &App) -> ActionResult<usize> {
    let counts = app.call_home_refusals.take();
    if counts.is_empty() {
        return Ok(0);
    }
    let written = async {
        let mut db = app.store.write().await?;
        watch::add_refusals(&mut db, &counts).await?;
        db.commit().await?;
        Ok::<_, crate::actions::ActionError>(())
    }
    .await;
    match written {
        Ok(()) => Ok(counts.len()),
        Err(err) => {
            app.call_home_refusals.put_back(counts);
            Err(err)
        }
    }
}

/// Refusals of one day, code and key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Refusals {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The code the requests were refused with.
    pub code: String,
    /// The key they named (empty: none that exists).
    pub key_id: String,
    /// How many.
    pub count: i64,
    /// The last one.
    #[schema(value_type = String)]
    pub last_at: Timestamp,
}

/// The refusals of the last `days` days (1–90), newest day first, most first (staff).
pub async fn refusals(app: &App, who: &Principal, days: u32) -> ActionResult<Vec<Refusals>> {
    require(who, Permission::WorkCases)?;
    let days = days.clamp(1, 90);
    let now = app.clock.now();
    let first = (now - SignedDuration::from_hours(24 * i64::from(days - 1)))
        .strftime("%Y-%m-%d")
        .to_string();
    let mut db = app.store.read().await?;
    let mut all = watch::refusals_since(&mut db, &first).await?;
    drop(db);
    for r in app.call_home_refusals.snapshot() {
        if r.day < first {
            continue;
        }
        match all
            .iter_mut()
            .find(|a| a.day == r.day && a.code == r.code && a.key_id == r.key_id)
        {
            Some(a) => {
                a.count += r.count;
                a.last_at = a.last_at.max(r.last_at);
            }
            None => all.push(r),
        }
    }
    all.sort_by(|a, b| {
        (b.day.as_str(), b.count, a.code.as_str()).cmp(&(a.day.as_str(), a.count, b.code.as_str()))
    });
    Ok(all
        .into_iter()
        .map(|r| Refusals {
            day: r.day,
            code: r.code,
            key_id: r.key_id,
            count: r.count,
            last_at: r.last_at,
        })
        .collect())
}

/// Flags the devices that became silent (at most `limit`), tells staff once per silence, and
/// forgets nonces too old to matter. Returns the devices flagged by this call.
pub async fn sweep(app: &App, limit: i64) -> ActionResult<usize> {
    let now = app.clock.now();
    let due = {
        let mut db = app.store.read().await?;
        watch::due_silent(&mut db, now, limit).await?
    };
    let mut flagged = 0;
    for device in due {
        let mut db = app.store.write().await?;
        if !watch::mark_silent(&mut db, device.unit_id, now).await? {
            continue;
        }
        tell_silent(app, &mut db, &device, now).await?;
        db.commit().await?;
        flagged += 1;
    }
    // A nonce matters while its request's timestamp is in the window, on either side.
    let mut db = app.store.write().await?;
    let before = now - CLOCK_WINDOW - CLOCK_WINDOW - SignedDuration::from_mins(1);
    casebook_store::call_home::forget_nonces(&mut db, before).await?;
    db.commit().await?;
    Ok(flagged)
}

async fn tell_silent(
    app: &App,
    db: &mut casebook_store::Db,
    device: &SilentDevice,
    now: Timestamp,
) -> ActionResult<()> {
    let last = device
        .last_heartbeat_at
        .map(|t| app.config.desk_time(t))
        .unwrap_or_else(|| "-".into());
    let body = format!(
        "设备 {} 停止发送心跳，最后一次心跳 {last}。/ Unit {} stopped sending heartbeats; the last came at {last}.",
        device.serial_number, device.serial_number
    );
    let case = watch::open_case_of_unit(db, device.unit_id).await?;
    if let Some(case) = case {
        let event = NewEvent {
            case_id: case,
            kind: EventKind::Note,
            visibility: Visibility::Internal,
            actor: None,
            at: now,
            body: Some(&body),
            change: Some(serde_json::json!({"note": "call_home_silent",
                "unit": device.serial_number, "last": device.last_heartbeat_at})),
        };
        timeline::insert(db, &event).await?;
        casebook_store::cases::touch(db, case, now).await?;
    }
    super::events::silent(app, db, device.unit_id, case, device.last_heartbeat_at, now).await?;
    let mut staff = users::staff_of(db, StaffGroup::Role(Role::Coordinator)).await?;
    for user in users::staff_of(db, StaffGroup::DutyManagers).await? {
        if !staff.iter().any(|u| u.id == user.id) {
            staff.push(user);
        }
    }
    let dedupe = |user: i64| {
        format!(
            "silent:{}:{}:{user}",
            device.unit_id.get(),
            now.as_millisecond()
        )
    };
    for user in staff {
        let key = dedupe(user.id.get());
        let lang = case_mail::lang_of(app, db, Some(&user)).await?;
        let unit = ("unit", device.serial_number.clone());
        let title = lang.tn("call-home-news-silent-title", std::slice::from_ref(&unit));
        let body = lang.tn(
            "call-home-news-silent-body",
            &[unit, ("last", last.clone())],
        );
        notifications::notify(
            db,
            &NewNotification {
                user: user.id,
                case,
                kind: "device_silent",
                title: &title,
                body: &body,
                dedupe_key: &key,
            },
            now,
        )
        .await?;
    }
    Ok(())
}
