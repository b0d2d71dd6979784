//! The staff's call-home rules: for a product (or every product) and an event code (`E1234`),
//! a prefix (`E12*`) or every code (`*`), what a fault or warning does: ignore it, record it, or
//! open a case with a severity and category. The most specific rule applies
//! (`casebook_domain::call_home::rule_for`); without one a fault opens a case and a warning is
//! recorded.

use casebook_domain::call_home::RuleAction;
use casebook_domain::ids::ProductId;
use casebook_domain::policy::Permission;
use casebook_domain::{Category, Named, Severity};
use casebook_store::call_home::{self, StoredRule};
use casebook_store::{AuditEntry, products};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// A rule as staff see and send it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallHomeRule {
    /// Its id (ignored when sent).
    #[serde(default)]
    pub id: i64,
    /// For this product only; absent: every product.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub product_id: Option<ProductId>,
    /// `E1234`, a prefix `E12*`, or `*`.
    pub event_code: String,
    /// `ignore`, `record` or `open_case`.
    pub action: RuleAction,
    /// The severity of the case it opens (else from the device's severity).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// The category of the case it opens.
    #[serde(default)]
    pub category: Option<Category>,
    /// When the device reports the fault cleared, tell the case's owner (or the coordinators)
    /// that the case can be closed.
    #[serde(default)]
    pub close_on_recovery: bool,
    /// The version (sent back when changing a rule; a stale one is refused).
    #[serde(default)]
    pub version: i64,
}

fn shown(r: StoredRule) -> CallHomeRule {
    CallHomeRule {
        id: r.id,
        product_id: r.product_id.map(casebook_domain::ids::Id::new),
        event_code: r.event_code,
        action: <RuleAction as Named>::parse(&r.action).unwrap_or(RuleAction::Record),
        severity: r.severity.and_then(|s| Severity::from_level(s).ok()),
        category: r.category.and_then(|c| <Category as Named>::parse(&c).ok()),
        close_on_recovery: r.close_on_recovery,
        version: r.version,
    }
}

/// An event code pattern, upper-cased: `*`, or letters, digits and `- _ . /`, optionally ending
/// in `*`.
fn pattern(raw: &str) -> ActionResult<String> {
    let code = raw.trim().to_uppercase();
    let stem = code.strip_suffix('*').unwrap_or(&code);
    let ok = code.len() <= 64
        && !code.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if !ok {
        return Err(ActionError::field(
            "event_code",
            "invalid",
            "an event code (E1234), a prefix ending in * (E12*), or *",
        ));
    }
    Ok(code)
}

async fn checked(app: &App, rule: &CallHomeRule) -> ActionResult<StoredRule> {
    let event_code = pattern(&rule.event_code)?;
    if let Some(product) = rule.product_id {
        let mut db = app.store.read().await?;
        if products::get(&mut db, product).await?.is_none() {
            return Err(ActionError::field(
                "product_id",
                "not_found",
                "no such product",
            ));
        }
    }
    Ok(StoredRule {
        id: rule.id,
        product_id: rule.product_id.map(|p| p.get()),
        event_code,
        action: rule.action.as_str().to_owned(),
        severity: rule.severity.map(|s| i64::from(s.level())),
        category: rule.category.map(|c| c.as_str().to_owned()),
        close_on_recovery: rule.close_on_recovery,
        version: rule.version,
    })
}

fn same_scope(a: &StoredRule, b: &StoredRule) -> bool {
    a.id != b.id && a.product_id == b.product_id && a.event_code == b.event_code
}

fn duplicate(rule: &StoredRule) -> ActionError {
    ActionError::Conflict {
        code: "duplicate_rule",
        message: format!("a rule for {} and this product exists", rule.event_code),
    }
}

/// Every rule (staff).
pub async fn list(app: &App, who: &Principal) -> ActionResult<Vec<CallHomeRule>> {
    require(who, Permission::ManageDirectory)?;
    let mut db = app.store.read().await?;
    Ok(call_home::rules(&mut db)
        .await?
        .into_iter()
        .map(shown)
        .collect())
}

/// Adds a rule; one per product (or every product) and code pattern.
pub async fn create(app: &App, who: &Principal, rule: CallHomeRule) -> ActionResult<CallHomeRule> {
    require(who, Permission::ManageDirectory)?;
    let new = checked(app, &rule).await?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if call_home::rules(&mut db)
        .await?
        .iter()
        .any(|r| same_scope(r, &new))
    {
        return Err(duplicate(&new));
    }
    let id = call_home::insert_rule(&mut db, &new, now).await?;
    let made = StoredRule {
        id,
        version: 1,
        ..new
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "call_home.rule.create",
        "call_home_rule",
        id,
        None,
        Some(&shown(made.clone())),
    ));
    db.commit().await?;
    Ok(shown(made))
}

/// Changes a rule at the version the editor saw.
pub async fn update(
    app: &App,
    who: &Principal,
    id: i64,
    rule: CallHomeRule,
) -> ActionResult<CallHomeRule> {
    require(who, Permission::ManageDirectory)?;
    let changed = checked(app, &CallHomeRule { id, ..rule }).await?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let rules = call_home::rules(&mut db).await?;
    let before = rules
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or(ActionError::NotFound("call-home rule"))?;
    if rules.iter().any(|r| same_scope(r, &changed)) {
        return Err(duplicate(&changed));
    }
    if !call_home::update_rule(&mut db, &changed, now).await? {
        return Err(ActionError::StaleVersion);
    }
    let after = StoredRule {
        version: changed.version + 1,
        ..changed
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "call_home.rule.update",
        "call_home_rule",
        id,
        Some(&shown(before)),
        Some(&shown(after.clone())),
    ));
    db.commit().await?;
    Ok(shown(after))
}

/// Deletes a rule; a rule that is not there (deleted before) is gone already.
pub async fn delete(app: &App, who: &Principal, id: i64) -> ActionResult<()> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let rules = call_home::rules(&mut db).await?;
    let Some(before) = rules.into_iter().find(|r| r.id == id) else {
        return Ok(());
    };
    call_home::delete_rule(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "call_home.rule.delete",
        "call_home_rule",
        id,
        Some(&shown(before)),
        None,
    ));
    db.commit().await?;
    Ok(())
}
