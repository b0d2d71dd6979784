//! Validation errors that name the field at fault.

use serde::Serialize;

/// One field that failed to parse, with a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field, e.g. `title` or `versions[2].released_on`.
    pub field: String,
    /// Stable machine code, e.g. `too_long`, `required`, `invalid`.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// A value could not be parsed into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// Stable machine code.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

impl ValidationError {
    /// Builds an error with a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Names the field this error belongs to.
    pub fn on(self, field: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: self.code,
            message: self.message,
        }
    }
}
