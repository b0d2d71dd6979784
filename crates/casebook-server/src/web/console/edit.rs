//! One form for creating and editing the reference records (organisations, contacts, users,
//! products): a list of typed fields rendered by one template, read back into the JSON document
//! the API's draft or patch parses, so the same rules apply. A refused form is shown again with
//! what was typed and the reasons.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::actions::ActionError;
use crate::web::forms::messages;
use crate::web::page::{Ctx, render_status};

/// How a field is shown and read.
pub enum Kind {
    /// Required text.
    Text,
    /// Optional text: blank is `null`.
    OptText,
    /// Several lines of text.
    Area,
    /// A password: blank leaves it unchanged (omitted).
    Password,
    /// A checkbox: `true` or `false`.
    Check,
    /// A choice of `(value, label)`; blank is `null`.
    Select(Vec<(String, String)>),
    /// A choice whose values are numbers; blank is `null`.
    SelectNumber(Vec<(String, String)>),
    /// A fixed number the page sets (not typed).
    Fixed,
    /// A date (`YYYY-MM-DD`).
    Date,
    /// A required whole number.
    Number,
    /// An optional whole number: blank is `null`.
    OptNumber,
    /// Several choices of `(value, label)`: a list of strings.
    Multi(Vec<(String, String)>),
    /// Several choices whose values are numbers: a list of numbers.
    MultiNumber(Vec<(String, String)>),
}

/// Puts a field's value into the document: a dotted name (`changes.status`) into a nested
/// object.
fn put(doc: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        Some((outer, inner)) => {
            let nested = doc
                .entry(outer.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(nested) = nested {
                put(nested, inner, value);
            }
        }
        None => {
            doc.insert(name.to_owned(), value);
        }
    }
}

/// The text of an optional value in a field (blank when none).
pub fn shown(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A field of the form.
pub struct Field {
    /// Its name in the JSON document.
    pub name: &'static str,
    /// Message key of its label.
    pub label: &'static str,
    /// How it is shown and read.
    pub kind: Kind,
    /// The current or typed value.
    pub value: String,
}

impl Field {
    /// A field.
    pub fn new(
        name: &'static str,
        label: &'static str,
        kind: Kind,
        value: impl Into<String>,
    ) -> Field {
        Field {
            name,
            label,
            kind,
            value: value.into(),
        }
    }

    /// The organisation a new record belongs to: fixed by the page's address, not shown.
    pub fn organization(org: impl ToString) -> Field {
        Field::new(
            "organization_id",
            "field-organization",
            Kind::Fixed,
            org.to_string(),
        )
    }

    fn is(&self, kind: &str) -> bool {
        matches!(
            (&self.kind, kind),
            (Kind::Fixed, "fixed")
                | (Kind::Date, "date")
                | (Kind::Number | Kind::OptNumber, "number")
                | (Kind::Text, "text")
                | (Kind::OptText, "opt")
                | (Kind::Area, "area")
                | (Kind::Password, "password")
                | (Kind::Check, "check")
        ) || (matches!(self.kind, Kind::Select(_) | Kind::SelectNumber(_)) && kind == "select")
            || (matches!(self.kind, Kind::Multi(_) | Kind::MultiNumber(_)) && kind == "multi")
    }

    fn options(&self) -> &[(String, String)] {
        match &self.kind {
            Kind::Select(o) | Kind::SelectNumber(o) | Kind::Multi(o) | Kind::MultiNumber(o) => o,
            _ => &[],
        }
    }

    /// Whether `value` is among the chosen values of a multiple choice.
    fn chosen(&self, value: &str) -> bool {
        self.value.split(',').any(|v| v == value)
    }

    fn checked(&self) -> bool {
        self.value == "true" || self.value == "on"
    }
}

/// The edit page.
#[derive(Template)]
#[template(path = "console/edit.html")]
pub struct EditPage {
    /// Page context.
    pub ctx: Ctx,
    /// Heading.
    pub title: String,
    /// Where the form posts.
    pub action: String,
    /// Where "cancel" goes.
    pub back: String,
    /// The fields.
    pub fields: Vec<Field>,
    /// The record's version, for concurrent edits.
    pub version: Option<i64>,
    /// Why the last attempt was refused.
    pub errors: Vec<String>,
}

impl EditPage {
    /// Shows the form.
    pub fn show(self) -> Response {
        let status = if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        render_status(status, &self)
    }

    /// Takes the typed values into the fields (so a refused form shows them again).
    pub fn take(mut self, posted: &[(String, String)]) -> Self {
        for field in &mut self.fields {
            if matches!(field.kind, Kind::Multi(_) | Kind::MultiNumber(_)) {
                field.value = posted
                    .iter()
                    .filter(|(n, _)| n == field.name)
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                continue;
            }
            let typed = posted
                .iter()
                .find(|(n, _)| n == field.name)
                .map(|(_, v)| v.clone());
            field.value = match (&field.kind, typed) {
                (Kind::Fixed, _) => continue,
                (Kind::Check, typed) => typed.is_some().to_string(),
                (Kind::Password, _) => String::new(),
                (_, Some(v)) => v,
                (_, None) => String::new(),
            };
        }
        self
    }

    /// The JSON document of the typed values (with `version` when the record has one).
    pub fn document(&self, posted: &[(String, String)]) -> Value {
        let mut doc = Map::new();
        for field in &self.fields {
            let all = posted
                .iter()
                .filter(|(n, _)| n == field.name)
                .map(|(_, v)| v.trim());
            let list = match &field.kind {
                Kind::Multi(_) => Some(Value::Array(
                    all.map(|v| Value::String(v.to_owned())).collect(),
                )),
                Kind::MultiNumber(_) => Some(Value::Array(
                    all.map(|v| {
                        v.parse::<i64>()
                            .map_or(Value::String(v.to_owned()), Value::from)
                    })
                    .collect(),
                )),
                _ => None,
            };
            if let Some(list) = list {
                put(&mut doc, field.name, list);
                continue;
            }
            let typed = posted
                .iter()
                .find(|(n, _)| n == field.name)
                .map(|(_, v)| v.trim().to_owned());
            let value = match (&field.kind, typed) {
                (Kind::Fixed, _) => field.value.parse::<i64>().map_or(Value::Null, Value::from),
                (Kind::Check, typed) => Value::Bool(typed.is_some()),
                (Kind::Password, None) => continue,
                (Kind::Password, Some(v)) if v.is_empty() => continue,
                (Kind::OptText | Kind::Select(_), Some(v)) if v.is_empty() => Value::Null,
                (Kind::SelectNumber(_), Some(v)) => {
                    v.parse::<i64>().map_or(Value::Null, Value::from)
                }
                (Kind::OptNumber | Kind::Date, Some(v)) if v.is_empty() => Value::Null,
                // A number that does not parse goes on as text, so the refusal names the field.
                (Kind::Number | Kind::OptNumber, Some(v)) => {
                    v.parse::<i64>().map_or(Value::String(v), Value::from)
                }
                (_, Some(v)) => Value::String(v),
                (_, None) => Value::Null,
            };
            put(&mut doc, field.name, value);
        }
        // The version the person read (sent back by the form) wins over the one read now, so a
        // concurrent edit is refused instead of overwritten.
        let posted_version = posted
            .iter()
            .find(|(n, _)| n == "version")
            .and_then(|(_, v)| v.trim().parse::<i64>().ok());
        if let Some(v) = posted_version.or(self.version) {
            doc.insert("version".into(), Value::from(v));
        }
        Value::Object(doc)
    }

    /// The form again with the refusal.
    pub fn refused(mut self, posted: &[(String, String)], err: &ActionError) -> Response {
        self = self.take(posted);
        self.errors = messages(err);
        self.show()
    }
}
