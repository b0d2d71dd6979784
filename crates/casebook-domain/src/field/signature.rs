//! The customer's signature on a completed visit: drawn on the engineer's screen (an SVG of
//! strokes, or a PNG) with the signer's typed name, or, when they cannot sign there, confirmed
//! with a one-time code mailed to the contact. A drawn SVG is never kept as sent: anything that
//! could run or fetch (script, event handlers, links, foreign objects, entities) refuses it, and
//! what remains is rebuilt from its stroke paths alone, so the signature shown in the service
//! report is inert. A PNG is kept only if it is one, and both are size-limited.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// The largest signature accepted, in bytes (an SVG's text or a PNG's content).
pub const MAX_SIGNATURE_BYTES: usize = 200_000;
/// The longest signer's name.
pub const MAX_SIGNER: usize = 100;
/// How many wrong one-time codes burn the code.
pub const MAX_CODE_TRIES: i64 = 5;
/// How long a one-time code works, in minutes.
pub const CODE_MINUTES: i64 = 30;

/// How the customer signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignMethod {
    /// Drawn on the screen.
    Drawn,
    /// Confirmed with a one-time code sent to the contact's mail.
    Code,
}

impl SignMethod {
    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drawn => "drawn",
            Self::Code => "code",
        }
    }

    /// From its stable name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "drawn" => Some(Self::Drawn),
            "code" => Some(Self::Code),
            _ => None,
        }
    }
}

/// The customer's sign-off of a completed visit: a name, and either a drawn signature or the
/// one-time code they received.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOff {
    /// The signer's name as they type it.
    pub signer_name: String,
    /// The drawn signature: SVG text, or a data URL of an SVG or a PNG (at most 200 000 bytes).
    #[serde(default)]
    pub signature: Option<String>,
    /// The one-time code mailed to the contact, instead of a drawing.
    #[serde(default)]
    pub code: Option<String>,
    /// The version the engineer saw.
    #[serde(default)]
    pub version: Option<i64>,
}

impl SignOff {
    /// Checks the name and that exactly one of a drawing and a code is given; the method.
    pub fn check(&mut self) -> Result<SignMethod, Vec<FieldError>> {
        let mut errors = Vec::new();
        self.signer_name = self
            .signer_name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if self.signer_name.is_empty() || self.signer_name.chars().count() > MAX_SIGNER {
            errors.push(FieldError::new(
                "signer_name",
                "required",
                format!("the signer's name, at most {MAX_SIGNER} characters"),
            ));
        }
        let drawn = self
            .signature
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        let code = self.code.as_deref().is_some_and(|s| !s.trim().is_empty());
        let method = match (drawn, code) {
            (true, false) => Some(SignMethod::Drawn),
            (false, true) => Some(SignMethod::Code),
            _ => {
                errors.push(FieldError::new(
                    "signature",
                    "one_of",
                    "a drawn signature or the one-time code, one of them",
                ));
                None
            }
        };
        match method {
            Some(m) if errors.is_empty() => Ok(m),
            _ => Err(errors),
        }
    }
}

fn unsafe_signature() -> FieldError {
    FieldError::new(
        "signature",
        "unsafe",
        "a signature may hold strokes only: no script, links, event handlers or embedded objects",
    )
}

/// What in an SVG could run, fetch or expand: any of these refuses it.
const FORBIDDEN: [&str; 12] = [
    "<script",
    "javascript:",
    "<foreignobject",
    "<!entity",
    "<!doctype",
    "href",
    "<iframe",
    "<image",
    "<use",
    "<style",
    "url(",
    "<animate",
];

/// True if the text has an event-handler attribute (`onload=`, `onclick =`…).
fn has_handler(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(pos) = lower[i..].find("on") {
        let at = i + pos;
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let boundary =
            before.is_none_or(|b| b.is_ascii_whitespace() || b == b'/' || b == b'"' || b == b'\'');
        if boundary {
            let rest = &lower[at + 2..];
            let name_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let after = rest[name_len..].trim_start();
            if name_len > 0 && after.starts_with('=') {
                return true;
            }
        }
        i = at + 2;
    }
    false
}

/// The value of `name="…"` (or single quotes) in one tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(pos) = tag[from..].find(name) {
        let at = from + pos;
        let before_ok = at == 0 || tag.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[at + name.len()..].trim_start();
        if before_ok && let Some(rest) = rest.strip_prefix('=') {
            let rest = rest.trim_start();
            let quote = rest.chars().next()?;
            if quote == '"' || quote == '\'' {
                let body = &rest[1..];
                return body.find(quote).map(|end| &body[..end]);
            }
        }
        from = at + name.len();
    }
    None
}

fn is_path_data(d: &str) -> bool {
    !d.trim().is_empty()
        && d.chars().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    'M' | 'm'
                        | 'L'
                        | 'l'
                        | 'H'
                        | 'h'
                        | 'V'
                        | 'v'
                        | 'C'
                        | 'c'
                        | 'S'
                        | 's'
                        | 'Q'
                        | 'q'
                        | 'T'
                        | 't'
                        | 'Z'
                        | 'z'
                        | '.'
                        | ','
                        | '-'
                        | ' '
                        | 'e'
                        | 'E'
                        | '\n'
                        | '\t'
                )
        })
}

/// Rebuilds a drawn SVG from its stroke paths (`<path d=…>`), in a fresh `<svg>` with only a
/// numeric view box; refuses anything that could run or fetch, and a drawing without strokes.
pub fn clean_svg(raw: &str) -> Result<String, FieldError> {
    if raw.len() > MAX_SIGNATURE_BYTES {
        return Err(FieldError::new(
            "signature",
            "too_large",
            format!("at most {MAX_SIGNATURE_BYTES} bytes"),
        ));
    }
    let lower = raw.to_ascii_lowercase();
    if FORBIDDEN.iter().any(|f| lower.contains(f)) || has_handler(&lower) {
        return Err(unsafe_signature());
    }
    let Some(start) = lower.find("<svg") else {
        return Err(FieldError::new("signature", "not_svg", "an SVG drawing"));
    };
    let svg_tag = &raw[start..start + raw[start..].find('>').unwrap_or(0)];
    let view_box = attribute(svg_tag, "viewBox")
        .filter(|v| {
            let n: Vec<&str> = v.split([' ', ',']).filter(|s| !s.is_empty()).collect();
            n.len() == 4 && n.iter().all(|x| x.parse::<f64>().is_ok_and(f64::is_finite))
        })
        .unwrap_or("0 0 600 200");
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("<path") {
        let at = from + pos;
        let end = lower[at..].find('>').map_or(lower.len(), |e| at + e);
        let d = attribute(&raw[at..end], "d").ok_or_else(unsafe_signature)?;
        if !is_path_data(d) {
            return Err(unsafe_signature());
        }
        paths.push(d.split_whitespace().collect::<Vec<_>>().join(" "));
        from = end;
    }
    if paths.is_empty() {
        return Err(FieldError::new(
            "signature",
            "empty",
            "the signature has no strokes; ask the customer to sign",
        ));
    }
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{view_box}\" fill=\"none\" stroke=\"#111\" stroke-width=\"2.5\" stroke-linecap=\"round\" stroke-linejoin=\"round\">"
    );
    for d in paths {
        out.push_str(&format!("<path d=\"{d}\"/>"));
    }
    out.push_str("</svg>");
    Ok(out)
}

/// Checks a PNG's content: its signature bytes and its size.
pub fn check_png(content: &[u8]) -> Result<(), FieldError> {
    const MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    if content.len() > MAX_SIGNATURE_BYTES {
        return Err(FieldError::new(
            "signature",
            "too_large",
            format!("at most {MAX_SIGNATURE_BYTES} bytes"),
        ));
    }
    if content.len() < 33 || content[..8] != MAGIC {
        return Err(FieldError::new("signature", "not_png", "a PNG image"));
    }
    Ok(())
}

/// Normalises a typed one-time code (spaces and dashes dropped); `None` unless six digits.
pub fn code_digits(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_is_rebuilt_from_its_strokes() {
        let raw = r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100" width="300"><g><path d="M 10 10 L 20 25 L 30 12" stroke="red"/><path d='M5,5 l 3,4'/></g></svg>"#;
        let clean = clean_svg(raw).expect("clean");
        assert_eq!(
            clean,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 300 100\" fill=\"none\" stroke=\"#111\" stroke-width=\"2.5\" stroke-linecap=\"round\" stroke-linejoin=\"round\"><path d=\"M 10 10 L 20 25 L 30 12\"/><path d=\"M5,5 l 3,4\"/></svg>"
        );
    }

    #[test]
    fn anything_that_could_run_is_refused() {
        for bad in [
            r#"<svg><script>alert(1)</script><path d="M1 1L2 2"/></svg>"#,
            r#"<svg onload="alert(1)"><path d="M1 1L2 2"/></svg>"#,
            r#"<svg><path d="M1 1L2 2" ONCLICK = "x()"/></svg>"#,
            r#"<svg><a href="javascript:alert(1)"><path d="M1 1L2 2"/></a></svg>"#,
            r#"<svg><foreignObject><p/></foreignObject><path d="M1 1"/></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg><path d="M1 1"/></svg>"#,
            r#"<svg><path d="M1 1 url(x)"/></svg>"#,
            r#"<svg><path d="M1 1&quot;/><b/>"/></svg>"#,
        ] {
            assert_eq!(clean_svg(bad).map_err(|e| e.code), Err("unsafe"), "{bad}");
        }
        assert_eq!(clean_svg("<svg></svg>").map_err(|e| e.code), Err("empty"));
        assert_eq!(clean_svg("hello").map_err(|e| e.code), Err("not_svg"));
        let huge = format!("<svg>{}</svg>", "<path d=\"M1 1\"/>".repeat(20_000));
        assert_eq!(clean_svg(&huge).map_err(|e| e.code), Err("too_large"));
    }

    #[test]
    fn a_png_must_be_one() {
        let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
        png.extend([0u8; 40]);
        assert!(check_png(&png).is_ok());
        assert!(check_png(b"GIF89a............................").is_err());
    }

    #[test]
    fn a_sign_off_has_a_name_and_one_proof() {
        let mut s = SignOff {
            signer_name: "  王  芳 ".into(),
            signature: Some("<svg/>".into()),
            code: None,
            version: None,
        };
        assert_eq!(s.check(), Ok(SignMethod::Drawn));
        assert_eq!(s.signer_name, "王 芳");
        s.code = Some("123456".into());
        assert!(s.check().is_err());
        assert_eq!(code_digits("123 456"), Some("123456".into()));
        assert_eq!(code_digits("12345"), None);
    }
}
