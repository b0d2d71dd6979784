//! Spare parts (备件): the catalogue (a part number, a description, the products that use it,
//! whether each item carries a serial number), the depots that hold them, and the stock of a
//! part at a depot: how many are on hand and how many of those visits have reserved, and for
//! serialised parts received with their serial numbers, each item (in stock, used on a visit,
//! written off, or returned defective). Stock never goes below zero: a reservation takes only
//! what is available, a use only what was reserved, a write-off only what is on hand.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::case::NamedRef;
use crate::error::FieldError;
use crate::ids::ProductId;

/// The longest part number and depot code.
pub const MAX_CODE: usize = 64;
/// The longest description or name.
pub const MAX_TEXT: usize = 500;
/// The most one movement of stock may move.
pub const MAX_QUANTITY: i64 = 100_000;

/// A part as staff define it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartDraft {
    /// The vendor's part number (FRU, 备件编码), unique; stored in upper case.
    pub part_number: String,
    /// What it is, e.g. `控制器电池模块 BBU` .
    pub description: String,
    /// The products that use it.
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub product_ids: Vec<ProductId>,
    /// Whether each item carries a serial number (recorded when it is used).
    #[serde(default)]
    pub serialized: bool,
}

fn line(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    super::text(errors, field, value, max, false);
}

/// Checks a code (part number, depot code, serial number): letters, digits and `-_./`, upper
/// case as stored.
pub fn code(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> String {
    let value = raw.trim().to_uppercase();
    if value.is_empty() {
        errors.push(FieldError::new(field, "required", "must not be empty"));
    } else if value.chars().count() > MAX_CODE
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        errors.push(FieldError::new(
            field,
            "invalid",
            format!("letters, digits and - _ . / only, at most {MAX_CODE}"),
        ));
    }
    value
}

impl PartDraft {
    /// Checks the draft, normalising the part number; repeated products are dropped.
    pub fn check(&mut self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.part_number = code(&mut errors, "part_number", &self.part_number);
        self.description = self.description.trim().to_owned();
        line(&mut errors, "description", &self.description, MAX_TEXT);
        let mut seen = std::collections::BTreeSet::new();
        self.product_ids.retain(|p| seen.insert(p.get()));
        errors
    }
}

/// A part of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Part {
    /// Id.
    pub id: i64,
    /// The part number.
    pub part_number: String,
    /// What it is.
    pub description: String,
    /// The products that use it.
    #[schema(value_type = Vec<Object>)]
    pub products: Vec<NamedRef<ProductId>>,
    /// Whether items carry serial numbers.
    pub serialized: bool,
}

/// A depot as staff define it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepotDraft {
    /// Short code, unique (e.g. `BJ-01`).
    pub code: String,
    /// Its name, e.g. `北京备件库`.
    pub name: String,
    /// Where it is.
    #[serde(default)]
    pub address: String,
}

impl DepotDraft {
    /// Checks the draft, normalising the code.
    pub fn check(&mut self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.code = code(&mut errors, "code", &self.code);
        self.name = self.name.trim().to_owned();
        line(&mut errors, "name", &self.name, MAX_TEXT);
        self.address = self.address.trim().to_owned();
        if self.address.chars().count() > MAX_TEXT {
            errors.push(FieldError::new(
                "address",
                "too_long",
                format!("at most {MAX_TEXT} characters"),
            ));
        }
        errors
    }
}

/// A depot.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Depot {
    /// Id.
    pub id: i64,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub address: String,
}

/// Stock received at a depot or written off (a negative quantity).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockMovement {
    /// The part.
    pub part_id: i64,
    /// How many came in (positive) or were written off (negative; never more than is free).
    #[schema(minimum = -100000, maximum = 100000)]
    pub quantity: i64,
    /// Why (a delivery note, a write-off reason).
    pub reason: String,
    /// For a serialised part: the serial number of each item received or written off, as many
    /// as the quantity (at most 1000).
    #[serde(default)]
    pub serials: Vec<String>,
}

/// The most serial numbers one movement names.
pub const MAX_SERIALS: usize = 1000;

impl StockMovement {
    /// Checks the movement, normalising the serial numbers.
    pub fn check(&mut self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.quantity == 0 || self.quantity.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
            errors.push(FieldError::new(
                "quantity",
                "out_of_range",
                format!("a quantity other than 0, at most {MAX_QUANTITY} either way"),
            ));
        }
        if self.serials.len() > MAX_SERIALS {
            errors.push(FieldError::new(
                "serials",
                "too_many",
                format!("at most {MAX_SERIALS} serial numbers"),
            ));
        } else if !self.serials.is_empty() {
            let mut seen = std::collections::BTreeSet::new();
            for i in 0..self.serials.len() {
                let field = format!("serials[{i}]");
                let value = code(&mut errors, &field, &self.serials[i]);
                if !seen.insert(value.clone()) {
                    errors.push(FieldError::new(field, "duplicate", "named twice"));
                }
                self.serials[i] = value;
            }
            if u64::try_from(self.serials.len()).ok() != Some(self.quantity.unsigned_abs()) {
                errors.push(FieldError::new(
                    "serials",
                    "count",
                    "as many serial numbers as the quantity",
                ));
            }
        }
        self.reason = self.reason.trim().to_owned();
        line(&mut errors, "reason", &self.reason, MAX_TEXT);
        errors
    }
}

/// The stock of a part at a depot.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StockLevel {
    /// The depot.
    #[schema(value_type = Object)]
    pub depot: NamedRef<i64>,
    /// The part.
    pub part_id: i64,
    /// Its part number.
    pub part_number: String,
    /// Its description.
    pub description: String,
    /// On the shelf, reserved ones included.
    pub on_hand: i64,
    /// Reserved by visits.
    pub reserved: i64,
    /// Free to reserve.
    pub available: i64,
}

/// Where an item of a serialised part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// On the depot's shelf (maybe reserved by a visit: the reservation is by count).
    InStock,
    /// Put into a customer's unit on a visit.
    Used,
    /// Written off.
    WrittenOff,
    /// Taken out of a unit on a visit and returned to the depot as defective.
    Defective,
}

impl crate::attributes::Named for ItemState {
    const WHAT: &'static str = "item state";
    const ALL: &'static [Self] = &[Self::InStock, Self::Used, Self::WrittenOff, Self::Defective];
    fn as_str(self) -> &'static str {
        match self {
            Self::InStock => "in_stock",
            Self::Used => "used",
            Self::WrittenOff => "written_off",
            Self::Defective => "defective",
        }
    }
}

/// An item of a serialised part, by its serial number.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StockItem {
    /// The depot it is at or came from.
    #[schema(value_type = Object)]
    pub depot: NamedRef<i64>,
    /// The part.
    pub part_id: i64,
    /// Its part number.
    pub part_number: String,
    /// The item's serial number.
    pub serial: String,
    /// Where it is.
    pub state: ItemState,
    /// The visit that used or returned it.
    pub visit_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_match_the_quantity() {
        let mut m = StockMovement {
            part_id: 1,
            quantity: 2,
            reason: "到货".into(),
            serials: vec![" ssd-1 ".into(), "SSD-2".into()],
        };
        assert!(m.check().is_empty());
        assert_eq!(m.serials, ["SSD-1", "SSD-2"]);
        m.serials = vec!["A".into(), "a".into()];
        let codes: Vec<&str> = m.check().iter().map(|e| e.code).collect();
        assert_eq!(codes, ["duplicate"]);
        m.quantity = -3;
        let codes: Vec<&str> = m.check().iter().map(|e| e.code).collect();
        assert_eq!(codes, ["duplicate", "count"]);
    }
}
