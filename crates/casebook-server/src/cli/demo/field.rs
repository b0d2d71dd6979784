//! The demo's remote diagnosis (远程诊断) at Yuanjing Bank: yesterday a session the bank's IT
//! administrator approved, with its command log (one line withheld from the customer) sealed and
//! its time on the case; now a session running inside its window; and a request for this
//! afternoon waiting for the bank's approval.

use std::sync::Arc;

use casebook_domain::field::remote::{LogLineDraft, SessionDraft};
use casebook_domain::{CaseNumber, Timestamp};
use jiff::SignedDuration;
use serde_json::json;

use super::draft;
use crate::actions::ActionError;
use crate::actions::field::remote::{self, Decision, StepRequest};
use crate::actions::field::remote_log::{self, Append, MarkInternal};
use crate::app::App;
use crate::clock::{Clock, ManualClock};
use crate::policy::Principal;

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

    // Yesterday: approved, run, a password line withheld, ended and sealed.
    let clock = Arc::new(ManualClock::new(now - SignedDuration::from_hours(26)));
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
