//! Contract renewal reminders: a contract ending within 60, 30 or 7 days is announced to the
//! vendor's service manager and the customer's administrators, in the app and by mail through
//! the outbox, once per contract, end date and threshold, however many servers run the job.

use casebook_store::contracts::{self, ContractFilter};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::{PageRequest, organizations, users};

use crate::actions::ActionResult;
use crate::app::App;

/// Days before the end at which a reminder goes out.
pub const THRESHOLDS: [i64; 3] = [60, 30, 7];

/// The threshold a contract with `days_left` has crossed, if any: the smallest that is not below
/// it (a contract entered 5 days before its end gets the 7-day reminder only).
pub fn threshold(days_left: i64) -> Option<i64> {
    if days_left < 0 {
        return None;
    }
    THRESHOLDS.iter().rev().copied().find(|t| days_left <= *t)
}

/// Sends the reminders that are due; returns how many notifications were new.
pub async fn remind(app: &App) -> ActionResult<usize> {
    let now = app.clock.now();
    let today = now.to_zoned(app.config.time_zone()).date();
    let mut db = app.store.write().await?;
    let filter = ContractFilter {
        organization: None,
        ends_from: Some(today),
        ends_to: today
            .checked_add(jiff::Span::new().days(THRESHOLDS[0]))
            .ok(),
    };
    let mut page = PageRequest {
        limit: Some(200),
        cursor: None,
    };
    let mut told = 0;
    loop {
        let batch = contracts::list(&mut db, &filter, &page).await?;
        for c in &batch.items {
            let days_left = i64::from(
                today
                    .until(c.ends_on)
                    .map(|s| s.get_days())
                    .unwrap_or_default(),
            );
            let Some(days) = threshold(days_left) else {
                continue;
            };
            let org = organizations::get(&mut db, c.organization_id).await?;
            let org_name = org.map(|o| o.name).unwrap_or_default();
            let mut people = users::customer_admins_of(&mut db, c.organization_id).await?;
            if let Some(manager) = &c.service_manager
                && let Some(user) = users::get(&mut db, manager.id).await?
                && user.active
            {
                people.push(user);
            }
            // The plan by its name, as people know it.
            let plan = casebook_store::plans::get(&mut db, &c.plan)
                .await?
                .map(|p| p.spec.name)
                .unwrap_or_else(|| c.plan.to_string());
            for user in &people {
                let key = format!("contract:{}:{}:{days}:{}", c.id, c.ends_on, user.id);
                let lang =
                    crate::actions::notify::case_mail::lang_of(app, &mut db, Some(user)).await?;
                let args = [
                    ("number", c.contract_number.clone()),
                    ("until", c.ends_on.to_string()),
                    ("days", days_left.to_string()),
                    ("organization", org_name.clone()),
                    ("plan", plan.clone()),
                ];
                let title = lang.tn("renewal-news-title", &args);
                let body = lang.tn("renewal-news-body", &args);
                let added = notifications::notify(
                    &mut db,
                    &NewNotification {
                        user: user.id,
                        case: None,
                        kind: "contract_renewal",
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
                    "contract": {"number": c.contract_number, "plan": plan, "ends_on": c.ends_on.to_string(),
                                 "days_left": days_left, "organization": org_name},
                });
                let mail = crate::actions::notify::templates::render(
                    &mut db,
                    "contract_renewal",
                    lang,
                    &ctx,
                )
                .await?;
                notifications::enqueue_mail(
                    &mut db,
                    "contract_renewal",
                    &user.email,
                    &mail.subject,
                    &mail.body,
                    &key,
                    now,
                )
                .await?;
                told += usize::from(added);
            }
        }
        match batch.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    db.commit().await?;
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::threshold;

    #[test]
    fn the_smallest_crossed_threshold_counts() {
        let cases = [
            (90, None),
            (61, None),
            (60, Some(60)),
            (31, Some(60)),
            (30, Some(30)),
            (8, Some(30)),
            (7, Some(7)),
            (0, Some(7)),
            (-1, None),
        ];
        for (days, expected) in cases {
            assert_eq!(threshold(days), expected, "{days} days left");
        }
    }
}
