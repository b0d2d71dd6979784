//! The demo's cases: a dozen bilingual problems on the demo products, each played through the
//! same actions as real use (replies, notes, status changes) to the status it is meant to reach,
//! so that every status of the lifecycle has cases in it.

use casebook_domain::case::{CaseDraft, CasePatch};
use casebook_domain::ids::ProductId;
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::CommentDraft;
use casebook_domain::{CaseNumber, Category, Channel, Severity, Status};
use jiff::SignedDuration;
use rand::Rng;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::json;

use super::{Org, Staff, draft};
use crate::actions::cases::attachments::{self, Upload};
use crate::actions::{ActionError, cases, cases::comments};
use crate::app::App;
use crate::clock::ManualClock;
use crate::policy::Principal;

/// One support problem of `problems.toml`, in both languages.
#[derive(Debug, Deserialize)]
pub(super) struct Problem {
    /// The index of its product in the demo catalogue.
    product: usize,
    category: Category,
    severity: Severity,
    zh: String,
    en: String,
    zh_desc: String,
    en_desc: String,
    /// The engineer's first internal note.
    note: String,
    zh_fix: String,
    en_fix: String,
}

#[derive(Deserialize)]
struct Catalogue {
    problem: Vec<Problem>,
}

/// The demo's problems, from `problems.toml`.
pub(super) fn problems() -> Result<Vec<Problem>, ActionError> {
    let catalogue: Catalogue = toml::from_str(include_str!("problems.toml"))
        .map_err(|e| ActionError::Internal(format!("demo problems: {e}")))?;
    Ok(catalogue.problem)
}

/// How fast one case moves, in percent of a working day's pace (an engineer answering within
/// the hour): old cases took longer between steps, those of the last hours went quicker.
pub(super) type Pace = i64;

/// One demo case: `problem` reported by `org`, played to `target` with steps `pace` apart.
#[allow(clippy::too_many_arguments)]
pub(super) async fn demo_case(
    app: &App,
    clock: &ManualClock,
    staff: &Staff,
    org: &Org,
    products: &[(ProductId, Vec<String>)],
    (i, problem): (usize, &Problem),
    (target, pace): (Status, Pace),
    rng: &mut StdRng,
) -> Result<CaseNumber, ActionError> {
    let (product_id, versions) = &products[problem.product];
    let (title, description) = if org.english {
        (&problem.en, &problem.en_desc)
    } else {
        (&problem.zh, &problem.zh_desc)
    };
    let (category, severity) = (problem.category, problem.severity);
    let contact = org.contacts[i % org.contacts.len()];
    let by_customer = org.customer.is_some() && !i.is_multiple_of(3);
    let opener = if by_customer {
        org.customer.as_ref().unwrap_or(&staff.coordinator)
    } else {
        &staff.coordinator
    };
    let channel = if by_customer {
        Channel::Web
    } else {
        [Channel::Phone, Channel::Email, Channel::Phone][i % 3]
    };
    let os = [
        "Kylin V10 SP3",
        "CentOS 7.9",
        "Windows Server 2019",
        "UOS 20",
    ][i % 4];
    let mut body = json!({
        "title": title, "description": description, "product_id": product_id, "product_version": versions[i % versions.len()],
        "operating_system": os,
        "environment": if org.english { "production, 2 nodes" } else { "生产环境，双节点" },
        "category": category, "severity": severity, "channel": channel,
    });
    if !by_customer {
        body["organization_id"] = json!(org.id);
        body["contact_id"] = json!(contact);
    }
    let case = cases::open(app, opener, draft::<CaseDraft>(body)?).await?;
    let number = case.number;
    if target == Status::New {
        return Ok(number);
    }
    let (engineer, engineer_id) = &staff.engineers[i % staff.engineers.len()];
    let step = |min: i64, max: i64, rng: &mut StdRng| {
        let mins = (rng.random_range(min..=max) * pace / 100).max(1);
        clock.advance(SignedDuration::from_mins(mins))
    };
    step(5, 45, rng);
    patch(
        app,
        &staff.coordinator,
        number,
        json!({"owner_id": engineer_id, "tier": "l1"}),
    )
    .await?;
    if target == Status::Assigned {
        return Ok(number);
    }
    if target == Status::Cancelled && i.is_multiple_of(2) {
        let who = org.customer.as_ref().unwrap_or(&staff.coordinator);
        patch(
            app,
            who,
            number,
            json!({"status": "cancelled", "reason": "问题已自行解决 / resolved by ourselves"}),
        )
        .await?;
        return Ok(number);
    }
    step(5, 60, rng);
    patch(app, engineer, number, json!({"status": "in_progress"})).await?;
    let greeting = if org.english {
        GREETINGS_EN[i % GREETINGS_EN.len()]
    } else {
        GREETINGS_ZH[i % GREETINGS_ZH.len()]
    };
    reply(app, engineer, number, greeting, Visibility::Public).await?;
    reply(app, engineer, number, &problem.note, Visibility::Internal).await?;
    if target == Status::Cancelled {
        patch(
            app,
            &staff.coordinator,
            number,
            json!({"status": "cancelled", "reason": "与另一问题重复 / duplicate"}),
        )
        .await?;
        return Ok(number);
    }
    if target == Status::InProgress {
        if i.is_multiple_of(4) {
            patch(
                app,
                &staff.coordinator,
                number,
                json!({"tier": "l2", "reason": "需要二线分析内存转储 / needs L2 dump analysis"}),
            )
            .await?;
        }
        return Ok(number);
    }
    step(10, 60, rng);
    patch(
        app,
        engineer,
        number,
        json!({"status": "awaiting_customer", "reason": "等待客户提供日志 / waiting for logs"}),
    )
    .await?;
    if target == Status::AwaitingCustomer {
        return Ok(number);
    }
    step(15, 90, rng);
    let customer = org.customer.as_ref();
    let answer = if org.english {
        "Log attached. The problem happened again at 10:42."
    } else {
        "日志见附件，10:42 问题再次出现。"
    };
    let (file_name, log) = LOGS[problem.product];
    let uploads = vec![Upload {
        file_name: file_name.into(),
        content_type: "text/plain".into(),
        content: bytes::Bytes::from_static(log.as_bytes()),
    }];
    match customer {
        Some(c) => {
            comments::add(app, c, number, draft(json!({"body": answer}))?, uploads).await?;
        }
        None => {
            attachments::add(app, engineer, number, Some(Visibility::Public), uploads).await?;
            patch(app, engineer, number, json!({"status": "in_progress", "reason": "客户已电话提供日志 / logs received by phone"})).await?;
        }
    }
    step(10, 60, rng);
    let solution = if org.english {
        &problem.en_fix
    } else {
        &problem.zh_fix
    };
    // The analysis behind the solution is billed (remote work on every third case).
    let activity = if i.is_multiple_of(3) {
        "remote"
    } else {
        "analysis"
    };
    let minutes = 45 + (i % 5) as i64 * 30;
    let work = json!({"minutes": minutes, "activity": activity, "note": "定位并验证解决方案 / found and tested the fix"});
    reply_with_time(app, engineer, number, solution, Some(work)).await?;
    patch(
        app,
        engineer,
        number,
        json!({"status": "solution_proposed"}),
    )
    .await?;
    if target == Status::SolutionProposed {
        return Ok(number);
    }
    step(15, 120, rng);
    match customer {
        Some(c) if i.is_multiple_of(2) => {
            patch(
                app,
                c,
                number,
                json!({"status": "closed", "reason": "确认问题已解决 / confirmed solved"}),
            )
            .await?
        }
        _ => patch(
            app,
            &staff.coordinator,
            number,
            json!({"status": "closed", "reason": "客户电话确认关闭 / customer confirmed by phone"}),
        )
        .await?,
    };
    super::surveys::answer_closed(app, clock, number, i, org.english).await?;
    Ok(number)
}

/// Posts a progress update on an open case (it restarts the case's next-update clock).
pub(super) async fn progress_update(
    app: &App,
    engineer: &Principal,
    number: CaseNumber,
    english: bool,
) -> Result<(), ActionError> {
    let text = if english {
        "Progress update: we reproduced the problem in our lab and are testing the fix. Next update within four hours."
    } else {
        "进展通报：已在实验室复现该问题，正在验证修复方案，四小时内再次通报进展。"
    };
    let work = json!({"minutes": 40, "activity": "remote"});
    reply_with_time(app, engineer, number, text, Some(work)).await
}

/// The engineer's first public answer, varied.
const GREETINGS_ZH: [&str; 3] = [
    "您好，已收到您的问题，正在分析。请提供问题发生时段的服务器日志。",
    "您好，我是负责本问题的工程师，已开始排查。请提供故障时段的日志和最近的变更记录。",
    "您好，问题已受理。为尽快定位，请上传系统日志，并告知问题首次出现的时间。",
];
const GREETINGS_EN: [&str; 3] = [
    "Thank you, we are analysing the problem. Please send the server log of the time it happened.",
    "Hello, I am the engineer on this case and have started the analysis. Please send the logs of the time of the fault and any recent changes.",
    "Your problem is with us. To find the cause quickly, please upload the system log and tell us when the problem first appeared.",
];

/// The log a customer sends, per product.
const LOGS: [(&str, &str); 4] = [
    (
        "alert_prod.log",
        "2026-11-02 10:42:07 ERROR pool: no free connection (active=200, max=200)\n2026-11-02 10:42:09 WARN session wait: enq TX row lock contention\n",
    ),
    (
        "array-eventlog.txt",
        "2026-11-02 10:42:07 ctrl-b: heartbeat timeout (3000 ms)\n2026-11-02 10:42:08 ctrl-a: taking over LUN 0-15\n",
    ),
    (
        "mailrouter.log",
        "2026-11-02 10:42:07 router: queue length 18234, oldest 00:41:12\n2026-11-02 10:42:09 router: remote 550 relay denied\n",
    ),
    (
        "gateway-syslog.txt",
        "2026-11-02 10:42:07 vpn: TLS handshake failure (unknown ca)\n2026-11-02 10:42:10 ha: peer state changed to standby\n",
    ),
];

async fn patch(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    body: serde_json::Value,
) -> Result<(), ActionError> {
    cases::update(app, who, number, draft::<CasePatch>(body)?, None)
        .await
        .map(|_| ())
}

/// A public reply with the time it took.
async fn reply_with_time(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    text: &str,
    work: Option<serde_json::Value>,
) -> Result<(), ActionError> {
    let comment: CommentDraft = draft(json!({"body": text, "work": work}))?;
    comments::add(app, who, number, comment, Vec::new())
        .await
        .map(|_| ())
}

async fn reply(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    text: &str,
    visibility: Visibility,
) -> Result<(), ActionError> {
    let comment: CommentDraft = draft(json!({"body": text, "visibility": visibility}))?;
    comments::add(app, who, number, comment, Vec::new())
        .await
        .map(|_| ())
}
