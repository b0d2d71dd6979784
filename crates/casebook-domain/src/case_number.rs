//! Case numbers (问题号) that a customer can read out on the phone: `2026-00042` is the 42nd case
//! opened in 2026. Numbers are sequential per year and never reused; the store allocates them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A case number: year and sequence within the year.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber {
    year: i16,
    seq: i64,
}

impl CaseNumber {
    /// Builds a number from its parts; the year must be 2000–9999 and the sequence positive.
    pub fn new(year: i16, seq: i64) -> Result<Self, ValidationError> {
        if !(2000..=9999).contains(&year) || seq < 1 {
            return Err(ValidationError::new(
                "invalid",
                "a case number is a year and a positive sequence",
            ));
        }
        Ok(Self { year, seq })
    }

    /// Parses `YYYY-N…`, tolerating surrounding blanks and a missing zero padding.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "invalid",
                format!("'{raw}' is not a case number like 2026-00042"),
            )
        };
        let (year, seq) = raw.trim().split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || seq.is_empty() || seq.len() > 12 {
            return Err(invalid());
        }
        if !year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let year: i16 = year.parse().map_err(|_| invalid())?;
        let seq: i64 = seq.parse().map_err(|_| invalid())?;
        Self::new(year, seq).map_err(|_| invalid())
    }

    /// The year the case was opened in (in the desk's time zone).
    pub fn year(self) -> i16 {
        self.year
    }

    /// The sequence within the year, from 1.
    pub fn seq(self) -> i64 {
        self.seq
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:05}", self.year, self.seq)
    }
}

impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseNumber({self})")
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl std::str::FromStr for CaseNumber {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<CaseNumber> for String {
    fn from(value: CaseNumber) -> String {
        value.to_string()
    }
}

impl utoipa::PartialSchema for CaseNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-\d{5,}$"))
            .examples(["2026-00042"])
            .into()
    }
}
impl utoipa::ToSchema for CaseNumber {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_five_digits_at_least() {
        assert_eq!(CaseNumber::new(2026, 42).unwrap().to_string(), "2026-00042");
        assert_eq!(
            CaseNumber::new(2026, 1_234_567).unwrap().to_string(),
            "2026-1234567"
        );
        assert_eq!(
            CaseNumber::parse(" 2026-42 ").unwrap().to_string(),
            "2026-00042"
        );
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for bad in [
            "",
            "2026",
            "2026-",
            "26-00001",
            "2026-0",
            "2026-x1",
            "1999-00001",
            "2026--1",
            "２０２６-00001",
        ] {
            assert!(CaseNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest! {
        #[test]
        fn round_trips(year in 2000i16..=9999, seq in 1i64..=999_999_999_999) {
            let n = CaseNumber::new(year, seq).unwrap();
            prop_assert_eq!(CaseNumber::parse(&n.to_string()).unwrap(), n);
        }
    }
}
