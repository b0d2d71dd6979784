//! Internal targets per tier (OLA): staff read them, administrators of service levels replace
//! them (the stays at a tier that last get their deadlines again), and [`sweep`] tells each
//! warning and breach exactly once, whatever the number of server processes: the warning to the
//! case's owner (the coordinators while nobody owns it), the breach to the owner and the tier's
//! leads (the managers when the tier has none), in-app and by mail. Internal only.

use casebook_domain::case::Case;
use casebook_domain::ids::Id;
use casebook_domain::ola::OlaTargets;
use casebook_domain::policy::{Permission, Role};
use casebook_domain::users::User;
use casebook_domain::work::hours_text;
use casebook_domain::{Named, Tier, Timestamp};
use casebook_store::case_stages::{self, DueMoment, Moment};
use casebook_store::users::{self as users_store, StaffGroup};
use casebook_store::{AuditActor, AuditEntry, Db, cases, ola_targets};
use serde_json::{Value, json};

use crate::actions::notify::case_mail::{self, StaffNews};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::{Principal, require};

/// How many lasting stays are given new deadlines per batch when the targets change.
const BATCH: i64 = 500;

/// The targets (staff).
pub async fn targets(app: &App, who: &Principal) -> ActionResult<OlaTargets> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(ola_targets::list(&mut db).await?)
}

/// Replaces every target (administrators of service levels); every stay at a tier that lasts
/// gets the deadlines of the new targets, in the same transaction.
pub async fn set_targets(app: &App, who: &Principal, set: OlaTargets) -> ActionResult<OlaTargets> {
    require(who, Permission::ManageServiceLevels)?;
    let errors = set.check();
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = ola_targets::list(&mut db).await?;
    ola_targets::replace(&mut db, &set, now).await?;
    let mut after = 0;
    loop {
        let stays = case_stages::open_stays(&mut db, after, BATCH).await?;
        let Some(last) = stays.last() else { break };
        after = last.id;
        for stay in &stays {
            let Some(case) = cases::get(&mut db, Id::new(stay.case_id)).await? else {
                continue;
            };
            super::stages::retarget(app, &mut db, case.id, case.severity, Some(&set)).await?;
        }
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "ola.set",
        "ola_targets",
        "all",
        Some(&before),
        Some(&set),
    ));
    db.commit().await?;
    Ok(set)
}

/// A warning or breach of an internal target: what staff are told.
struct OlaNews {
    tier: Tier,
    minutes: i64,
    due: Timestamp,
}

impl StaffNews for OlaNews {
    /// The mail's `ola` values: the tier's name, the target in hours, the due time in the
    /// desk's time zone with its offset.
    fn values(&self, app: &App, lang: Lang) -> (&'static str, Value) {
        let values = json!({
            "tier": lang.t(&format!("tier-{}", self.tier.as_str())),
            "target": lang.tn("ola-target-hours", &[("hours", hours_text(self.minutes))]),
            "due_at": app.config.desk_time(self.due),
        });
        ("ola", values)
    }

    fn in_app(&self, app: &App, lang: Lang, kind: &str, case: &Case) -> (String, String) {
        let (_, values) = self.values(app, lang);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let what = lang.tn(
            &format!("ola-news-{kind}"),
            &[
                ("tier", text(&values["tier"])),
                ("target", text(&values["target"])),
            ],
        );
        let title = format!("{} {what}", case.number);
        let body = lang.tn(
            "sla-news-body",
            &[
                ("number", case.number.to_string()),
                ("title", case.title.clone()),
                (
                    "severity",
                    lang.t(&format!("severity-{}", case.severity.level())),
                ),
                ("organization", case.organization.name.clone()),
                ("what", what),
                ("due", text(&values["due_at"])),
            ],
        );
        (title, body)
    }
}

/// Who hears of a warning (the owner, or the coordinators) or a breach (also the tier's
/// leads); the managers when nobody else would.
async fn recipients(
    db: &mut Db,
    moment: Moment,
    case: &Case,
    tier: Tier,
) -> ActionResult<Vec<User>> {
    let mut found: Vec<User> = match &case.owner {
        Some(owner) => users_store::get(db, owner.id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect(),
        None => users_store::staff_of(db, StaffGroup::Role(Role::Coordinator)).await?,
    };
    if moment == Moment::Breach {
        for lead in users_store::staff_of(db, StaffGroup::TierLeads(tier)).await? {
            if !found.iter().any(|u| u.id == lead.id) {
                found.push(lead);
            }
        }
    }
    if found.is_empty() {
        found = users_store::staff_of(db, StaffGroup::Role(Role::Manager)).await?;
    }
    Ok(found)
}

/// Tells the warnings and breaches of internal targets that are due, each exactly once.
/// Returns how many were told.
pub async fn sweep(app: &App, limit: i64) -> ActionResult<usize> {
    let now = app.clock.now();
    let due = {
        let mut db = app.store.read().await?;
        case_stages::due(&mut db, now, limit).await?
    };
    let mut told = 0;
    for moment in due {
        let mut db = app.store.write().await?;
        if tell(app, &mut db, &moment, now).await? {
            db.commit().await?;
            told += 1;
        }
    }
    Ok(told)
}

/// Tells one warning or breach in `db`'s transaction; `false` if it was told already or the
/// stay ended.
async fn tell(app: &App, db: &mut Db, due: &DueMoment, now: Timestamp) -> ActionResult<bool> {
    if !case_stages::claim(db, due.id, due.moment, now).await? {
        return Ok(false);
    }
    let Some(case) = cases::get(db, due.case_id).await? else {
        return Ok(false);
    };
    let tier = case.tier.unwrap_or(Tier::Intake);
    let kind = match due.moment {
        Moment::Warning => "ola_warning",
        Moment::Breach => "ola_breach",
    };
    let news = OlaNews {
        tier,
        minutes: due.target_minutes,
        due: due.due_at,
    };
    for user in recipients(db, due.moment, &case, tier).await? {
        let key = format!(
            "ola:{}:{kind}:{}:{}",
            due.id,
            due.at.as_millisecond(),
            user.id
        );
        case_mail::alert_staff(app, db, &user, &case, kind, &news, &key, now).await?;
    }
    db.audit(AuditEntry::change(
        now,
        &AuditActor::system("ola"),
        "ola.tell",
        "case",
        case.number,
        None,
        Some(&json!({"tier": tier, "moment": kind, "target_minutes": due.target_minutes, "at": due.at})),
    ));
    Ok(true)
}
