//! Opening a case, on every channel: `prepare` checks the draft on read connections
//! (references, the entitlement at intake, the SLA plan) and `write` writes it in the caller's
//! write transaction (number, entitlement, clocks, acknowledgement, audit), so a channel can
//! write what it came with in the same transaction (a mail, a device's event).

use casebook_domain::case::{Case, CaseDraft};
use casebook_domain::contract::Unit;
use casebook_domain::directory::Organization;
use casebook_domain::entitlement::Outcome;
use casebook_domain::ids::ContractId;
use casebook_domain::mail::MailDisposition;
use casebook_domain::policy::{Role, Visibility};
use casebook_domain::timeline::EventKind;
use casebook_domain::{Category, Channel, Named, Status, Tier, Timestamp};
use casebook_store::cases::{self, CaseColumns};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Db, Table, lock_row};
use serde_json::json;

use crate::actions::cases::attachments::{Upload, attach, check_uploads};
use crate::actions::cases::redact;
use crate::actions::cases::sla::{self, SlaCase};
use crate::actions::contracts::entitlements;
use crate::actions::directory::refs::{
    check_contact, check_organization, check_owner, check_product, unit_of,
};
use crate::actions::notify::case_mail::{self, CaseNews};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{AuthVia, Principal};

/// The channel a new case is recorded on: where it came from, since the channel chooses SLA
/// terms (a phone call out of hours, the next business day for what is filed electronically).
/// Customers file on the web, through the portal and the API alike; mail arrives by `email`;
/// the system (devices, imports, the demo) says which. Staff may record another channel, a
/// phone intake above all (the default in the console; `api` with a token), but not
/// `call_home`, which only a device's own event opens.
fn channel_of(who: &Principal, asked: Option<Channel>) -> ActionResult<Channel> {
    let arrived = match (&who.via, who.is_staff()) {
        (AuthVia::System, _) => return Ok(asked.unwrap_or(Channel::Api)),
        (AuthVia::Mail, _) => Channel::Email,
        (_, false) => Channel::Web,
        (AuthVia::Session { .. }, true) => return staff_channel(asked, Channel::Phone),
        (AuthVia::Token, true) => return staff_channel(asked, Channel::Api),
    };
    match asked {
        Some(channel) if channel != arrived => Err(ActionError::field(
            "channel",
            "not_allowed",
            format!(
                "cases you file are recorded as {}; only support staff record another channel",
                arrived.as_str()
            ),
        )),
        _ => Ok(arrived),
    }
}

fn staff_channel(asked: Option<Channel>, default: Channel) -> ActionResult<Channel> {
    match asked.unwrap_or(default) {
        Channel::CallHome => Err(ActionError::field(
            "channel",
            "not_allowed",
            "call_home cases are opened by the devices' own events",
        )),
        channel => Ok(channel),
    }
}

fn desk_year(app: &App, now: Timestamp) -> i16 {
    now.to_zoned(app.config.time_zone()).year()
}

/// Opens a case. Customers open cases for their own organisation; a customer user is the
/// contact of their own cases.
pub async fn open(app: &App, who: &Principal, draft: CaseDraft) -> ActionResult<Case> {
    let prepared = prepare(app, who, draft, &[]).await?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = write(app, &mut db, who, prepared, Opening::Plain, now).await?;
    db.commit().await?;
    Ok(redact(who, case))
}

/// A mail that opens a case.
pub(crate) struct OpeningMail<'a> {
    /// The mail, kept as `opened` in the case's transaction.
    pub mail: &'a casebook_store::mail::NewMail<'a>,
    /// Its files, added to the new case.
    pub files: &'a [Upload],
}

/// Opens a case from a mail, with its files: the mail is kept as the one that opened it in the
/// same transaction (a mail kept already makes it roll back: `mail_duplicate`), and the
/// acknowledgement answers it.
pub(crate) async fn open_from_mail(
    app: &App,
    who: &Principal,
    draft: CaseDraft,
    mail: OpeningMail<'_>,
) -> ActionResult<Case> {
    let prepared = prepare(app, who, draft, mail.files).await?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = write(app, &mut db, who, prepared, Opening::Mail(mail), now).await?;
    db.commit().await?;
    Ok(redact(who, case))
}

/// Where a case comes from, for what is written with it.
pub(crate) enum Opening<'a> {
    /// A form, the API, a phone call.
    Plain,
    /// A mail, kept with the case.
    Mail(OpeningMail<'a>),
}

/// A case checked and ready to be written: its columns, entitlement and SLA plan.
pub(crate) struct PreparedCase {
    organization: Organization,
    unit: Option<Unit>,
    contract_number: Option<String>,
    columns: CaseColumns,
    checked: entitlements::Checked,
    sla: sla::Prepared,
    limited: Option<ContractId>,
}

impl PreparedCase {
    /// The entitlement decision (a device's event keeps no case when it is refused).
    pub(crate) fn entitlement(&self) -> &casebook_store::cases::StoredEntitlement {
        &self.checked.stored
    }

    fn asked(&self) -> entitlements::Asked<'_> {
        entitlements::Asked {
            contract_number: self.contract_number.as_deref(),
            unit: self.unit.as_ref(),
            product: self.columns.product_id,
            contact: self.columns.contact_id,
            channel: self.columns.channel,
            charged_to: None,
        }
    }
}

/// Checks a new case on read connections (references, entitlement, SLA plan), so the single
/// SQLite writer is held only for the writes.
pub(crate) async fn prepare(
    app: &App,
    who: &Principal,
    draft: CaseDraft,
    files: &[Upload],
) -> ActionResult<PreparedCase> {
    check_uploads(app, files)?;
    if draft.description.is_empty() {
        return Err(ActionError::field(
            "description",
            "required",
            "describe the problem: symptoms, frequency, steps, error messages",
        ));
    }
    let channel = channel_of(who, draft.channel)?;
    let customer = who.actor().filter(|a| !a.is_staff()).copied();
    if customer.is_some() {
        if draft.tier.is_some() {
            return Err(ActionError::field(
                "tier",
                "not_allowed",
                "only support staff set the tier",
            ));
        }
        if draft.owner_id.is_some() {
            return Err(ActionError::field(
                "owner_id",
                "not_allowed",
                "only support staff assign an owner",
            ));
        }
    }
    // The foreign keys still refuse a reference deleted before the write.
    let mut db = app.store.read().await?;
    let (organization_id, contact_id) = match customer {
        Some(actor) => {
            let own = actor.organization.ok_or(ActionError::Forbidden(
                "customer users need an organisation",
            ))?;
            if draft.organization_id.is_some_and(|o| o != own) {
                return Err(ActionError::field(
                    "organization_id",
                    "not_found",
                    "no such organisation",
                ));
            }
            let contact = match (actor.role, draft.contact_id) {
                (Role::CustomerAdmin, Some(c)) => Some(c),
                (_, Some(c)) if Some(c) != actor.contact => {
                    return Err(ActionError::field(
                        "contact_id",
                        "not_allowed",
                        "you can open cases only as yourself",
                    ));
                }
                _ => actor.contact,
            };
            (own, contact)
        }
        None => {
            let org = draft.organization_id.ok_or_else(|| {
                ActionError::field(
                    "organization_id",
                    "required",
                    "which customer organisation is this case for?",
                )
            })?;
            (org, draft.contact_id)
        }
    };
    let organization = check_organization(&mut db, organization_id).await?;
    if let Some(contact) = contact_id {
        check_contact(&mut db, contact, organization_id).await.map_err(|e| match (customer, e) {
            (Some(_), ActionError::Validation(f)) if f.iter().any(|f| f.code == "not_authorised") => {
                ActionError::Forbidden("your contact record is not authorised to open cases; ask your organisation's administrator")
            }
            (_, e) => e,
        })?;
    }
    let unit = match &draft.serial_number {
        Some(serial) => {
            Some(unit_of(&mut db, organization_id, serial.as_str(), draft.product_id).await?)
        }
        None => None,
    };
    let product_id = match (&unit, draft.product_id) {
        (Some(u), Some(p)) if u.product.id != p => {
            return Err(ActionError::field(
                "product_id",
                "mismatch",
                format!(
                    "unit {} is a {}, not this product",
                    u.serial_number, u.product.name
                ),
            ));
        }
        (Some(u), _) => Some(u.product.id),
        (None, p) => p,
    };
    let product_version = draft
        .product_version
        .map(String::from)
        .or_else(|| unit.as_ref().and_then(|u| u.product_version.clone()));
    if let Some(product) = product_id {
        check_product(&mut db, product, product_version.as_deref()).await?;
    } else if product_version.is_some() {
        return Err(ActionError::field(
            "product_version",
            "requires_product",
            "a product version needs a product",
        ));
    }
    if let Some(owner) = draft.owner_id {
        check_owner(&mut db, owner).await?;
    }
    let asked = entitlements::Asked {
        contract_number: draft.contract_number.as_ref().map(|c| c.as_str()),
        unit: unit.as_ref(),
        product: product_id,
        contact: contact_id,
        channel,
        charged_to: None,
    };
    let checked = entitlements::check(
        app,
        &mut db,
        entitlements::OrgOf::Read(&organization),
        asked,
    )
    .await?;
    let columns = CaseColumns {
        title: draft.title.into(),
        description: draft.description.into(),
        organization_id,
        contact_id,
        product_id,
        product_version,
        patch_level: draft
            .patch_level
            .map(String::from)
            .or_else(|| unit.as_ref().and_then(|u| u.patch_level.clone())),
        operating_system: draft
            .operating_system
            .map(String::from)
            .or_else(|| unit.as_ref().and_then(|u| u.operating_system.clone())),
        environment: draft.environment.into(),
        category: draft.category.unwrap_or(Category::Other),
        severity: draft.severity,
        channel,
        tier: draft.tier.unwrap_or(Tier::Intake),
        status: if draft.owner_id.is_some() {
            Status::Assigned
        } else {
            Status::New
        },
        owner_id: draft.owner_id,
        closed_at: None,
        closure_confirmed_by: None,
        closure_confirmed_at: None,
    };
    let limited = checked
        .contract
        .as_ref()
        .filter(|c| c.incidents.is_some() && checked.stored.outcome == Outcome::Entitled)
        .map(|c| c.id);
    let sla = sla::prepare(app, &mut db, checked.plan.clone(), checked.source).await?;
    Ok(PreparedCase {
        organization,
        contract_number: draft.contract_number.map(|c| c.as_str().to_owned()),
        unit,
        columns,
        checked,
        sla,
        limited,
    })
}

/// Writes a prepared case in a write transaction: its number, entitlement, clocks, what it came
/// with, the acknowledgement, the audit entry. The caller commits.
pub(crate) async fn write(
    app: &App,
    db: &mut Db,
    who: &Principal,
    case: PreparedCase,
    opening: Opening<'_>,
    now: Timestamp,
) -> ActionResult<Case> {
    let year = desk_year(app, now);
    let mut checked_again = None;
    if let Some(contract) = case.limited {
        // The last incident of a contract goes to one case only: count again under the lock.
        lock_row(db, Table::Contracts, contract.get()).await?;
        let org = entitlements::OrgOf::Read(&case.organization);
        let again = entitlements::check(app, db, org, case.asked()).await?;
        if again.stored != case.checked.stored {
            let sla = sla::prepare(app, db, again.plan.clone(), again.source).await?;
            checked_again = Some((again, sla));
        }
    }
    let (checked, prepared) = match &checked_again {
        Some((checked, sla)) => (checked, sla),
        None => (&case.checked, &case.sla),
    };
    let columns = &case.columns;
    let number = cases::next_number(db, year).await?;
    let id = cases::insert(db, number, columns, who.user_id(), now).await?;
    cases::set_entitlement(db, id, &checked.stored, false).await?;
    // A contract with a number of incidents tells its people at 80 % and 100 %.
    if let (Some(_), Some(contract), Outcome::Entitled) = (
        case.limited,
        checked.stored.contract,
        checked.stored.outcome,
    ) {
        crate::actions::contracts::usage::tell_thresholds(app, db, contract, now).await?;
    }
    let created =
        json!({"severity": columns.severity, "status": columns.status, "channel": columns.channel});
    timeline::insert(
        db,
        &NewEvent {
            case_id: id,
            kind: EventKind::Created,
            visibility: Visibility::Public,
            actor: who.user_id(),
            at: now,
            body: None,
            change: Some(created),
        },
    )
    .await?;
    let case = cases::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    sla::start_new_case(db, prepared, &SlaCase::from(&case), now).await?;
    super::stages::follow(app, db, None, &case, now).await?;
    let mut in_reply_to = None;
    if let Opening::Mail(mail) = &opening {
        if !mail.files.is_empty() {
            attach(app, db, who, case.id, Visibility::Public, mail.files, now).await?;
        }
        super::kept_with::keep_mail(db, mail.mail, MailDisposition::Opened, case.id, now).await?;
        in_reply_to = Some(mail.mail.message_id);
    }
    case_mail::tell(app, db, &case, CaseNews::Opened { in_reply_to }, who, now).await?;
    super::events::opened(app, db, &case, who, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.create",
        "case",
        number,
        None,
        Some(&case),
    ));
    Ok(case)
}
