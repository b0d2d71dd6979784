//! Form input turned into the API's drafts and patches: the fields become a JSON document that
//! is parsed into the same domain types as the API's bodies, so the same rules apply and a
//! refused field is named. Multipart forms (with files) are read with the API's limits.

use axum::extract::Multipart;
use casebook_domain::FieldError;
use serde::de::DeserializeOwned;

use super::session::{Viewer, WebError};
use crate::actions::ActionError;
use crate::actions::cases::attachments::Upload;
use crate::app::AppState;
use crate::edge::Form;
use crate::i18n::Lang;

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
    /// Minutes of time spent, as typed.
    pub work_minutes: String,
    /// The activity of time spent.
    pub work_activity: String,
    /// Whether the time was billable.
    pub work_billable: bool,
    /// When the work started, as typed.
    pub work_at: String,
    /// The note of time recorded alone.
    pub work_note: String,
    /// A remote session request's purpose, method, start and length, as typed.
    pub remote: [String; 4],
    /// A visit's planned arrival and notes, as typed.
    pub visit: [String; 3],
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

/// Reads a multipart form with files and checks its CSRF token. Unlike the API, a file above
/// the size limit (or one file too many) does not end the request: the text is kept and the
/// refusal comes back beside it, so the page can show both.
pub async fn read_checked(
    viewer: &Viewer,
    app: &AppState,
    mut multipart: Multipart,
    fields: &[&str],
) -> Result<(Form, Option<ActionError>), WebError> {
    let limits = &app.config.limits;
    let broken = |e: axum::extract::multipart::MultipartError| {
        viewer.fail(ActionError::field("file", "invalid", e.body_text()))
    };
    let mut form = Form::default();
    let mut refusal = None;
    while let Some(mut part) = multipart.next_field().await.map_err(broken)? {
        let name = part.name().unwrap_or_default().to_owned();
        let is_file = name == "file";
        if !is_file && name != "_csrf" && !fields.contains(&name.as_str()) {
            continue;
        }
        let limit = if is_file {
            limits.max_attachment_bytes
        } else {
            limits.max_body_bytes
        };
        let file_name = part.file_name().unwrap_or("attachment").to_owned();
        let content_type = part
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut content = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = part.chunk().await.map_err(broken)? {
            // Past the limit the rest is read and dropped, so the fields after it still arrive.
            if too_large || content.len() + chunk.len() > limit {
                too_large = true;
                content.clear();
                continue;
            }
            content.extend_from_slice(&chunk);
        }
        if too_large {
            refusal = Some(ActionError::field(
                &name,
                "too_large",
                viewer.ctx.lang.tn(
                    "file-too-large",
                    &[
                        ("name", file_name.clone()),
                        (
                            "limit",
                            viewer.ctx.size(i64::try_from(limit).unwrap_or(i64::MAX)),
                        ),
                    ],
                ),
            ));
        } else if is_file {
            if content.is_empty() {
                continue;
            }
            if form.files.len() >= limits.max_files_per_request {
                refusal = Some(ActionError::field(
                    "file",
                    "too_many",
                    format!("at most {} files at once", limits.max_files_per_request),
                ));
                continue;
            }
            form.files.push(Upload {
                file_name,
                content_type,
                content: content.into(),
            });
        } else {
            let text = String::from_utf8(content)
                .map_err(|_| viewer.fail(ActionError::field(&name, "invalid", "not UTF-8 text")))?;
            form.fields.push((name, text));
        }
    }
    viewer.check_csrf(form.text("_csrf"))?;
    Ok((form, refusal))
}

/// How a form refused by `err` is shown again: its status and the reasons. Errors that are not
/// about the form (not found, database down, internal) become their error page instead.
pub fn refusal(
    viewer: &Viewer,
    err: ActionError,
) -> Result<(axum::http::StatusCode, Vec<String>), WebError> {
    use axum::http::StatusCode;
    let status = match &err {
        ActionError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ActionError::NotFound(_) | ActionError::Internal(_) | ActionError::Unavailable(_) => {
            return Err(viewer.fail(err));
        }
        _ => StatusCode::CONFLICT,
    };
    Ok((status, messages(&err, viewer.ctx.lang)))
}

/// The messages of a refused form, one per field, for showing above it, in `lang`.
pub fn messages(err: &ActionError, lang: Lang) -> Vec<String> {
    match err {
        ActionError::Validation(fields) => fields.iter().map(|f| lang.field_error(f)).collect(),
        ActionError::StaleVersion => vec![lang.t("error-stale")],
        ActionError::Conflict { code, message } => {
            let key = format!("conflict-{code}");
            vec![match lang {
                Lang::En => message.clone(),
                Lang::Zh if lang.has(&key) => lang.t(&key),
                Lang::Zh if code.starts_with("duplicate") => lang.t("conflict-duplicate"),
                Lang::Zh => lang.t("error-conflict"),
            }]
        }
        ActionError::Lifecycle(_) => vec![lang.t("error-conflict")],
        ActionError::TooLarge { .. } => vec![lang.t("error-too-large")],
        ActionError::RateLimited { .. } => vec![lang.t("error-rate-limited")],
        ActionError::Forbidden(_) => vec![lang.t("error-forbidden")],
        ActionError::NotFound(_) => vec![lang.t("error-not-found")],
        ActionError::Unavailable(_) => vec![lang.t("error-unavailable")],
        _ => vec![lang.t("error-invalid")],
    }
}

/// The value typed into the field `name` of a form read as pairs (blank when absent).
pub fn typed_value(values: &[(String, String)], name: &str) -> String {
    values
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}
