//! Shared fixtures.

use casebook_domain::Timestamp;
use casebook_domain::directory::{Organization, OrganizationDraft};
use casebook_domain::ids::CaseId;
use casebook_domain::{CaseNumber, Category, Channel, Severity, Status, Tier};
use casebook_store::cases::{CaseColumns, next_number};
use casebook_store::{AuditActor, AuditEntry, Db, organizations};

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(1_790_000_000_000 + ms).unwrap()
}

pub async fn organization(db: &mut Db, number: &str, name: &str) -> Organization {
    let draft: OrganizationDraft =
        serde_json::from_value(serde_json::json!({"customer_number": number, "name": name}))
            .unwrap();
    let org = organizations::insert(db, &draft, at(0)).await.unwrap();
    db.audit(AuditEntry::change(
        at(0),
        &AuditActor::system("test"),
        "organization.create",
        "organization",
        org.id,
        None,
        Some(&org),
    ));
    org
}

pub fn columns(org: &Organization, title: &str, status: Status, severity: Severity) -> CaseColumns {
    CaseColumns {
        title: title.into(),
        description: "details".into(),
        organization_id: org.id,
        contact_id: None,
        product_id: None,
        product_version: None,
        patch_level: None,
        operating_system: None,
        environment: String::new(),
        category: Category::Other,
        severity,
        channel: Channel::Web,
        tier: Tier::Intake,
        status,
        owner_id: None,
        closed_at: None,
        closure_confirmed_by: None,
        closure_confirmed_at: None,
    }
}

pub async fn case(db: &mut Db, cols: &CaseColumns, year: i16) -> (CaseNumber, CaseId) {
    let number = next_number(db, year).await.unwrap();
    let id = casebook_store::cases::insert(db, number, cols, None, at(1))
        .await
        .unwrap();
    (number, id)
}

/// Audit entries every fresh database starts with: the built-in calendars and support plans,
/// seeded at migration.
pub fn seeded_entries() -> i64 {
    casebook_domain::sla::china::builtin_calendars().len() as i64 + 2
}
