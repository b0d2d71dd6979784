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
use serde_json::json;

use super::{Org, Staff, draft};
use crate::actions::cases::attachments::{self, Upload};
use crate::actions::{ActionError, cases, cases::comments};
use crate::app::App;
use crate::clock::ManualClock;
use crate::policy::Principal;

pub(super) const TARGETS: [Status; 20] = [
    Status::New,
    Status::Assigned,
    Status::InProgress,
    Status::AwaitingCustomer,
    Status::SolutionProposed,
    Status::Closed,
    Status::InProgress,
    Status::Closed,
    Status::New,
    Status::Cancelled,
    Status::AwaitingCustomer,
    Status::SolutionProposed,
    Status::Closed,
    Status::InProgress,
    Status::Assigned,
    Status::Closed,
    Status::AwaitingCustomer,
    Status::Cancelled,
    Status::Closed,
    Status::SolutionProposed,
];

/// (product index, category, severity, Chinese title, English title, description)
const PROBLEMS: [(usize, Category, Severity, &str, &str, &str); 12] = [
    (
        0,
        Category::Performance,
        Severity::Two,
        "数据库连接池耗尽，应用间歇性报连接超时",
        "Connection pool exhausted, applications time out intermittently",
        "高峰时段（9:00–11:00）应用服务器报 connection timeout，约每 20 分钟一次。重启应用后恢复，数据库日志中有大量 session wait。",
    ),
    (
        0,
        Category::Defect,
        Severity::One,
        "生产库宕机，实例无法启动",
        "Production database down, instance will not start",
        "凌晨 2:10 实例异常退出，重启时报 redo log 校验失败，所有业务系统受影响。",
    ),
    (
        0,
        Category::Installation,
        Severity::Three,
        "12.1 版本安装在 Kylin V10 上失败",
        "Installing 12.1 on Kylin V10 fails",
        "安装程序在检查依赖时退出，提示缺少 libaio。测试环境，非生产。",
    ),
    (
        1,
        Category::Defect,
        Severity::Two,
        "控制器 B 在固件升级后反复切换",
        "Controller B fails over repeatedly after firmware upgrade",
        "升级到 FW 5.4 后，控制器 B 每天 2–3 次发生切换，主机端多路径报路径丢失。",
    ),
    (
        1,
        Category::Configuration,
        Severity::Three,
        "如何配置异步远程复制的带宽限制",
        "How to limit bandwidth of asynchronous remote replication",
        "两地之间专线 200 Mbps，白天复制占满带宽，希望按时段限速。",
    ),
    (
        1,
        Category::Data,
        Severity::Two,
        "快照卷挂载后文件系统只读",
        "Snapshot volume mounts read-only",
        "从快照创建的卷挂载到备份服务器后，ext4 报错并以只读方式挂载。",
    ),
    (
        2,
        Category::Usage,
        Severity::Four,
        "如何批量导出用户邮箱到 PST",
        "How to export mailboxes to PST in bulk",
        "年底归档，需要将 300 个离职员工的邮箱导出。",
    ),
    (
        2,
        Category::Defect,
        Severity::Three,
        "一个用户无法连接到邮件服务器",
        "One user cannot connect to the mail server",
        "该用户客户端报 “服务器不可用”，其他用户正常。已重装客户端，问题依旧。",
    ),
    (
        2,
        Category::Performance,
        Severity::Two,
        "邮件投递延迟超过 30 分钟",
        "Mail delivery delayed by more than 30 minutes",
        "自周一起外部邮件投递队列堆积，router 任务 CPU 持续 100%。",
    ),
    (
        3,
        Category::Security,
        Severity::One,
        "网关拒绝所有 VPN 连接",
        "Gateway refuses all VPN connections",
        "证书更新后所有远程用户无法建立 VPN，报 TLS handshake failure。",
    ),
    (
        3,
        Category::Configuration,
        Severity::Three,
        "双机热备切换后会话丢失",
        "Sessions lost after HA failover",
        "主备切换测试时，已建立的会话全部断开，希望实现会话同步。",
    ),
    (
        3,
        Category::Other,
        Severity::Four,
        "4.0 版本的维护周期咨询",
        "Maintenance period of version 4.0",
        "请问 4.0 版本的标准支持到哪一年结束？",
    ),
];

#[allow(clippy::too_many_arguments)]
pub(super) async fn demo_case(
    app: &App,
    clock: &ManualClock,
    staff: &Staff,
    org: &Org,
    products: &[(ProductId, Vec<String>)],
    i: usize,
    target: Status,
    rng: &mut StdRng,
) -> Result<(), ActionError> {
    let (product, category, severity, zh, en, description) = PROBLEMS[i % PROBLEMS.len()];
    let (product_id, versions) = &products[product];
    let title = if org.english { en } else { zh };
    let description = if org.english {
        format!("{en}. Observed in production; logs attached on request.")
    } else {
        description.to_owned()
    };
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
        "environment": "生产环境 / production, 2 nodes", "category": category, "severity": severity, "channel": channel,
    });
    if !by_customer {
        body["organization_id"] = json!(org.id);
        body["contact_id"] = json!(contact);
    }
    let case = cases::open(app, opener, draft::<CaseDraft>(body)?).await?;
    let number = case.number;
    if target == Status::New {
        return Ok(());
    }
    let (engineer, engineer_id) = &staff.engineers[i % staff.engineers.len()];
    let step = |min: i64, max: i64, rng: &mut StdRng| {
        clock.advance(SignedDuration::from_mins(rng.random_range(min..=max)))
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
        return Ok(());
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
        return Ok(());
    }
    step(5, 60, rng);
    patch(app, engineer, number, json!({"status": "in_progress"})).await?;
    let greeting = if org.english {
        "Thank you, we are analysing the problem. Please send the server log of the time it happened."
    } else {
        "您好，已收到您的问题，正在分析。请提供问题发生时段的服务器日志。"
    };
    reply(app, engineer, number, greeting, Visibility::Public).await?;
    reply(
        app,
        engineer,
        number,
        "初步判断与已知缺陷 KB-2031 相似，需确认补丁级别。",
        Visibility::Internal,
    )
    .await?;
    if target == Status::Cancelled {
        patch(
            app,
            &staff.coordinator,
            number,
            json!({"status": "cancelled", "reason": "与另一问题重复 / duplicate"}),
        )
        .await?;
        return Ok(());
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
        return Ok(());
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
        return Ok(());
    }
    step(15, 90, rng);
    let customer = org.customer.as_ref();
    let answer = if org.english {
        "Log attached. The problem happened again at 10:42."
    } else {
        "日志见附件，10:42 问题再次出现。"
    };
    let uploads = vec![Upload {
        file_name: "server-2026.log".into(),
        content_type: "text/plain".into(),
        content: bytes::Bytes::from_static(
            b"2026-11-02 10:42:07 ERROR pool: no free connection (active=200, max=200)\n",
        ),
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
        "Please apply patch 12.1.0.3 and raise the pool size to 400; this resolves the defect."
    } else {
        "请安装补丁 12.1.0.3，并将连接池上限调整为 400，可解决该缺陷。"
    };
    reply(app, engineer, number, solution, Visibility::Public).await?;
    patch(
        app,
        engineer,
        number,
        json!({"status": "solution_proposed"}),
    )
    .await?;
    if target == Status::SolutionProposed {
        return Ok(());
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
    Ok(())
}

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
