//! Bulk actions from the queue (`POST /console/bulk`): the ticked rows (each `number@version`
//! as the page showed it) and one change, read into the API's `BulkRequest` so the same
//! parsing applies, applied by `actions::cases::bulk`, and a page with each case's result.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use casebook_domain::CaseNumber;
use serde_json::{Value, json};

use crate::actions::ActionError;
use crate::actions::cases::bulk::{self, BulkOutcome, BulkRequest};
use crate::app::AppState;
use crate::web::forms::{refusal, typed_value};
use crate::web::page::{Ctx, render_status};
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

/// One case's result as the page shows it.
pub struct ResultRow {
    number: CaseNumber,
    ok: bool,
    /// Why it was refused, in the page's language where the reason is a known one.
    reason: String,
}

#[derive(Template)]
#[template(path = "console/bulk_results.html")]
struct ResultsPage {
    ctx: Ctx,
    /// The queue's query string, for the way back.
    back: String,
    /// Why the whole request was refused (nothing changed).
    errors: Vec<String>,
    rows: Vec<ResultRow>,
}

impl ResultsPage {
    fn changed(&self) -> usize {
        self.rows.iter().filter(|r| r.ok).count()
    }

    fn refused(&self) -> usize {
        self.rows.len() - self.changed()
    }
}

/// The codes whose reason has a message of its own (`bulk-error-CODE`).
const KNOWN: [&str; 7] = [
    "version_conflict",
    "case_closed",
    "transition_not_allowed",
    "transition_staff_only",
    "not_found",
    "forbidden",
    "validation_failed",
];

fn reason(ctx: &Ctx, err: &ActionError) -> String {
    let code = err.code();
    if KNOWN.contains(&code) {
        ctx.tk("bulk-error", code)
    } else {
        crate::web::forms::messages(err, ctx.lang).join("; ")
    }
}

/// The form read into the API's request: `kind`, the field it needs, `text` as the reason or
/// the note, and the ticked `case` values.
fn request(values: &[(String, String)]) -> Result<BulkRequest, ActionError> {
    let text = typed_value(values, "text");
    let kind = typed_value(values, "kind");
    let field = |name: &str| typed_value(values, name);
    let change = match kind.as_str() {
        "assign" => json!({"kind": "assign", "owner_id": number(&field("owner_id"), "owner_id")?}),
        "status" => json!({"kind": "status", "status": field("status"), "reason": text}),
        "tier" => json!({"kind": "tier", "tier": field("tier"), "reason": text}),
        "severity" => {
            json!({"kind": "severity", "severity": number(&field("severity"), "severity")?, "reason": text})
        }
        "note" => json!({"kind": "note", "body": text}),
        _ => return Err(ActionError::field("kind", "invalid", "choose an action")),
    };
    let mut items = Vec::new();
    for (name, value) in values {
        if name != "case" {
            continue;
        }
        let (number, version) = value.split_once('@').unwrap_or((value, ""));
        items.push(json!({"number": number, "version": number_or_text(version)}));
    }
    serde_json::from_value(json!({"change": change, "items": items}))
        .map_err(|e| ActionError::field("", "invalid", e.to_string()))
}

fn number(raw: &str, field: &str) -> Result<Value, ActionError> {
    raw.trim()
        .parse::<i64>()
        .map(Value::from)
        .map_err(|_| ActionError::field(field, "required", "choose one"))
}

fn number_or_text(raw: &str) -> Value {
    raw.parse::<i64>()
        .map_or_else(|_| Value::from(raw), Value::from)
}

/// `POST /console/bulk`.
pub async fn apply(
    State(app): State<AppState>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let back = typed_value(&values, "back");
    let outcome = match request(&values) {
        Ok(request) => bulk::apply(&app, &viewer.who, request).await,
        Err(err) => Err(err),
    };
    let (status, errors, outcomes): (_, _, Vec<BulkOutcome>) = match outcome {
        Ok(outcomes) => (StatusCode::OK, Vec::new(), outcomes),
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            (status, errors, Vec::new())
        }
    };
    let rows = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(_) => ResultRow {
                number: o.number,
                ok: true,
                reason: String::new(),
            },
            Err(err) => ResultRow {
                number: o.number,
                ok: false,
                reason: reason(&viewer.ctx, &err),
            },
        })
        .collect();
    Ok(render_status(
        status,
        &ResultsPage {
            ctx: viewer.ctx,
            back,
            errors,
            rows,
        },
    ))
}

#[cfg(test)]
mod tests {
    /// The keys of a catalogue file, one per message line.
    fn keys(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| !l.starts_with(['#', ' ']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .collect()
    }

    #[test]
    fn the_queue_messages_exist_in_both_languages() {
        let en = keys(include_str!("../../../locales/en/queues.ftl"));
        let zh = keys(include_str!("../../../locales/zh-CN/queues.ftl"));
        assert_eq!(en, zh, "queues.ftl differs between en and zh-CN");
        assert!(en.len() > 20, "only {} messages", en.len());
    }
}
