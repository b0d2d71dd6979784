//! Rules of the e-mail channel that need no IO: finding the case number tag in a subject,
//! telling automatic mail (auto-replies, bounces, lists) from mail written by a person, folding
//! the quoted history of a reply away, and the subject tag Casebook writes.

use crate::CaseNumber;

mod disposition;
pub use disposition::MailDisposition;

/// The subject tag of a case, as Casebook writes it: `[Case 2026-00042]`.
pub fn subject_tag(number: CaseNumber) -> String {
    format!("[Case {number}]")
}

/// The case number in a subject's tag: a `YYYY-NNNNN` inside `[…]`, `【…】` or `(…)`, e.g.
/// `Re: [Case 2026-00042] 数据库无法连接` or `回复：【问题单 2026-00042】…`. A bare number in the text
/// is not a tag (customers quote other numbers too).
pub fn case_in_subject(subject: &str) -> Option<CaseNumber> {
    let pairs = [('[', ']'), ('【', '】'), ('(', ')'), ('（', '）')];
    let mut rest = subject;
    while let Some((start, open)) = rest
        .char_indices()
        .find(|(_, c)| pairs.iter().any(|(o, _)| o == c))
    {
        let close = pairs
            .iter()
            .find(|(o, _)| *o == open)
            .map(|(_, c)| *c)
            .unwrap_or(']');
        let inner_start = start + open.len_utf8();
        let len = rest[inner_start..].find(close)?;
        let inner = &rest[inner_start..inner_start + len];
        if let Some(number) = inner
            .split(|c: char| !(c.is_ascii_digit() || c == '-'))
            .find_map(|w| {
                (w.len() >= 10 && w.as_bytes().get(4) == Some(&b'-'))
                    .then(|| CaseNumber::parse(w).ok())
                    .flatten()
            })
        {
            return Some(number);
        }
        rest = &rest[inner_start + len + close.len_utf8()..];
    }
    None
}

/// Why a message was written by a machine (auto-reply, bounce, list, out of office), if it was;
/// `header` returns a header's value by its name (case-insensitive).
pub fn automatic_reason<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<&'static str> {
    let lower = |name: &str| header(name).map(|v| v.trim().to_ascii_lowercase());
    if lower("auto-submitted").is_some_and(|v| !v.is_empty() && v != "no") {
        return Some("auto-submitted");
    }
    if lower("precedence")
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"))
    {
        return Some("precedence");
    }
    if header("x-autoreply").is_some() || header("x-autorespond").is_some() {
        return Some("auto-reply header");
    }
    if header("list-id").is_some() || header("list-unsubscribe").is_some() {
        return Some("mailing list");
    }
    if lower("return-path").is_some_and(|v| v == "<>" || v.is_empty()) {
        return Some("bounce (empty return path)");
    }
    if lower("content-type").is_some_and(|v| v.starts_with("multipart/report")) {
        return Some("delivery report");
    }
    None
}

/// The new part of a reply: the text before the quoted history (a line like `On … wrote:`,
/// `在 … 写道：`, `-----Original Message-----`, `-----原始邮件-----`, or a `From:`/`发件人：` header
/// block), without `>` quoted lines and trailing blank lines.
pub fn new_part(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let starts_history = (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with('在') && (t.ends_with("写道：") || t.ends_with("写道:")))
            || t.contains("-----Original Message-----")
            || t.contains("-----原始邮件-----")
            || t.starts_with("发件人：")
            || t.starts_with("发件人:")
            || (t.starts_with("From:")
                && out
                    .iter()
                    .rev()
                    .take(2)
                    .any(|l| l.trim().is_empty() || l.trim().starts_with("___")));
        if starts_history {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> CaseNumber {
        CaseNumber::parse(s).unwrap()
    }

    #[test]
    fn the_tag_is_found_in_replies_and_forwards() {
        assert_eq!(
            case_in_subject("Re: [Case 2026-00042] 数据库无法连接"),
            Some(n("2026-00042"))
        );
        assert_eq!(
            case_in_subject("回复：【问题单 2026-00108】交易中断"),
            Some(n("2026-00108"))
        );
        assert_eq!(
            case_in_subject("AW: Fwd: (#2026-00007) disk"),
            Some(n("2026-00007"))
        );
        assert_eq!(
            case_in_subject(&subject_tag(n("2026-00042"))),
            Some(n("2026-00042"))
        );
        assert_eq!(
            case_in_subject("[EXTERNAL] [Case 2026-00042] x"),
            Some(n("2026-00042"))
        );
    }

    #[test]
    fn numbers_outside_a_tag_are_not_a_tag() {
        assert_eq!(case_in_subject("订单 2026-00042 无法发货"), None);
        assert_eq!(case_in_subject("[urgent] 2026-00042"), None);
        assert_eq!(case_in_subject("[2026-1] tiny"), None);
        assert_eq!(case_in_subject("[unclosed 2026-00042"), None);
        assert_eq!(case_in_subject(""), None);
    }

    #[test]
    fn automatic_mail_is_recognised() {
        let with = |pairs: &'static [(&'static str, &'static str)]| {
            automatic_reason(move |name| {
                pairs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| *v)
            })
        };
        assert_eq!(
            with(&[("Auto-Submitted", "auto-replied")]),
            Some("auto-submitted")
        );
        assert_eq!(with(&[("Auto-Submitted", "no")]), None);
        assert_eq!(with(&[("Precedence", "bulk")]), Some("precedence"));
        assert_eq!(with(&[("X-Autoreply", "yes")]), Some("auto-reply header"));
        assert_eq!(
            with(&[("List-Id", "<ops.example.com>")]),
            Some("mailing list")
        );
        assert_eq!(
            with(&[("Return-Path", "<>")]),
            Some("bounce (empty return path)")
        );
        assert_eq!(
            with(&[(
                "Content-Type",
                "multipart/report; report-type=delivery-status"
            )]),
            Some("delivery report")
        );
        assert_eq!(
            with(&[("Return-Path", "<zhang@bank.example>"), ("Subject", "hi")]),
            None
        );
    }

    #[test]
    fn quoted_history_is_folded_away() {
        let en = "Restarted, still failing.\n\nOn Mon, 2 Nov 2026 at 10:00, Support <s@x> wrote:\n> Please restart.\n";
        assert_eq!(new_part(en), "Restarted, still failing.");
        let zh = "已重启，问题依旧。\n\n在 2026年11月2日 10:00，技术支持 写道：\n> 请重启服务。";
        assert_eq!(new_part(zh), "已重启，问题依旧。");
        let outlook = "收到，谢谢\r\n\r\n-----原始邮件-----\r\n发件人: support\r\n";
        assert_eq!(new_part(outlook), "收到，谢谢");
        assert_eq!(new_part("> only quote\nnew text"), "new text");
        assert_eq!(
            new_part("no history at all\nsecond line"),
            "no history at all\nsecond line"
        );
    }
}
