//! What the HTTP API and the web pages share at the edge of the server, so that neither imports
//! the other: the session cookie's name, multipart form input, bounds checks on numbers from a
//! request, the list and search queries with their cursors (`queries`), how an attachment is
//! previewed (`attachment_text`: which types show inline, text read as numbered lines), and the
//! download of a stored mail, the language a request asks for, and exports written as CSV or
//! XLSX into a response (`export`), the fault database's filters (`fault_query`).

pub mod attachment_text;
pub mod export;
pub mod fault_query;
pub mod queries;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::actions::ActionError;
use crate::actions::cases::attachments::Upload;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "casebook_session";

/// A number from a request within its documented bounds, or a 422 naming the field: values out
/// of range are refused, never silently clamped.
pub fn within<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<T, ActionError> {
    if value < min || value > max {
        return Err(ActionError::field(
            field,
            "out_of_range",
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(value)
}

/// The language a request asks for (`lang`: `zh-CN` or `en`), else the caller's, else Chinese.
pub fn lang_of(
    asked: Option<&str>,
    who: &crate::policy::Principal,
) -> Result<crate::i18n::Lang, ActionError> {
    use crate::i18n::Lang;
    match asked {
        Some(tag) => Lang::from_tag(tag)
            .ok_or_else(|| ActionError::field("lang", "invalid", "use zh-CN or en")),
        None => Ok(who
            .locale
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(Lang::Zh)),
    }
}

/// Text fields and files of a multipart body.
#[derive(Debug, Default)]
pub struct Form {
    /// Text fields by name.
    pub fields: Vec<(String, String)>,
    /// Files from parts named `file`.
    pub files: Vec<Upload>,
}

impl Form {
    /// The text field of that name.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stored message as a download (`message/rfc822`, never sniffed); the console uses it too.
pub fn eml_download(id: i64, raw: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(raw));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("message/rfc822"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"mail-{id}.eml\""))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
