//! What a contract has used of its bank of hours and of its incidents, by month, and the notices
//! at 80 % and 100 %: the vendor's service manager and the customer's administrators are told,
//! in the app and by mail through the outbox, once per contract, bank size and threshold.

use casebook_domain::Role;
use casebook_domain::ids::ContractId;
use casebook_domain::policy::Subject;
use casebook_domain::work::CaseMinutes;
use casebook_domain::work::{self, ContractUsage, MonthUsage};
use casebook_store::contracts;
use casebook_store::notifications::{self, NewNotification};
use casebook_store::work_entries;
use casebook_store::{Db, organizations, users};

use crate::actions::notify::{case_mail, templates};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible};

/// Reads a contract's usage: staff, and the administrators of the customer (other customers of
/// the organisation are refused; another organisation's contract does not exist for them).
pub async fn of_contract(
    app: &App,
    who: &Principal,
    id: ContractId,
) -> ActionResult<ContractUsage> {
    let mut db = app.store.read().await?;
    let contract = contracts::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("contract"))?;
    ensure_visible(
        who,
        Subject::Organization(contract.organization_id),
        "contract",
    )?;
    if who.actor().is_some_and(|a| a.role == Role::CustomerUser) {
        return Err(ActionError::Forbidden(
            "only your organisation's administrators can see the contract's usage",
        ));
    }
    usage(app, &mut db, id).await
}

/// The cases whose billable time a contract's bank paid for in a month (`YYYY-MM`), for whoever
/// may read the contract's usage.
pub async fn cases_of_month(
    app: &App,
    who: &Principal,
    id: ContractId,
    month: &str,
) -> ActionResult<Vec<CaseMinutes>> {
    of_contract(app, who, id).await?;
    let Some((from, to)) = month_days(month) else {
        return Err(ActionError::field(
            "month",
            "invalid",
            "a month is written YYYY-MM",
        ));
    };
    let mut db = app.store.read().await?;
    Ok(work_entries::contract_cases(&mut db, id, &from, &to).await?)
}

/// The first and last day of a month `YYYY-MM`.
fn month_days(month: &str) -> Option<(String, String)> {
    let first: jiff::civil::Date = format!("{month}-01").parse().ok()?;
    if month.len() != 7 {
        return None;
    }
    Some((first.to_string(), first.last_of_month().to_string()))
}

/// A contract's usage, read in the caller's transaction.
async fn usage(app: &App, db: &mut Db, id: ContractId) -> ActionResult<ContractUsage> {
    let contract = contracts::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("contract"))?;
    let mut months = work_entries::contract_months(db, id).await?;
    let zone = app.config.time_zone();
    for opened in work_entries::contract_case_openings(db, id).await? {
        let month = opened
            .to_zoned(zone.clone())
            .date()
            .strftime("%Y-%m")
            .to_string();
        match months.iter_mut().find(|m| m.month == month) {
            Some(m) => m.incidents += 1,
            None => months.push(MonthUsage {
                month,
                billable_minutes: 0,
                other_minutes: 0,
                incidents: 1,
            }),
        }
    }
    months.sort_by(|a, b| a.month.cmp(&b.month));
    Ok(ContractUsage {
        contract_id: id,
        contract_number: contract.contract_number,
        hours: contract.hours,
        minutes_used: contract.minutes_used,
        minutes_remaining: contract.hours.map(|h| h * 60 - contract.minutes_used),
        incidents: contract.incidents,
        incidents_used: contract.incidents_used,
        months,
    })
}

/// Which bank a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bank {
    Hours,
    Incidents,
}

impl Bank {
    fn as_str(self) -> &'static str {
        match self {
            Bank::Hours => "hours",
            Bank::Incidents => "incidents",
        }
    }
}

/// Tells the service manager and the customer's administrators when a contract's usage has
/// reached 80 % or 100 % of its bank of hours or incidents; in the caller's transaction, once per
/// contract, bank size and threshold (a larger bank announces its thresholds again).
pub async fn tell_thresholds(
    app: &App,
    db: &mut Db,
    id: ContractId,
    now: jiff::Timestamp,
) -> ActionResult<()> {
    let Some(c) = contracts::get(db, id).await? else {
        return Ok(());
    };
    let mut due = Vec::new();
    if let Some(hours) = c.hours
        && let Some(t) = work::reached(c.minutes_used, hours * 60)
    {
        due.push((Bank::Hours, t, hours));
    }
    if let Some(incidents) = c.incidents
        && let Some(t) = work::reached(c.incidents_used, incidents)
    {
        due.push((Bank::Incidents, t, incidents));
    }
    if due.is_empty() {
        return Ok(());
    }
    let organization = organizations::get(db, c.organization_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let mut people = users::customer_admins_of(db, c.organization_id).await?;
    if let Some(manager) = &c.service_manager
        && let Some(user) = users::get(db, manager.id).await?
        && user.active
    {
        people.push(user);
    }
    for (bank, threshold, included) in due {
        for user in &people {
            let key = format!(
                "contract-usage:{}:{}:{included}:{threshold}:{}",
                c.id,
                bank.as_str(),
                user.id
            );
            let lang = case_mail::lang_of(app, db, Some(user)).await?;
            let (used, total) = match bank {
                Bank::Hours => (work::hours_text(c.minutes_used), included.to_string()),
                Bank::Incidents => (c.incidents_used.to_string(), included.to_string()),
            };
            let what = lang.t(&format!("usage-bank-{}", bank.as_str()));
            let args = [
                ("number", c.contract_number.clone()),
                ("organization", organization.clone()),
                ("what", what.clone()),
                ("used", used.clone()),
                ("included", total.clone()),
                ("percent", threshold.to_string()),
            ];
            let title = lang.tn("usage-news-title", &args);
            let body = lang.tn("usage-news-body", &args);
            notifications::notify(
                db,
                &NewNotification {
                    user: user.id,
                    case: None,
                    kind: "contract_usage",
                    title: &title,
                    body: &body,
                    dedupe_key: &key,
                },
                now,
            )
            .await?;
            let ctx = serde_json::json!({
                "desk": {"name": app.config.desk.name, "url": app.config.desk.public_url},
                "recipient": {"name": user.name},
                "contract": {"number": c.contract_number, "organization": organization},
                "usage": {"what": what, "used": used, "included": total, "percent": threshold},
            });
            let mail = templates::render(db, "contract_usage", lang, &ctx).await?;
            notifications::enqueue_mail(
                db,
                "contract_usage",
                &user.email,
                &mail.subject,
                &mail.body,
                &key,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::month_days;

    #[test]
    fn months_have_their_first_and_last_day() {
        assert_eq!(
            month_days("2026-02"),
            Some(("2026-02-01".into(), "2026-02-28".into()))
        );
        assert_eq!(
            month_days("2024-02"),
            Some(("2024-02-01".into(), "2024-02-29".into()))
        );
        assert_eq!(month_days("2026-13"), None);
        assert_eq!(month_days("2026-1"), None);
        assert_eq!(month_days("x"), None);
    }
}
