//! The demo's knowledge base: bilingual technotes written by an engineer and published by the
//! manager (reviewer ≠ author), one critical-issue alert, one internal note for staff, one draft
//! in review, and feedback from customers so the "solved most" order means something.

use casebook_domain::ids::ProductId;
use casebook_domain::knowledge::ArticleDraft;
use serde_json::{Value, json};

use crate::actions::knowledge::feedback;
use crate::actions::knowledge::review::{self, StepInput};
use crate::actions::{ActionError, knowledge::articles};
use crate::app::App;
use crate::policy::Principal;

/// (product index, visibility, alert, publish, zh title, en title, symptom, cause, resolution)
type Technote = (
    usize,
    &'static str,
    bool,
    bool,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const TECHNOTES: [Technote; 6] = [
    (
        0,
        "customers",
        false,
        true,
        "数据库无法连接：监听器未启动",
        "Database cannot be reached: the listener is not running",
        "应用报 connection refused，端口 1521 无响应。Applications get connection refused on port 1521.",
        "服务器重启后监听器没有自动启动。The listener was not started after a reboot.",
        "启动监听器并设为开机自启：`lsnrctl start`。Start the listener and enable it at boot.",
    ),
    (
        1,
        "customers",
        true,
        true,
        "关键问题预警：FW 5.4 控制器反复切换",
        "Critical alert: controllers fail over repeatedly on FW 5.4",
        "升级到 FW 5.4 后控制器 B 每天多次切换。Controller B fails over several times a day after FW 5.4.",
        "FW 5.4 的心跳超时设置过短。The heartbeat timeout of FW 5.4 is too short.",
        "升级到 FW 6.0，或将心跳超时设为 10 秒。Upgrade to FW 6.0 or set the heartbeat timeout to 10 s.",
    ),
    (
        2,
        "public",
        false,
        true,
        "邮件投递延迟的排查步骤",
        "Troubleshooting delayed mail delivery",
        "外部邮件在队列中堆积超过 30 分钟。Outbound mail queues for more than 30 minutes.",
        "DNS 解析超时或 router 任务过载。DNS timeouts or an overloaded router task.",
        "检查 DNS 解析时间，增加 router 线程数。Check DNS latency and add router threads.",
    ),
    (
        3,
        "customers",
        false,
        true,
        "证书更新后 VPN 连接被拒绝",
        "VPN connections refused after a certificate renewal",
        "所有远程用户报 TLS handshake failure。Remote users get a TLS handshake failure.",
        "新证书缺少中间证书。The new certificate lacks its intermediate certificate.",
        "导入完整证书链后重启网关服务。Import the full chain and restart the gateway service.",
    ),
    (
        0,
        "internal",
        false,
        true,
        "内部经验：归档日志满导致数据库挂起",
        "Internal: database hangs when the archive log area is full",
        "数据库无响应，告警日志提示归档失败。The database hangs; the alert log shows archive errors.",
        "归档目录空间不足。The archive destination is full.",
        "清理或扩容归档目录，检查备份任务是否删除已备份日志。",
    ),
    (
        1,
        "customers",
        false,
        false,
        "存储阵列性能下降的检查清单",
        "Checklist for storage array performance degradation",
        "读写延迟升高。Read and write latency increases.",
        "",
        "检查缓存电池、重建任务和热点卷。Check cache batteries, rebuilds and hot volumes.",
    ),
];

/// Writes the technotes as `author`, has `reviewer` publish them, and has `readers` vote.
pub async fn load(
    app: &App,
    author: &Principal,
    reviewer: &Principal,
    readers: &[&Principal],
    products: &[(ProductId, Vec<String>)],
) -> Result<(), ActionError> {
    for (i, (product, visibility, alert, publish, zh, en, symptom, cause, resolution)) in
        TECHNOTES.into_iter().enumerate()
    {
        let (product, versions) = &products[product % products.len()];
        let versions: Vec<Value> = if alert {
            versions.iter().skip(1).take(1).map(|v| json!(v)).collect()
        } else {
            Vec::new()
        };
        let text = |language: &str, title: &str| {
            json!({"language": language, "title": title, "symptom": symptom, "cause": cause,
                   "resolution": resolution,
                   "body": format!("## 步骤 Steps\n\n1. {resolution}\n2. 验证问题已解决 Check that the problem is gone.\n")})
        };
        let draft: ArticleDraft = serde_json::from_value(json!({
            "visibility": visibility, "alert": alert, "tags": ["demo"],
            "texts": [text("zh-CN", zh), text("en", en)],
            "products": [{"product_id": product, "versions": versions}],
        }))
        .map_err(|e| ActionError::Internal(format!("demo technote: {e}")))?;
        let article = articles::create(app, author, draft).await?;
        review::submit(app, author, article.id, StepInput { version: None }).await?;
        if !publish {
            continue;
        }
        review::publish(app, reviewer, article.id, StepInput { version: None }).await?;
        if visibility == "internal" {
            continue;
        }
        for (n, reader) in readers.iter().enumerate() {
            let solved = (i + n) % 3 != 2;
            let feedback = serde_json::from_value(json!({"solved": solved}))
                .map_err(|e| ActionError::Internal(format!("demo feedback: {e}")))?;
            feedback::give(app, reader, article.id, feedback).await?;
        }
    }
    Ok(())
}
