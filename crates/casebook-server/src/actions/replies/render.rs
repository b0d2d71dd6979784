//! A reply template's text for one case: MiniJinja in the mail templates' sandbox, with these
//! placeholders (absent values render empty):
//!
//! - `case.number`, `case.title`, `case.status`, `case.severity`, `case.organization`,
//!   `case.url` (the customer's page of the case)
//! - `contact.name` (the case's contact), `engineer.name` (who applies it)
//! - `deadline` (the next running SLA target, `2026-12-07 17:30 (Asia/Shanghai)`)
//! - `desk.name`
//!
//! The text is in the language asked for, or the other one when that one is empty.

use casebook_domain::case::Case;
use casebook_domain::replies::ReplyTemplate;
use casebook_domain::sla::clock::ClockState;
use casebook_domain::{CaseNumber, Named};
use serde_json::{Value, json};

use crate::actions::notify::templates::render_text;
use crate::actions::{ActionError, ActionResult, cases, cases::sla};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::Principal;

/// Checks that a text renders with sample values; the reason when it does not.
pub fn check(text: &str) -> Result<(), String> {
    let sample = json!({
        "case": {"number": "2026-00042", "title": "数据库连接失败", "status": "处理中",
            "severity": "严重程度 2", "organization": "北京远景银行", "url": "https://desk.example/portal/cases/2026-00042"},
        "contact": {"name": "张敏"}, "engineer": {"name": "李伟"},
        "deadline": "2026-12-07 17:30 (Asia/Shanghai)", "desk": {"name": "Casebook"},
    });
    render_text(text, &sample).map(|_| ())
}

/// The placeholders' values for `case` as `who` applies a template, in `lang`.
fn context(app: &App, who: &Principal, case: &Case, deadline: Option<String>, lang: Lang) -> Value {
    let desk = &app.config.desk;
    json!({
        "case": {
            "number": case.number.to_string(), "title": case.title,
            "status": lang.t(&format!("status-{}", case.status.as_str())),
            "severity": lang.t(&format!("severity-{}", case.severity.level())),
            "organization": case.organization.name,
            "url": format!("{}/portal/cases/{}", desk.public_url, case.number),
        },
        "contact": {"name": case.contact.as_ref().map(|c| c.name.clone())},
        "engineer": {"name": who.name},
        "deadline": deadline,
        "desk": {"name": desk.name},
    })
}

/// The next running target of the case, in the desk's time zone.
async fn next_deadline(
    app: &App,
    who: &Principal,
    number: CaseNumber,
) -> ActionResult<Option<String>> {
    let clocks = sla::of_case(app, who, number).await?.clocks;
    let tz = app.config.time_zone();
    Ok(clocks
        .iter()
        .filter(|c| c.state == ClockState::Running)
        .filter_map(|c| c.deadline)
        .min()
        .map(|at| {
            format!(
                "{} ({})",
                at.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M"),
                tz.iana_name().unwrap_or("UTC")
            )
        }))
}

/// The text of `template` for case `number` in `lang`.
pub async fn text_for(
    app: &App,
    who: &Principal,
    template: &ReplyTemplate,
    number: CaseNumber,
    lang: Lang,
) -> ActionResult<String> {
    let case = cases::get(app, who, number).await?;
    let deadline = next_deadline(app, who, number).await?;
    let (wanted, other) = match lang {
        Lang::Zh => (&template.body_zh, &template.body_en),
        Lang::En => (&template.body_en, &template.body_zh),
    };
    let source = if wanted.is_empty() { other } else { wanted };
    let ctx = context(app, who, &case, deadline, lang);
    render_text(source.as_str(), &ctx).map_err(|e| {
        ActionError::field(
            "template",
            "invalid_template",
            format!("the template does not render: {e}"),
        )
    })
}
