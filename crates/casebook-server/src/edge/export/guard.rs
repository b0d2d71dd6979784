//! Formula injection (CSV injection) made impossible: a spreadsheet runs a cell that starts
//! with `=`, `+`, `-` or `@` as a formula, and one that starts with a tab or carriage return
//! after trimming it. Such text is written as text: in CSV behind a single quote (OWASP's
//! advice), in XLSX as a string cell, which a spreadsheet never evaluates.

use std::borrow::Cow;

/// Whether a spreadsheet could take the text for a formula.
pub fn starts_like_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// The text as a CSV field's content: behind a single quote if it starts like a formula.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_are_quoted_and_other_text_is_not() {
        for payload in [
            "=cmd|' /C calc'!A0",
            "+1+1",
            "-2+3",
            "@SUM(1+1)",
            "\t=1+1",
            "\r=1+1",
        ] {
            assert_eq!(csv_text(payload), format!("'{payload}"));
        }
        for plain in ["数据库", "1+1", " =1", "", "'quoted"] {
            assert_eq!(csv_text(plain), plain);
        }
    }
}
