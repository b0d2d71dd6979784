//! Links between cases: a duplicate, a cause, a related case, a parent problem and its child
//! cases. Staff link and unlink; both cases get a timeline entry (public when both belong to one
//! organisation, internal otherwise) and the audit log an entry. Customers see only the links
//! between cases of their own organisation that they may see themselves.

use casebook_domain::case::Case;
use casebook_domain::ids::CaseId;
use casebook_domain::links::{CaseLink, LinkKind, LinkRole, visible_to_customer};
use casebook_domain::policy::{Permission, Subject, Visibility};
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, Named, Timestamp};
use casebook_store::case_links::{self, StoredLink};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Db, StoreError, cases};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, require};

use super::access::visible_case;

/// A link to make, from the case in the path.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDraft {
    /// The other case's number.
    pub case: CaseNumber,
    /// What the other case is to this one: `duplicate_of`, `duplicated_by`, `caused_by`,
    /// `causes`, `related`, `child_of` (the other is the parent problem) or `parent_of`.
    pub role: LinkRole,
}

/// How many parents up a parent/child chain is followed before it is called a cycle.
const MAX_DEPTH: usize = 64;

/// The links of a case as the principal may see them.
pub async fn list(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<Vec<CaseLink>> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    let links = case_links::of_case(&mut db, case.id).await?;
    if who.is_staff() {
        return Ok(links);
    }
    let mut seen = Vec::with_capacity(links.len());
    for link in links {
        let same_org = visible_to_customer(
            case.organization.id,
            case.organization.id,
            link.case.organization,
        );
        if !same_org {
            continue;
        }
        // A colleague's case the customer user may not open stays hidden too.
        if let Some(other) = cases::get_by_number(&mut db, link.case.number).await?
            && ensure_visible(who, Subject::Case(other.access()), "case").is_ok()
        {
            seen.push(link);
        }
    }
    Ok(seen)
}

/// Whether a link's entries are public: only between cases of one organisation.
pub(crate) fn link_visibility(a: &Case, b: &Case) -> Visibility {
    if a.organization.id == b.organization.id {
        Visibility::Public
    } else {
        Visibility::Internal
    }
}

/// Writes a timeline entry of a link change on one case.
pub(crate) async fn note_on(
    db: &mut Db,
    who: &Principal,
    kind: EventKind,
    case: &Case,
    visibility: Visibility,
    change: serde_json::Value,
    now: Timestamp,
) -> ActionResult<()> {
    timeline::insert(
        db,
        &NewEvent {
            case_id: case.id,
            kind,
            visibility,
            actor: who.user_id(),
            at: now,
            body: None,
            change: Some(change),
        },
    )
    .await?;
    cases::touch(db, case.id, now).await?;
    Ok(())
}

/// Refuses a parent/child link that would make a cycle: `parent` must not be `child` or one of
/// its descendants, that is `child` must not be among `parent`'s ancestors.
async fn refuse_cycle(db: &mut Db, child: CaseId, parent: CaseId) -> ActionResult<()> {
    let mut at = Some(parent);
    for _ in 0..MAX_DEPTH {
        match at {
            Some(id) if id == child => {
                return Err(ActionError::Conflict {
                    code: "link_cycle",
                    message: "this parent/child link would make a case its own ancestor".into(),
                });
            }
            Some(id) => at = case_links::parent_of(db, id).await?,
            None => return Ok(()),
        }
    }
    Err(ActionError::Conflict {
        code: "link_cycle",
        message: format!("the chain of parent problems is deeper than {MAX_DEPTH}"),
    })
}

/// Links a case to another; returns the link as the first case sees it.
pub async fn link(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    draft: LinkDraft,
) -> ActionResult<CaseLink> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let this = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let (kind, said_of_this) = draft
        .role
        .to_store()
        .map_err(|e| ActionError::Validation(vec![e.on("role")]))?;
    let other = visible_case(&mut db, who, draft.case)
        .await
        .map_err(|e| match e {
            ActionError::NotFound(_) => {
                ActionError::field("case", "not_found", format!("no case {}", draft.case))
            }
            e => e,
        })?;
    if this.id == other.id {
        return Err(ActionError::field(
            "case",
            "same_case",
            "a case cannot be linked to itself",
        ));
    }
    let (subject, object) = if said_of_this {
        (&this, &other)
    } else {
        (&other, &this)
    };
    if let Some(existing) = case_links::between(&mut db, this.id, other.id).await? {
        return Err(ActionError::Conflict {
            code: "already_linked",
            message: format!(
                "{} and {} are linked already ({}); remove that link first",
                this.number,
                other.number,
                LinkRole::seen(existing.kind, existing.case_id == this.id).as_str()
            ),
        });
    }
    if kind == LinkKind::ChildOf {
        if let Some(parent) = case_links::parent_of(&mut db, subject.id).await? {
            let parent = cases::number_of(&mut db, parent).await?;
            return Err(ActionError::Conflict {
                code: "has_parent",
                message: format!(
                    "{} has a parent problem already ({}); a case has one parent",
                    subject.number,
                    parent.map(|p| p.to_string()).unwrap_or_default()
                ),
            });
        }
        refuse_cycle(&mut db, subject.id, object.id).await?;
    }
    let id = case_links::insert(&mut db, subject.id, object.id, kind, who.user_id(), now)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(_) => ActionError::Conflict {
                code: "already_linked",
                message: format!("{} and {} are linked already", this.number, other.number),
            },
            e => e.into(),
        })?;
    let stored = StoredLink {
        id,
        case_id: subject.id,
        other_id: object.id,
        kind,
    };
    write_entries(&mut db, who, EventKind::Linked, &stored, &this, &other, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.link",
        "case_link",
        id,
        None,
        Some(&json!({"case": subject.number, "kind": kind.as_str(), "other": object.number})),
    ));
    db.commit().await?;
    let mut db = app.store.read().await?;
    case_links::of_case(&mut db, this.id)
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or(ActionError::NotFound("link"))
}

/// The timeline entries of a link change on both of its cases.
async fn write_entries(
    db: &mut Db,
    who: &Principal,
    event: EventKind,
    link: &StoredLink,
    this: &Case,
    other: &Case,
    now: Timestamp,
) -> ActionResult<()> {
    let visibility = link_visibility(this, other);
    for (case, named) in [(this, other), (other, this)] {
        let role = LinkRole::seen(link.kind, link.case_id == case.id);
        let change = json!({"role": role, "case": named.number});
        note_on(db, who, event, case, visibility, change, now).await?;
    }
    Ok(())
}

/// Removes a link of a case (done already when no such link exists any more; a link of other
/// cases is not found).
pub async fn unlink(app: &App, who: &Principal, number: CaseNumber, link: i64) -> ActionResult<()> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let this = visible_case(&mut db, who, number).await?;
    require(who, Permission::WorkCases)?;
    let Some(stored) = case_links::get(&mut db, link).await? else {
        // Removed before: the link is gone, as asked.
        return Ok(());
    };
    if stored.case_id != this.id && stored.other_id != this.id {
        return Err(ActionError::NotFound("link"));
    }
    let other_id = if stored.case_id == this.id {
        stored.other_id
    } else {
        stored.case_id
    };
    let other = cases::get(&mut db, other_id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    case_links::delete(&mut db, link).await?;
    write_entries(
        &mut db,
        who,
        EventKind::Unlinked,
        &stored,
        &this,
        &other,
        now,
    )
    .await?;
    let (subject, object) = if stored.case_id == this.id {
        (&this, &other)
    } else {
        (&other, &this)
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.unlink",
        "case_link",
        link,
        Some(
            &json!({"case": subject.number, "kind": stored.kind.as_str(), "other": object.number}),
        ),
        None,
    ));
    db.commit().await?;
    Ok(())
}
