//! Field service (现场服务): how a problem is fixed once it is understood. `remote` is remote
//! diagnosis (远程诊断) with the customer's approval: the organisation's remote-access policy, a
//! session's request, window, states and its command log, sealed with a SHA-256 when it ends (`log`);
//! `session` a session as people read it. `visit` is an on-site visit (dispatch, check-in,
//! completion with the parts used); `parts` the spare parts catalogue, depots and stock;
//! `signature` the customer's sign-off of a visit; `fault` the fault-handling report (故障处理报告)
//! that makes up the fault database; `board` the dispatch board's rows and conflicts.

pub mod board;
pub mod fault;
pub mod log;
pub mod parts;
pub mod remote;
pub mod session;
pub mod signature;
pub mod visit;

use crate::error::FieldError;

/// Checks a required text of at most `max` characters without control characters (line
/// breaks and tabs allowed when `multi_line`).
pub(crate) fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max: usize,
    multi_line: bool,
) {
    if value.is_empty() {
        errors.push(FieldError::new(field, "required", "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && !(multi_line && (c == '\n' || c == '\t' || c == '\r')))
    {
        errors.push(FieldError::new(
            field,
            "invalid",
            "control characters are not allowed",
        ));
    }
}
