//! Form input turned into the API's drafts and patches: the fields become a JSON document that
//! is parsed into the same domain types as the API's bodies, so the same rules apply and a
//! refused field is named. Multipart forms (with files) are read with the API's limits.

use axum::extract::Multipart;
use casebook_domain::FieldError;
use serde::de::DeserializeOwned;

use super::session::{Viewer, WebError};
use crate::actions::ActionError;
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Form, read_form};

/// What a person typed into a case page's forms, shown again when one is refused: the reply
/// (and whether it was an internal note, so a refused note never comes back as a public reply)
/// and the reason of a status change or escalation.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The reply or note.
    pub body: String,
    /// Whether the reply was an internal note.
    pub internal: bool,
    /// The reason of a change.
    pub reason: String,
}

/// Parses a JSON document built from form fields into `T`, naming the field that failed.
pub fn parse<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ActionError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = err.path().to_string();
        let message = err.inner().to_string();
        ActionError::Validation(vec![FieldError {
            field: if field == "." { String::new() } else { field },
            code: "invalid",
            message,
        }])
    })
}

/// An optional text field: absent or blank is `null`.
pub fn opt(value: Option<&str>) -> serde_json::Value {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => serde_json::Value::String(v.to_owned()),
        _ => serde_json::Value::Null,
    }
}

/// An optional number field: absent, blank or not a number is `null`.
pub fn opt_number(value: Option<&str>) -> serde_json::Value {
    value
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map_or(serde_json::Value::Null, serde_json::Value::from)
}

/// Reads a multipart form with files and checks its CSRF token.
pub async fn read_checked(
    viewer: &Viewer,
    app: &AppState,
    multipart: Multipart,
    fields: &[&str],
) -> Result<Form, WebError> {
    let mut allowed = vec!["_csrf"];
    allowed.extend_from_slice(fields);
    let form = read_form(multipart, app, &allowed)
        .await
        .map_err(|e| match e {
            ApiError::Action(err) => viewer.fail(err),
            ApiError::TooLarge(limit) => viewer.fail(ActionError::TooLarge {
                what: "the upload",
                limit,
            }),
            other => viewer.fail(ActionError::field("file", "invalid", format!("{other:?}"))),
        })?;
    viewer.check_csrf(form.text("_csrf"))?;
    Ok(form)
}

/// The messages of a refused form, one per field, for showing above it.
pub fn messages(err: &ActionError) -> Vec<String> {
    match err {
        ActionError::Validation(fields) => fields
            .iter()
            .map(|f| {
                if f.field.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.field, f.message)
                }
            })
            .collect(),
        other => vec![other.to_string()],
    }
}
