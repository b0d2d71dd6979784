//! Text values parsed at the edge: once you hold a `Line<200>` it is trimmed, non-empty, one line
//! and at most 200 characters; an `Email` is a plausible lower-cased address.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Whether a character is invisible and changes how text around it reads: the bidirectional
/// controls (U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F, U+061C) and the
/// zero-width characters (U+200B–U+200D, U+2060, U+FEFF). A title with U+202E reads backwards;
/// an address with U+200B looks like another. Single-line values and addresses drop them.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
    )
}

fn without_invisible(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.chars().any(is_invisible) {
        raw.chars()
            .filter(|&c| !is_invisible(c))
            .collect::<String>()
            .into()
    } else {
        raw.into()
    }
}

fn has_forbidden_control(s: &str, multiline: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
}

fn check_length(s: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    let count = s.chars().count();
    if count < min {
        return Err(if min <= 1 {
            ValidationError::new("required", "must not be empty")
        } else {
            ValidationError::new("too_short", format!("must be at least {min} characters"))
        });
    }
    if count > max {
        return Err(ValidationError::new(
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// A non-empty single line of at most `MAX` characters, trimmed, without control characters,
/// bidirectional controls or zero-width characters (those two are dropped).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Line<const MAX: usize>(String);

impl<const MAX: usize> Line<MAX> {
    /// Parses and normalises a line.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let visible = without_invisible(raw);
        let s = visible.trim();
        if has_forbidden_control(s, false) {
            return Err(ValidationError::new(
                "invalid",
                "must be a single line without control characters",
            ));
        }
        check_length(s, 1, MAX)?;
        Ok(Self(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Multi-line text (`\n` and tabs allowed) of at most `MAX` characters; may be empty.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(try_from = "String", into = "String")]
pub struct Paragraphs<const MAX: usize>(String);

impl<const MAX: usize> Paragraphs<MAX> {
    /// Parses multi-line text: line ends become `\n`, surrounding blank space is trimmed.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        let s = normalised.trim();
        if has_forbidden_control(s, true) {
            return Err(ValidationError::new(
                "invalid",
                "must not contain control characters",
            ));
        }
        check_length(s, 0, MAX)?;
        Ok(Self(s.to_owned()))
    }

    /// Like [`Paragraphs::parse`] but refuses empty text.
    pub fn parse_required(raw: &str) -> Result<Self, ValidationError> {
        let text = Self::parse(raw)?;
        if text.0.is_empty() {
            return Err(ValidationError::new("required", "must not be empty"));
        }
        Ok(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A lower-cased e-mail address with one `@`, a local part and a dotted domain, in Unicode
/// normal form NFKC (a full-width `ａ` is `a`) and without invisible characters, so an address
/// typed with either is the same address. Look-alikes in other scripts are told by
/// [`crate::lookalike`].
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address; only its shape is checked, not whether it receives mail.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        use unicode_normalization::UnicodeNormalization;
        let s: String = without_invisible(raw).nfkc().collect();
        let s = s.trim().to_lowercase();
        let invalid =
            || ValidationError::new("invalid", "must be an e-mail address like name@example.com");
        if s.chars().count() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty()
            || local.len() > 64
            || !domain_ok
            || s.contains(['<', '>', ',', ';', '"'])
        {
            return Err(invalid());
        }
        Ok(Self(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A customer number (客户号) as printed on the customer's licence: 1–32 letters, digits, `-`, `_`, `.`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerNumber(String);

impl CustomerNumber {
    /// Parses a customer number; letters are upper-cased so phone intake finds it either way.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim().to_uppercase();
        check_length(&s, 1, 32)?;
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ValidationError::new(
                "invalid",
                "may contain only letters, digits, '-', '_' and '.'",
            ));
        }
        Ok(Self(s))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A code printed on paper or a label — a contract number (合同号), a serial number (序列号), a
/// site id: 1–64 letters, digits, `-`, `_`, `.`, `/`, upper-cased so either case finds it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    /// Parses a code.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim().to_uppercase();
        check_length(&s, 1, 64)?;
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        {
            return Err(ValidationError::new(
                "invalid",
                "may contain only letters, digits, '-', '_', '.' and '/'",
            ));
        }
        Ok(Self(s))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A telephone number: digits with the usual separators, an optional leading `+` and extension.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number such as `+86 10 8498 1188` or `800-810-1818 ext 12`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        check_length(s, 1, 40)?;
        let allowed = |c: char| c.is_ascii_digit() || " +-()./xXextEXT".contains(c);
        if !s.chars().all(allowed) || !s.chars().any(|c| c.is_ascii_digit()) {
            return Err(ValidationError::new(
                "invalid",
                "must be a telephone number of digits, spaces, '+', '-', '(', ')'",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The number as entered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: 10 to 256 characters. Never serialised.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    /// Checks the length rules.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let count = raw.chars().count();
        if count < 10 {
            return Err(ValidationError::new(
                "too_short",
                "must be at least 10 characters",
            ));
        }
        if count > 256 {
            return Err(ValidationError::new(
                "too_long",
                "must be at most 256 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

macro_rules! string_conversions {
    ($($ty:ty => $parse:path),* $(,)?) => {$(
        impl TryFrom<String> for $ty {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $parse(&value)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = ValidationError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                $parse(value)
            }
        }
    )*};
}

string_conversions!(Email => Email::parse, CustomerNumber => CustomerNumber::parse, Code => Code::parse, Phone => Phone::parse, Password => Password::parse);

// JSON and form values are bounded as sent, before trimming, so that the `maxLength` of the
// API document is exactly the limit the server enforces.
impl<const MAX: usize> TryFrom<String> for Line<MAX> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        check_length(&value, 0, MAX)?;
        Self::parse(&value)
    }
}
impl<const MAX: usize> TryFrom<String> for Paragraphs<MAX> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        check_length(&value, 0, MAX)?;
        Self::parse(&value)
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }
        impl utoipa::ToSchema for $ty {}
    )*};
}

display_as_str!(Email, CustomerNumber, Code, Phone);

impl<const MAX: usize> From<Line<MAX>> for String {
    fn from(value: Line<MAX>) -> String {
        value.0
    }
}
impl<const MAX: usize> From<Paragraphs<MAX>> for String {
    fn from(value: Paragraphs<MAX>) -> String {
        value.0
    }
}
impl<const MAX: usize> fmt::Display for Line<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl<const MAX: usize> fmt::Debug for Line<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl<const MAX: usize> fmt::Debug for Paragraphs<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl<const MAX: usize> utoipa::PartialSchema for Line<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX))
            .into()
    }
}
// Each bound is its own schema: a generic's default name drops `MAX`, so `Line<100>` and
// `Line<200>` would share one component and every field would document one of the two limits.
impl<const MAX: usize> utoipa::ToSchema for Line<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Line_{MAX}").into()
    }
}
impl<const MAX: usize> utoipa::PartialSchema for Paragraphs<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(MAX))
            .into()
    }
}
impl<const MAX: usize> utoipa::ToSchema for Paragraphs<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Paragraphs_{MAX}").into()
    }
}

/// A name of a person, organisation or product.
pub type Name = Line<200>;
/// A case title.
pub type Title = Line<200>;
/// A short attribute such as a version, patch level or operating system.
pub type ShortText = Line<100>;
/// Free text such as a case description or a reply (at most 100,000 characters).
pub type LongText = Paragraphs<100_000>;
/// Notes and addresses (at most 4,000 characters).
pub type Notes = Paragraphs<4_000>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_drop_bidirectional_controls_and_zero_width_characters() {
        assert_eq!(
            Title::parse("invoice\u{202E}fdp.exe").unwrap().as_str(),
            "invoicefdp.exe"
        );
        assert_eq!(
            Name::parse("\u{200B}李\u{200D}伟\u{FEFF}")
                .unwrap()
                .as_str(),
            "李伟"
        );
        assert_eq!(
            Line::<5>::parse("\u{2067}\u{200B}").unwrap_err().code,
            "required",
            "nothing visible is nothing"
        );
        // Multi-line text keeps them: a description may quote what a customer saw.
        assert!(
            Notes::parse("a\u{200B}b")
                .unwrap()
                .as_str()
                .contains('\u{200B}')
        );
    }

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(Line::<5>::parse("  数据库  ").unwrap().as_str(), "数据库");
        assert_eq!(Line::<5>::parse("").unwrap_err().code, "required");
        assert_eq!(Line::<3>::parse("abcd").unwrap_err().code, "too_long");
        assert_eq!(Line::<30>::parse("a\nb").unwrap_err().code, "invalid");
    }

    #[test]
    fn paragraphs_keep_newlines_and_refuse_nul() {
        assert_eq!(Paragraphs::<100>::parse("a\r\nb").unwrap().as_str(), "a\nb");
        assert!(Paragraphs::<100>::parse("a\0b").is_err());
        assert_eq!(
            Paragraphs::<100>::parse_required("   ").unwrap_err().code,
            "required"
        );
    }

    #[test]
    fn emails_are_lowercased_and_shaped() {
        assert_eq!(
            Email::parse(" Li.Wei@Example.COM ").unwrap().as_str(),
            "li.wei@example.com"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.cn",
            "a@.cn",
            "a b@c.cn",
            "a@b..cn",
            "a@b.cn\r\nBcc: x@y.cn",
            "<a@b.cn>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn customer_numbers_and_phones() {
        assert_eq!(
            CustomerNumber::parse("cn-0042").unwrap().as_str(),
            "CN-0042"
        );
        assert!(CustomerNumber::parse("CN 42").is_err());
        assert!(Phone::parse("+86 (10) 8498-1188").is_ok());
        assert!(Phone::parse("call me").is_err());
    }

    #[test]
    fn values_as_sent_are_bounded_before_trimming() {
        assert_eq!(
            Line::<3>::try_from(" ab ".to_owned()).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            Line::<4>::try_from(" ab ".to_owned()).unwrap().as_str(),
            "ab"
        );
        assert_eq!(
            Paragraphs::<3>::try_from("a\r\nb".to_owned())
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn each_bound_is_its_own_schema() {
        use utoipa::ToSchema;
        assert_eq!(Line::<200>::name(), "Line_200");
        assert_ne!(Line::<100>::name(), Line::<200>::name());
        assert_ne!(Notes::name(), LongText::name());
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough secret").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("long enough secret").unwrap()),
            "Password(***)"
        );
    }
}
