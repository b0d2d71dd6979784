//! The queue's export box: the queue's filters as hidden fields of two GET forms that download
//! the case export and the time sheet from the API (`/api/v1/exports/…`, the session cookie
//! authenticates them), so the file holds the cases the queue shows.

use casebook_domain::Named;
use casebook_store::case_list::{CaseFilter, OwnerFilter};

fn joined<T: Named>(values: &[T]) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// The case export's parameters for a queue's filter (the "breaching soon" limit aside, which
/// an export does not take).
pub fn case_fields(filter: &CaseFilter) -> Vec<(&'static str, String)> {
    let severities: Vec<String> = filter
        .severities
        .iter()
        .map(|s| s.level().to_string())
        .collect();
    [
        ("status", joined(&filter.statuses)),
        (
            "severity",
            (!severities.is_empty()).then(|| severities.join(",")),
        ),
        ("tier", joined(&filter.tiers)),
        ("channel", joined(&filter.channels)),
        ("category", joined(&filter.categories)),
        (
            "organization",
            filter.organization.map(|o| o.get().to_string()),
        ),
        ("product", filter.product.map(|p| p.get().to_string())),
        (
            "owner",
            filter.owner.map(|o| match o {
                OwnerFilter::User(u) => u.get().to_string(),
                OwnerFilter::Nobody => "none".to_owned(),
            }),
        ),
        ("q", filter.q.clone()),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)))
    .collect()
}

/// The time sheet's parameters: the queue's organisation and product.
pub fn work_fields(filter: &CaseFilter) -> Vec<(&'static str, String)> {
    case_fields(filter)
        .into_iter()
        .filter(|(name, _)| matches!(*name, "organization" | "product"))
        .collect()
}

/// The formats offered, with their message keys.
pub const FORMATS: [(&str, &str); 3] = [
    ("xlsx", "export-format-xlsx"),
    ("csv", "export-format-csv"),
    ("csv-gb18030", "export-format-gb18030"),
];
