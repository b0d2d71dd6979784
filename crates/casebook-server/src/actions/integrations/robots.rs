//! Chat robot messages (群机器人消息): an event worded for people in the subscription's
//! language, as DingTalk markdown, WeCom markdown or a Feishu card, with the case number,
//! severity, customer, SLA deadline and a link to the console, and the on-duty engineer
//! @-mentioned where the platform can. Also how each platform says that it took a message.

use casebook_domain::Named;
use casebook_domain::events::{Event, EventKind};
use casebook_domain::integrations::TargetKind;
use serde_json::{Value, json};

use crate::config::Config;
use crate::i18n::Lang;

/// Someone a message @-mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Their name.
    pub name: String,
    /// Their mobile number (DingTalk mentions by it).
    pub mobile: Option<String>,
    /// Their user id on the chat platform (DingTalk userId, WeCom userid, Feishu open_id).
    pub chat_id: Option<String>,
}

/// The message's title line.
pub fn title(event: &Event, lang: Lang) -> String {
    let what = lang.t(&format!("event-{}", event.kind.as_str().replace('.', "-")));
    match &event.case {
        Some(case) => format!(
            "[{}] {what} {}",
            lang.t(&format!("severity-{}", case.severity.level())),
            case.number
        ),
        None => match &event.device {
            Some(device) => format!("{what} {}", device.serial_number),
            None => what,
        },
    }
}

/// The message's lines (Markdown), without title and mentions.
pub fn lines(event: &Event, lang: Lang, config: &Config) -> Vec<String> {
    let label = |key: &str| lang.t(&format!("robot-{key}"));
    let mut out = Vec::new();
    if let Some(case) = &event.case {
        out.push(format!(
            "**{}**: [{}]({}) {}",
            label("case"),
            case.number,
            case.url,
            one_line(&case.title)
        ));
        out.push(format!(
            "**{}**: {}",
            label("customer"),
            one_line(&case.organization.name)
        ));
        if let Some(product) = &case.product {
            out.push(format!(
                "**{}**: {}",
                label("product"),
                one_line(&product.name)
            ));
        }
        let owner = case
            .owner
            .as_ref()
            .map_or_else(|| label("unassigned"), |o| one_line(&o.name));
        out.push(format!("**{}**: {owner}", label("owner")));
        out.push(format!(
            "**{}**: {}",
            label("status"),
            lang.t(&format!("status-{}", case.status))
        ));
        if let (Some(due), Some(metric)) = (case.sla_due_at, &case.sla_metric) {
            out.push(format!(
                "**{}**: {} ({})",
                label("sla-due"),
                config.desk_time(due),
                lang.t(&format!("metric-{metric}"))
            ));
        }
    }
    if let Some(change) = &event.change {
        let shown = |v: &Option<String>| v.as_deref().map(one_line).unwrap_or_else(|| "—".into());
        out.push(format!(
            "**{}**: {} → {}",
            label(&format!("change-{}", change.field)),
            shown(&change.from),
            shown(&change.to)
        ));
        if let Some(reason) = &change.reason {
            out.push(format!("**{}**: {}", label("reason"), one_line(reason)));
        }
    }
    if let Some(sla) = &event.sla {
        out.push(format!(
            "**{}**: {} {}",
            label("deadline"),
            lang.t(&format!("metric-{}", sla.metric)),
            config.desk_time(sla.deadline)
        ));
    }
    if let Some(reply) = &event.reply {
        let (excerpt, cut) = casebook_domain::events::payload::cut(&one_line(&reply.body), 200);
        let more = if cut { "…" } else { "" };
        out.push(format!("**{}**: {excerpt}{more}", one_line(&reply.author)));
    }
    if let Some(device) = &event.device {
        out.push(format!(
            "**{}**: {}",
            label("device"),
            one_line(&device.serial_number)
        ));
        if event.case.is_none() {
            out.push(format!(
                "**{}**: {}",
                label("customer"),
                one_line(&device.organization.name)
            ));
        }
        if let Some(code) = &device.code {
            let message = device.message.as_deref().map(one_line).unwrap_or_default();
            out.push(format!(
                "**{}**: {} {message}",
                label("fault"),
                one_line(code)
            ));
        }
        if let Some(seen) = device.last_seen_at {
            out.push(format!(
                "**{}**: {}",
                label("last-seen"),
                config.desk_time(seen)
            ));
        }
    }
    if let Some(survey) = &event.survey {
        let score = |s: Option<u8>| s.map_or_else(|| "—".to_owned(), |s| s.to_string());
        out.push(format!(
            "**{}**: {} / {} / {}",
            label("scores"),
            score(survey.resolution),
            score(survey.speed),
            score(survey.engineer)
        ));
        if let Some(comment) = &survey.comment {
            out.push(format!("> {}", one_line(comment)));
        }
    }
    out
}

/// Text on one line without Markdown that could break the message's layout.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control() || c == '\n')
        .filter(|p| !p.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['<', '>'], "")
}

/// The body sent to a robot. `keyword` (DingTalk's keyword security) is added when the text
/// does not contain it.
pub fn body(
    kind: TargetKind,
    event: &Event,
    lang: Lang,
    config: &Config,
    mentions: &[Mention],
    keyword: &str,
) -> Value {
    let title = title(event, lang);
    let mut text = format!("### {title}\n\n{}", lines(event, lang, config).join("\n\n"));
    if event.kind == EventKind::Ping {
        text.push_str(&format!("\n\n{}", lang.t("robot-ping")));
    }
    match kind {
        TargetKind::Dingtalk => {
            let mobiles: Vec<&str> = mentions
                .iter()
                .filter_map(|m| m.mobile.as_deref())
                .collect();
            let ids: Vec<&str> = mentions
                .iter()
                .filter(|m| m.mobile.is_none())
                .filter_map(|m| m.chat_id.as_deref())
                .collect();
            let tags: Vec<String> = mobiles
                .iter()
                .chain(ids.iter())
                .map(|m| format!("@{m}"))
                .collect();
            if !tags.is_empty() {
                text.push_str(&format!("\n\n{}", tags.join(" ")));
            }
            if !keyword.is_empty() && !text.contains(keyword) {
                text.push_str(&format!("\n\n{keyword}"));
            }
            json!({
                "msgtype": "markdown",
                "markdown": {"title": title, "text": text},
                "at": {"atMobiles": mobiles, "atUserIds": ids, "isAtAll": false}
            })
        }
        TargetKind::Wecom => {
            let tags: Vec<String> = mentions
                .iter()
                .filter_map(|m| m.chat_id.as_deref())
                .map(|id| format!("<@{id}>"))
                .collect();
            if !tags.is_empty() {
                text.push_str(&format!("\n\n{}", tags.join(" ")));
            }
            json!({"msgtype": "markdown", "markdown": {"content": text}})
        }
        TargetKind::Feishu => {
            let body = lines(event, lang, config).join("\n");
            let mut content = if event.kind == EventKind::Ping {
                format!("{body}\n{}", lang.t("robot-ping"))
            } else {
                body
            };
            let tags: Vec<String> = mentions
                .iter()
                .filter_map(|m| m.chat_id.as_deref())
                .map(|id| format!("<at id={id}></at>"))
                .collect();
            if !tags.is_empty() {
                content.push_str(&format!("\n{}", tags.join(" ")));
            }
            let mut elements =
                vec![json!({"tag": "div", "text": {"tag": "lark_md", "content": content}})];
            if let Some(case) = &event.case {
                elements.push(json!({"tag": "action", "actions": [{
                    "tag": "button", "type": "primary", "url": case.url,
                    "text": {"tag": "plain_text", "content": lang.t("robot-open-case")}
                }]}));
            }
            let urgent = event.case.as_ref().is_some_and(|c| c.severity.level() <= 2)
                || matches!(event.kind, EventKind::SlaBreach | EventKind::CallHomeFault);
            json!({
                "msg_type": "interactive",
                "card": {
                    "header": {
                        "title": {"tag": "plain_text", "content": title},
                        "template": if urgent { "red" } else { "blue" }
                    },
                    "elements": elements
                }
            })
        }
        TargetKind::Webhook => serde_json::to_value(event).unwrap_or(Value::Null),
    }
}

/// Whether the platform took the message: DingTalk and WeCom answer `errcode` 0, Feishu `code`
/// 0 (older bots `StatusCode` 0). The error names the platform's code and message.
pub fn accepted(kind: TargetKind, answer: &str) -> Result<(), String> {
    let parsed: Value = serde_json::from_str(answer)
        .map_err(|_| format!("the {} robot did not answer JSON", kind.as_str()))?;
    let code = match kind {
        TargetKind::Dingtalk | TargetKind::Wecom => parsed.get("errcode"),
        TargetKind::Feishu => parsed.get("code").or_else(|| parsed.get("StatusCode")),
        TargetKind::Webhook => return Ok(()),
    };
    match code.and_then(Value::as_i64) {
        Some(0) => Ok(()),
        Some(code) => {
            let message = ["errmsg", "msg", "StatusMessage"]
                .iter()
                .find_map(|k| parsed.get(*k).and_then(Value::as_str))
                .unwrap_or("");
            Err(format!(
                "the {} robot refused it: {code} {message}",
                kind.as_str()
            ))
        }
        None => Err(format!(
            "the {} robot's answer has no result code",
            kind.as_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_answers_are_read_as_the_vendors_document_them() {
        assert!(accepted(TargetKind::Dingtalk, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let refused = accepted(
            TargetKind::Dingtalk,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#,
        );
        assert_eq!(
            refused.unwrap_err(),
            "the dingtalk robot refused it: 310000 sign not match"
        );
        assert!(accepted(TargetKind::Wecom, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(
            accepted(
                TargetKind::Feishu,
                r#"{"code":0,"msg":"success","data":{}}"#
            )
            .is_ok()
        );
        assert!(accepted(TargetKind::Feishu, r#"{"StatusCode":0}"#).is_ok());
        assert!(
            accepted(
                TargetKind::Feishu,
                r#"{"code":19021,"msg":"sign match fail"}"#
            )
            .is_err()
        );
        assert!(accepted(TargetKind::Wecom, "<html>").is_err());
        assert!(accepted(TargetKind::Wecom, "{}").is_err());
    }

    #[test]
    fn one_line_keeps_text_and_drops_what_breaks_markdown_layout() {
        assert_eq!(
            one_line("a\nb\r\n <at id=all></at> c"),
            "a b at id=all/at c"
        );
    }
}
