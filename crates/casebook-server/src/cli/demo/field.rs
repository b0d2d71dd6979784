//! The demo's field service at Yuanjing Bank. Remote diagnosis (远程诊断): yesterday a session
//! the bank's IT administrator approved, with its command log (one line withheld from the
//! customer) sealed and its time on the case; now a session running inside its window; and a
//! request for this afternoon waiting for the bank's approval. Spare parts (备件): a depot in
//! Beijing with controller batteries and disks. On-site visits (现场服务): one the day before
//! yesterday that replaced a battery (the unit's history shows it), one planned for tomorrow
//! with a battery reserved.

use std::sync::Arc;

use casebook_domain::field::log::LogLineDraft;
use casebook_domain::field::remote::SessionDraft;
use casebook_domain::{CaseNumber, Timestamp};
use jiff::SignedDuration;
use serde_json::json;

use super::draft;
use crate::actions::ActionError;
use crate::actions::field::remote::{self, Decision, StepRequest};
use crate::actions::field::remote_log::{self, Append, MarkInternal};
use crate::actions::field::{faults, parts, visit_signing, visits};
use crate::app::App;
use crate::clock::{Clock, ManualClock};
use crate::policy::Principal;
use casebook_domain::field::visit::CheckIn;

/// A transcript as an engineer would log it: seconds after the start, and the line.
const TRANSCRIPT: &[(i64, &str)] = &[
    (0, "$ ssh admin@10.20.1.15   # via the bank's VPN jump host"),
    (20, "$ show controller status"),
    (
        22,
        "Controller A: online, Controller B: degraded (cache battery low)",
    ),
    (60, "$ show event-log --since 24h --severity major"),
    (
        62,
        "0x2031 BBU charge below threshold (controller B), 14 occurrences",
    ),
    (
        140,
        "$ set controller B write-policy write-through   # until the battery is replaced",
    ),
    (150, "$ export diagnostics --to /tmp/diag-20261207.tgz"),
    (
        300,
        "$ scp /tmp/diag-20261207.tgz casebook-upload@support:   # password: ******",
    ),
];

fn session(purpose: &str, starts_at: Timestamp, minutes: i64) -> Result<SessionDraft, ActionError> {
    draft(
        json!({"purpose": purpose, "method": "SSH 经客户 VPN 跳板机 / SSH over the bank's VPN jump host",
        "starts_at": starts_at.to_string(), "minutes": minutes}),
    )
}

async fn log(
    app: &App,
    engineer: &Principal,
    id: i64,
    started: Timestamp,
    lines: &[(i64, &str)],
) -> Result<(), ActionError> {
    let lines = lines
        .iter()
        .map(|(secs, text)| LogLineDraft {
            at: Some(started + SignedDuration::from_secs(*secs)),
            text: (*text).to_owned(),
        })
        .collect();
    remote_log::append(app, engineer, id, Append { lines }).await?;
    Ok(())
}

/// Loads the sessions on the first two `cases` (open cases of the bank).
pub(super) async fn load(
    app: &App,
    engineer: &Principal,
    bank_admin: &Principal,
    cases: &[CaseNumber],
) -> Result<(), ActionError> {
    let [first, second, ..] = cases else {
        return Ok(());
    };
    let now = app.clock.now();
    let go = StepRequest::default();
    let yes = Decision {
        version: None,
        note: Some("操作前请电话通知值班室 / call the duty room first".into()),
    };

    // Yesterday (or soon after the case was opened): approved, run, a password line withheld,
    // ended and sealed.
    let opened = crate::actions::cases::get(app, engineer, *first)
        .await?
        .created_at;
    let start = (now - SignedDuration::from_hours(26))
        .max(opened + SignedDuration::from_mins(10))
        .min(now - SignedDuration::from_hours(1));
    let clock = Arc::new(ManualClock::new(start));
    let past = App::with_store(app.config.clone(), app.store.clone(), clock.clone());
    let purpose =
        "检查控制器 B 告警并收集诊断包 / check controller B's alarms and collect diagnostics";
    let done =
        remote::request(&past, engineer, *first, session(purpose, clock.now(), 120)?).await?;
    clock.advance(SignedDuration::from_mins(7));
    remote::decide(&past, bank_admin, done.id, true, yes.clone()).await?;
    clock.advance(SignedDuration::from_mins(3));
    let started = clock.now();
    remote::start(&past, engineer, done.id, go.clone()).await?;
    log(&past, engineer, done.id, started, TRANSCRIPT).await?;
    let reason = MarkInternal {
        reason: "内部上传账号 / our upload account".into(),
    };
    let last = i64::try_from(TRANSCRIPT.len()).unwrap_or(1);
    remote_log::mark_internal(&past, engineer, done.id, last, reason).await?;
    clock.advance(SignedDuration::from_mins(38));
    remote::end(&past, engineer, done.id, go.clone()).await?;

    // Now: a session running inside its window.
    let clock = Arc::new(ManualClock::new(now - SignedDuration::from_mins(25)));
    let recent = App::with_store(app.config.clone(), app.store.clone(), clock.clone());
    let purpose = "更换电池后验证缓存策略 / verify the cache policy after the battery swap";
    let running = remote::request(
        &recent,
        engineer,
        *second,
        session(purpose, clock.now(), 180)?,
    )
    .await?;
    clock.advance(SignedDuration::from_mins(10));
    remote::decide(&recent, bank_admin, running.id, true, yes).await?;
    clock.advance(SignedDuration::from_mins(5));
    let started = clock.now();
    remote::start(&recent, engineer, running.id, go).await?;
    log(&recent, engineer, running.id, started, &TRANSCRIPT[..3]).await?;

    visits(app, engineer, *first, *second).await?;

    // This afternoon: waiting for the bank's approval.
    let purpose = "升级控制器微码到 V500R007C10SPC200 前的健康检查 / health check before the microcode upgrade";
    remote::request(
        app,
        engineer,
        *first,
        session(purpose, now + SignedDuration::from_hours(4), 90)?,
    )
    .await?;
    Ok(())
}

/// The Beijing depot, two parts, a completed visit signed by the customer with its fault
/// report, a planned one, and one waiting on the dispatch board for an engineer.
async fn visits(
    app: &App,
    engineer: &Principal,
    first: CaseNumber,
    second: CaseNumber,
) -> Result<(), ActionError> {
    let now = app.clock.now();
    let case = crate::actions::cases::get(app, engineer, first).await?;
    let products: Vec<i64> = case.product.iter().map(|p| p.id.get()).collect();
    let bbu = parts::create(app, engineer, draft(json!({"part_number": "02351LWK-BBU",
        "description": "控制器电池模块 Controller battery (BBU)", "product_ids": products, "serialized": true}))?).await?;
    let disk = parts::create(
        app,
        engineer,
        draft(json!({"part_number": "02312HXS-1.92T",
        "description": "1.92 TB SSD 硬盘 / SSD", "product_ids": products, "serialized": true}))?,
    )
    .await?;
    let depot = parts::create_depot(
        app,
        engineer,
        draft(json!({"code": "BJ-01", "name": "北京备件库 Beijing depot",
        "address": "北京市朝阳区酒仙桥路 10 号"}))?,
    )
    .await?;
    let serials = json!(["BBU21A0097731", "BBU21A0097732", "BBU21A0097733"]);
    for (part, quantity, serials) in [(bbu.id, 3, serials), (disk.id, 6, json!([]))] {
        let receipt = draft(
            json!({"part_id": part, "quantity": quantity, "reason": "季度补货 quarterly delivery", "serials": serials}),
        )?;
        parts::move_stock(app, engineer, depot.id, receipt).await?;
    }
    let me = engineer.user_id().map(|u| u.get());
    let unit = case.unit.as_ref().map(|u| u.id.get());

    // The day before yesterday (or soon after the case was opened): a battery replaced.
    let start =
        (now - SignedDuration::from_hours(50)).max(case.created_at + SignedDuration::from_mins(30));
    if start + SignedDuration::from_hours(5) <= now {
        let clock = Arc::new(ManualClock::new(start));
        let past = App::with_store(app.config.clone(), app.store.clone(), clock.clone());
        let arrival = clock.now() + SignedDuration::from_hours(3);
        let sent = visits::dispatch(&past, engineer, first, draft(json!({"engineer_ids": [me],
        "planned_arrival": arrival.to_string(), "notes": "机房在 B1，找值班室刘工 / data centre on B1, ask Liu at the duty room",
        "parts": [{"part_id": bbu.id, "depot_id": depot.id, "quantity": 1}]}))?).await?;
        clock.advance(SignedDuration::from_mins(170));
        visits::check_in(&past, engineer, sent.id, CheckIn::default()).await?;
        clock.advance(SignedDuration::from_mins(55));
        let done = draft(
            json!({"work_done": "更换控制器 B 电池模块，缓存恢复写回模式，告警消除。Replaced controller B's battery; the cache is back to write-back and the alarm cleared.",
        "travel_minutes": 40,
        "parts": [{"part_id": bbu.id, "unit_id": unit, "new_serial": "BBU21A0097731", "old_serial": "BBU19K0012406"}]}),
        )?;
        visits::complete(&past, engineer, sent.id, done).await?;
        clock.advance(SignedDuration::from_mins(5));
        let signed = draft(json!({"signer_name": "刘建国",
            "signature": "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 600 200\"><path d=\"M 40 140 C 80 40 120 40 140 120 S 200 170 230 90 L 260 60 M 300 150 Q 340 30 380 140 T 470 100 L 540 80\"/></svg>"}))?;
        visit_signing::sign(&past, engineer, sent.id, signed).await?;
        let report = draft(
            json!({"symptom": "控制器 B 电池告警，缓存切换为写穿模式，写性能下降。Controller B battery alarm; cache in write-through, writes slowed.",
            "category": "hardware", "root_cause": "BBU 老化，容量低于阈值 / the BBU aged below its capacity threshold",
            "actions": "更换 BBU，确认缓存恢复写回模式 / replaced the BBU, confirmed write-back",
            "downtime_start": (start - SignedDuration::from_hours(1)).to_string(),
            "downtime_end": clock.now().to_string()}),
        )?;
        faults::write(&past, engineer, first, report).await?;
    }

    // The day after tomorrow: a visit nobody is assigned to yet, on the dispatch board.
    visits::dispatch(
        app,
        engineer,
        second,
        draft(json!({"engineer_ids": [], "planned_minutes": 180,
        "planned_arrival": (now + SignedDuration::from_hours(44)).to_string(),
        "notes": "巡检后复查 / follow-up after the inspection"}))?,
    )
    .await?;

    // Tomorrow: a disk to replace, reserved.
    let arrival = now + SignedDuration::from_hours(20);
    visits::dispatch(
        app,
        engineer,
        second,
        draft(json!({"engineer_ids": [me],
        "planned_arrival": arrival.to_string(),
        "parts": [{"part_id": disk.id, "depot_id": depot.id, "quantity": 1}]}))?,
    )
    .await?;
    Ok(())
}
