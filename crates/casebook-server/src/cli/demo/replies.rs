//! The demo's reply templates and macros: what a hotline team types every day, shared by the
//! support manager, and one engineer's own.

use casebook_domain::replies::ReplyTemplateDraft;
use serde_json::json;

use super::draft;
use crate::actions::{ActionError, replies};
use crate::app::App;
use crate::policy::Principal;

/// Creates the shared templates as `manager` and a personal one of `engineer`.
pub(super) async fn load(
    app: &App,
    manager: &Principal,
    engineer: &Principal,
) -> Result<(), ActionError> {
    let shared = [
        json!({"name": "请求日志 / Ask for logs", "shared": true,
            "body_zh": "{{ contact.name }}您好：\n\n为尽快定位问题 {{ case.number }}，请上传故障时段的系统日志和最近的变更记录。收到后我们会立即分析。\n\n{{ engineer.name }}",
            "body_en": "Hello {{ contact.name }},\n\nTo find the cause of case {{ case.number }} quickly, please upload the system logs of the time of the fault and any recent changes. We will analyse them as soon as they arrive.\n\n{{ engineer.name }}",
            "changes": {"status": "awaiting_customer"}}),
        json!({"name": "进展通报 / Progress update", "shared": true,
            "body_zh": "进展通报：问题 {{ case.number }} 正在处理中，下一个期限为 {{ deadline }}，届时我们会再次通报进展。",
            "body_en": "Progress update: case {{ case.number }} is being worked on; the next deadline is {{ deadline }}, when we will update you again."}),
        json!({"name": "转二线分析 / To L2", "shared": true, "visibility": "internal",
            "body_zh": "已收集日志，一线排查未发现配置问题，转二线分析。",
            "body_en": "Logs collected; L1 found no configuration problem. Over to L2.",
            "changes": {"tier": "l2"}}),
        json!({"name": "开始处理 / Start work", "shared": true,
            "body_zh": "您好，问题 {{ case.number }} 已由{{ engineer.name }}接手处理，我们会尽快给您答复。",
            "body_en": "Hello, {{ engineer.name }} has taken case {{ case.number }} and will answer you shortly.",
            "changes": {"status": "in_progress", "take": true}}),
    ];
    for template in shared {
        replies::create(app, manager, draft::<ReplyTemplateDraft>(template)?).await?;
    }
    let own = json!({"name": "电话回访 / Call back",
        "body_zh": "已电话联系{{ contact.name }}，确认问题 {{ case.number }} 现象，后续以邮件同步进展。",
        "body_en": "Called {{ contact.name }} to confirm the symptoms of case {{ case.number }}; progress will follow by mail.",
        "visibility": "internal"});
    replies::create(app, engineer, draft::<ReplyTemplateDraft>(own)?).await?;
    Ok(())
}
