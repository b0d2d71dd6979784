//! The fault database's filters, as the API's query and the console's form give them, read into
//! the store's `FaultQuery` one way: texts trimmed (empty: no filter) and length-checked, the
//! part number in upper case, days of the desk's time zone as instants (`to` inclusive).

use casebook_domain::FieldError;
use casebook_domain::field::fault::FaultCategory;
use casebook_domain::ids::{OrganizationId, ProductId};
use casebook_store::faults::FaultQuery;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::actions::{ActionError, ActionResult};

/// The filters, parsed but not yet checked.
#[derive(Debug, Default)]
pub struct FaultFilter<'a> {
    /// One product.
    pub product: Option<ProductId>,
    /// One version.
    pub version: Option<&'a str>,
    /// A part number.
    pub part_number: Option<&'a str>,
    /// Text in the root cause.
    pub root_cause: Option<&'a str>,
    /// One category.
    pub category: Option<FaultCategory>,
    /// One customer.
    pub organization: Option<OrganizationId>,
    /// The first day.
    pub from: Option<Date>,
    /// The last day.
    pub to: Option<Date>,
}

/// The query of `f`, days in `tz`; a text over its length is refused with its field.
pub fn fault_query(f: &FaultFilter<'_>, tz: &TimeZone) -> ActionResult<FaultQuery> {
    let mut errors = Vec::new();
    let mut text = |field: &str, value: Option<&str>, max: usize| {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if value.chars().count() > max {
            errors.push(FieldError::new(
                field,
                "too_long",
                format!("at most {max} characters"),
            ));
        }
        Some(value.to_owned())
    };
    let version = text("version", f.version, 100);
    let part_number = text("part_number", f.part_number, 64).map(|p| p.to_uppercase());
    let root_cause = text("root_cause", f.root_cause, 200);
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let start = |d: Date, field: &str| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| ActionError::field(field, "invalid", e.to_string()))
    };
    let to = match f.to {
        Some(d) => {
            let next = d
                .tomorrow()
                .map_err(|e| ActionError::field("to", "invalid", e.to_string()))?;
            Some(start(next, "to")?)
        }
        None => None,
    };
    Ok(FaultQuery {
        product: f.product,
        version,
        part_number,
        root_cause,
        category: f.category,
        organization: f.organization,
        from: f.from.map(|d| start(d, "from")).transpose()?,
        to,
    })
}
