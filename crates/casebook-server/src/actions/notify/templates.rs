//! The texts of the mail Casebook sends, in Chinese and English. Each kind of mail has a
//! built-in text (`templates/mail/KIND.LANG.txt`: a `Subject:` line, then the body) that admins
//! may replace. Templates are MiniJinja in a sandbox: no file access, no includes, a fuel limit
//! that stops runaway loops, and a cap on the size of what they produce. An edit is refused
//! unless it renders with the sample values of its kind; a stored text that fails at sending
//! time (e.g. after a variable was renamed) falls back to the built-in one, so a mail is never
//! lost to a template.

use casebook_store::Db;
use casebook_store::mail_templates::{self, StoredTemplate};
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use casebook_domain::policy::Permission;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::{Principal, require};

/// Fuel of one rendering: enough for any sensible mail, too little for a runaway loop.
const FUEL: u64 = 20_000;
/// The most a template may produce.
const MAX_OUTPUT: usize = 64 * 1024;
/// The most an admin may store per template.
const MAX_SOURCE: usize = 16 * 1024;

/// A kind of mail: its name and who receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MailKind {
    /// Stable name, e.g. `case_opened`.
    pub kind: &'static str,
    /// `customer` or `staff`.
    pub audience: &'static str,
}

/// Every kind of mail Casebook sends.
pub const KINDS: [MailKind; 21] = [
    MailKind {
        kind: "case_opened",
        audience: "customer",
    },
    MailKind {
        kind: "staff_reply",
        audience: "customer",
    },
    MailKind {
        kind: "solution_proposed",
        audience: "customer",
    },
    MailKind {
        kind: "case_closed",
        audience: "customer",
    },
    MailKind {
        kind: "status_changed",
        audience: "customer",
    },
    MailKind {
        kind: "contract_renewal",
        audience: "customer",
    },
    MailKind {
        kind: "contract_usage",
        audience: "customer",
    },
    MailKind {
        kind: "article_alert",
        audience: "customer",
    },
    MailKind {
        kind: "survey_request",
        audience: "customer",
    },
    MailKind {
        kind: "survey_follow_up",
        audience: "staff",
    },
    MailKind {
        kind: "survey_follow_up_overdue",
        audience: "staff",
    },
    MailKind {
        kind: "sla_warning",
        audience: "staff",
    },
    MailKind {
        kind: "sla_breach",
        audience: "staff",
    },
    MailKind {
        kind: "sla_escalation",
        audience: "staff",
    },
    MailKind {
        kind: "ola_warning",
        audience: "staff",
    },
    MailKind {
        kind: "ola_breach",
        audience: "staff",
    },
    MailKind {
        kind: "duty_page",
        audience: "staff",
    },
    MailKind {
        kind: "duty_escalation",
        audience: "staff",
    },
    MailKind {
        kind: "remote_request",
        audience: "customer",
    },
    MailKind {
        kind: "visit_sign_code",
        audience: "customer",
    },
    MailKind {
        kind: "service_report",
        audience: "customer",
    },
];

macro_rules! builtin_texts {
    ($($kind:literal),*) => {
        fn builtin(kind: &str, lang: Lang) -> Option<&'static str> {
            match (kind, lang) {
                $(
                    ($kind, Lang::Zh) => Some(include_str!(concat!("../../../templates/mail/", $kind, ".zh-CN.txt"))),
                    ($kind, Lang::En) => Some(include_str!(concat!("../../../templates/mail/", $kind, ".en.txt"))),
                )*
                _ => None,
            }
        }
    };
}

builtin_texts!(
    "case_opened",
    "staff_reply",
    "solution_proposed",
    "case_closed",
    "status_changed",
    "contract_renewal",
    "contract_usage",
    "article_alert",
    "survey_request",
    "survey_follow_up",
    "survey_follow_up_overdue",
    "sla_warning",
    "sla_breach",
    "sla_escalation",
    "ola_warning",
    "ola_breach",
    "duty_page",
    "duty_escalation",
    "remote_request",
    "visit_sign_code",
    "service_report"
);

/// A built-in text split into its subject and body templates.
fn split_builtin(text: &str) -> (&str, &str) {
    let text = text.strip_prefix("Subject: ").unwrap_or(text);
    text.split_once('\n').unwrap_or((text, ""))
}

/// A subject and body, ready to queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The subject, one line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(20);
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env
}

fn render_one(env: &Environment<'_>, source: &str, ctx: &Value) -> Result<String, String> {
    let out = env
        .render_str(source, Serde(ctx))
        .map_err(|e| match e.line() {
            Some(line) => format!("line {line}: {}", e.detail().unwrap_or(&e.to_string())),
            None => e.to_string(),
        })?;
    if out.len() > MAX_OUTPUT {
        return Err(format!("the text is longer than {MAX_OUTPUT} bytes"));
    }
    Ok(out)
}

/// Renders one text in the same sandbox as the mail templates (no files, no includes, a fuel
/// limit, a bounded output): the placeholders of reply templates.
pub fn render_text(source: &str, ctx: &Value) -> Result<String, String> {
    render_one(&environment(), source, ctx)
}

/// Renders a subject and body template with `ctx`.
fn render_pair(subject: &str, body: &str, ctx: &Value) -> Result<Rendered, (String, String)> {
    let env = environment();
    let subject = render_one(&env, subject, ctx).map_err(|e| ("subject".to_owned(), e))?;
    let body = render_one(&env, body, ctx).map_err(|e| ("body".to_owned(), e))?;
    Ok(Rendered {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        body: body.trim_end().to_owned() + "\n",
    })
}

/// Renders the mail `kind` in `lang` with `ctx`: the admins' text if they edited it and it
/// renders, otherwise the built-in text.
pub async fn render(db: &mut Db, kind: &str, lang: Lang, ctx: &Value) -> ActionResult<Rendered> {
    if let Some(stored) = mail_templates::get(db, kind, lang.tag()).await? {
        match render_pair(&stored.subject, &stored.body, ctx) {
            Ok(done) => return Ok(done),
            Err((part, err)) => tracing::warn!(
                kind,
                lang = lang.tag(),
                part,
                error = %err,
                "the edited mail template failed; the built-in text is used"
            ),
        }
    }
    let text = builtin(kind, lang)
        .ok_or_else(|| ActionError::Internal(format!("no mail template {kind}")))?;
    let (subject, body) = split_builtin(text);
    render_pair(subject, body, ctx)
        .map_err(|(part, err)| ActionError::Internal(format!("built-in mail {kind} {part}: {err}")))
}

/// A template as the admins' editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MailTemplate {
    /// Kind of mail.
    pub kind: String,
    /// `customer` or `staff`.
    pub audience: String,
    /// `zh-CN` or `en`.
    pub lang: String,
    /// The subject template.
    pub subject: String,
    /// The body template.
    pub body: String,
    /// Whether admins replaced the built-in text.
    pub edited: bool,
    /// The version to send back with an edit (0 for the built-in text).
    pub version: i64,
    /// The template rendered with sample values.
    pub preview: Option<String>,
}

/// An edit of a template.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailTemplateEdit {
    /// The subject template (one line).
    pub subject: String,
    /// The body template.
    pub body: String,
    /// The version the editor saw (0 for the built-in text).
    pub version: i64,
}

fn kind_of(kind: &str) -> ActionResult<MailKind> {
    KINDS
        .into_iter()
        .find(|k| k.kind == kind)
        .ok_or(ActionError::NotFound("mail template"))
}

fn lang_of(tag: &str) -> ActionResult<Lang> {
    Lang::ALL
        .into_iter()
        .find(|l| l.tag() == tag)
        .ok_or(ActionError::NotFound("mail template"))
}

fn preview(subject: &str, body: &str, kind: &str, lang: Lang) -> Option<String> {
    render_pair(subject, body, &sample(kind, lang))
        .ok()
        .map(|r| format!("Subject: {}\n\n{}", r.subject, r.body))
}

fn shown(kind: MailKind, lang: Lang, stored: Option<StoredTemplate>) -> ActionResult<MailTemplate> {
    let (subject, body, version) = match stored {
        Some(s) => (s.subject, s.body, s.version),
        None => {
            let text = builtin(kind.kind, lang)
                .ok_or_else(|| ActionError::Internal(format!("no mail template {}", kind.kind)))?;
            let (subject, body) = split_builtin(text);
            (subject.to_owned(), body.to_owned(), 0)
        }
    };
    Ok(MailTemplate {
        kind: kind.kind.to_owned(),
        audience: kind.audience.to_owned(),
        lang: lang.tag().to_owned(),
        preview: preview(&subject, &body, kind.kind, lang),
        subject,
        body,
        edited: version > 0,
        version,
    })
}

/// Every kind of mail in both languages, as sent now (admins).
pub async fn list(app: &App, who: &Principal) -> ActionResult<Vec<MailTemplate>> {
    require(who, Permission::ManageServiceLevels)?;
    let mut db = app.store.read().await?;
    let stored = mail_templates::list(&mut db).await?;
    let mut all = Vec::new();
    for kind in KINDS {
        for lang in Lang::ALL {
            let edited = stored
                .iter()
                .find(|s| s.kind == kind.kind && s.lang == lang.tag())
                .cloned();
            all.push(shown(kind, lang, edited)?);
        }
    }
    Ok(all)
}

/// One template (admins).
pub async fn get(app: &App, who: &Principal, kind: &str, lang: &str) -> ActionResult<MailTemplate> {
    require(who, Permission::ManageServiceLevels)?;
    let (kind, lang) = (kind_of(kind)?, lang_of(lang)?);
    let mut db = app.store.read().await?;
    let stored = mail_templates::get(&mut db, kind.kind, lang.tag()).await?;
    shown(kind, lang, stored)
}

/// Replaces the text of a kind of mail in one language (admins). Refused, changing nothing,
/// when it does not render with the sample values of its kind, or when the version is stale.
pub async fn save(
    app: &App,
    who: &Principal,
    kind: &str,
    lang: &str,
    edit: MailTemplateEdit,
) -> ActionResult<MailTemplate> {
    require(who, Permission::ManageServiceLevels)?;
    let (kind, lang) = (kind_of(kind)?, lang_of(lang)?);
    if edit.subject.trim().is_empty() || edit.subject.contains(['\r', '\n']) {
        return Err(ActionError::field(
            "subject",
            "invalid",
            "the subject is one line of text",
        ));
    }
    for (field, text) in [("subject", &edit.subject), ("body", &edit.body)] {
        if text.len() > MAX_SOURCE {
            return Err(ActionError::field(
                field,
                "too_long",
                format!("at most {MAX_SOURCE} bytes"),
            ));
        }
    }
    if edit.body.trim().is_empty() {
        return Err(ActionError::field("body", "required", "the body is empty"));
    }
    if let Err((field, err)) = render_pair(&edit.subject, &edit.body, &sample(kind.kind, lang)) {
        return Err(ActionError::field(&field, "template", err));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let template = StoredTemplate {
        kind: kind.kind.to_owned(),
        lang: lang.tag().to_owned(),
        subject: edit.subject,
        body: edit.body,
        version: edit.version,
        updated_at: now,
    };
    let version = mail_templates::save(&mut db, &template, who.user_id(), now).await?;
    let saved = StoredTemplate {
        version,
        ..template
    };
    db.audit(casebook_store::AuditEntry::change(
        now,
        &who.audit_actor(),
        "mail_template.update",
        "mail_template",
        format!("{}.{}", kind.kind, lang.tag()),
        None,
        Some(&json!({"subject": saved.subject, "body": saved.body, "version": version})),
    ));
    db.commit().await?;
    shown(kind, lang, Some(saved))
}

/// Goes back to the built-in text (admins).
pub async fn reset(
    app: &App,
    who: &Principal,
    kind: &str,
    lang: &str,
) -> ActionResult<MailTemplate> {
    require(who, Permission::ManageServiceLevels)?;
    let (kind, lang) = (kind_of(kind)?, lang_of(lang)?);
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if mail_templates::reset(&mut db, kind.kind, lang.tag()).await? {
        db.audit(casebook_store::AuditEntry::change(
            now,
            &who.audit_actor(),
            "mail_template.reset",
            "mail_template",
            format!("{}.{}", kind.kind, lang.tag()),
            None::<&()>,
            None::<&()>,
        ));
    }
    db.commit().await?;
    shown(kind, lang, None)
}

/// The values a kind of mail is rendered with, as samples in the template's language (for
/// checking edits and previews). The real values have the same shape; see `case_mail` and the
/// SLA and renewal actions.
pub fn sample(kind: &str, lang: Lang) -> Value {
    let zh = lang == Lang::Zh;
    let pick = |zh_text: &str, en_text: &str| (if zh { zh_text } else { en_text }).to_owned();
    let status = |s: &str| lang.t(&format!("status-{s}"));
    let mut ctx = json!({
        "desk": {"name": pick("Casebook 技术支持中心", "Casebook Support"), "url": "https://support.example.com", "reopen_days": 14},
        "recipient": {"name": pick("王伟", "Wang Wei")},
        "case": {
            "number": "2026-00042",
            "title": pick("数据库连接失败", "Database connection refused"),
            "status": status("in_progress"),
            "severity": lang.t("severity-2"),
            "organization": pick("华东电力", "East China Power"),
            "url": "https://support.example.com/portal/cases/2026-00042",
            "console_url": "https://support.example.com/console/cases/2026-00042",
            "first_response_due": "2026-11-30 10:00 (Asia/Shanghai)"
        },
    });
    let extra = match kind {
        "staff_reply" => json!({"reply": {
            "author": pick("李工程师", "Li Wei"),
            "body": pick("请提供数据库日志。", "Please send the database log.")}}),
        "solution_proposed" | "case_closed" | "status_changed" => json!({
            "change": {"from": status("in_progress"), "to": status("solution_proposed"),
                       "reason": pick("升级到 5.2.1 补丁", "upgrade to patch 5.2.1")},
            "links": {"accept": "https://support.example.com/mail-links/example-accept",
                      "reject": "https://support.example.com/mail-links/example-reject"},
        }),
        "contract_renewal" => json!({"contract": {
            "number": "HT-2026-001", "plan": pick("金牌 7×24 服务", "Gold 7×24"),
            "ends_on": "2026-12-31", "days_left": 30,
            "organization": pick("华东电力", "East China Power")}}),
        "contract_usage" => json!({
            "contract": {"number": "HT-2026-001", "organization": pick("华东电力", "East China Power")},
            "usage": {"what": pick("服务工时", "hours of support"), "used": "80.5", "included": "100",
                      "percent": 80}}),
        "article_alert" => json!({"article": {
            "id": 12,
            "title": pick("数据库 9.0 升级后连接失败", "Connections refused after upgrading to 9.0"),
            "products": "Huaxin DB (9.0)",
            "symptom": pick("应用报连接被拒绝。", "Applications report connection refused."),
            "resolution": pick("安装补丁 9.0.1。", "Install patch 9.0.1."),
            "url": "https://support.example.com/portal/kb/12"}}),
        "survey_request" => json!({"survey": {
            "url": "https://support.example.com/surveys/example",
            "expires_at": "2026-12-14 10:00 +08:00",
            "question": pick("问题的解决结果您是否满意？", "How satisfied are you with the resolution of your problem?")}}),
        "survey_follow_up" | "survey_follow_up_overdue" => json!({"follow_up": {
            "reason": lang.t("survey-reason-low_score"), "score": 1,
            "comment": pick("问题没解决", "Not solved"), "due_at": "2026-12-01 17:00 +08:00",
            "url": "https://support.example.com/console/surveys/follow-ups",
            "manager": pick("周经理", "Zhou Li")}}),
        k if k.starts_with("sla_") => json!({"sla": {
            "metric": lang.t("metric-initial_response"), "percent": 75,
            "due_at": "2026-11-30 10:00 +08:00"}}),
        "duty_page" | "duty_escalation" => json!({"duty": {
            "reason": lang.t("duty-reason-sev1_after_hours"), "shift": pick("一线 夜班", "L1 Night"),
            "engineer": pick("李工程师", "Li Wei"), "ack_due_at": "2026-12-01 02:15 +08:00",
            "ack_url": "https://support.example.com/duty/ack/example"}}),
        "remote_request" => json!({"remote": {
            "id": 7, "purpose": pick("收集存储阵列日志并检查控制器状态", "Collect the array's logs and check the controllers"),
            "method": pick("通过客户 VPN 的 SSH", "SSH over the customer's VPN"),
            "units": "OceanStor 5300 SN2102311", "window": "2026-12-08 10:00 – 2026-12-08 11:00 (Asia/Shanghai)",
            "engineer": pick("李工程师", "Li Wei"),
            "url": "https://support.example.com/remote/example"}}),
        "visit_sign_code" | "service_report" => json!({"visit": {
            "id": 12, "engineer": pick("王工程师", "Wang Fang"), "code": "482913", "minutes": 30,
            "signer": pick("张伟", "Zhang Wei"), "site": pick("北京数据中心", "Beijing data centre"),
            "file": "service-report-2026-00042-12.html"}}),
        k if k.starts_with("ola_") => json!({"ola": {
            "tier": lang.t("tier-l2"), "target": pick("4 小时", "4 hours"),
            "due_at": "2026-11-30 10:00 +08:00"}}),
        _ => json!({}),
    };
    if let (Some(ctx), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
        ctx.extend(extra);
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_text_renders_in_both_languages() {
        for kind in KINDS {
            for lang in Lang::ALL {
                let text = builtin(kind.kind, lang).expect("a built-in text");
                let (subject, body) = split_builtin(text);
                let done = render_pair(subject, body, &sample(kind.kind, lang))
                    .unwrap_or_else(|e| panic!("{} {}: {e:?}", kind.kind, lang.tag()));
                assert!(!done.subject.is_empty() && !done.subject.contains('\n'));
                assert!(!done.body.contains("{{"), "{}: {}", kind.kind, done.body);
            }
        }
    }

    #[test]
    fn the_sandbox_stops_loops_and_includes() {
        let ctx = sample("case_opened", Lang::Zh);
        let looping =
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
        assert!(render_pair("s", looping, &ctx).is_err());
        assert!(render_pair("s", "{% include 'x' %}", &ctx).is_err());
        assert!(render_pair("s", "{{ case.number ", &ctx).is_err());
        let done = render_pair("{{ case.number }}\r\nBcc: x@y.test", "ok", &ctx).expect("renders");
        assert_eq!(done.subject, "2026-00042 Bcc: x@y.test");
    }
}
