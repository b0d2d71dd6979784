//! Splitting a reply into a new case: staff take a public reply of a case (a customer who asks
//! about a second problem in the same thread) and open a new case for the same organisation and
//! contact with its text and files. The two cases are linked "split from" / "split into", and
//! both timelines say so. Internal notes are not split: the new case's description is public.

use casebook_domain::case::{Case, CaseDraft};
use casebook_domain::ids::CaseEventId;
use casebook_domain::links::LinkKind;
use casebook_domain::policy::{Permission, Visibility};
use casebook_domain::text::Title;
use casebook_domain::timeline::EventKind;
use casebook_domain::{CaseNumber, Channel, Named};
use casebook_store::case_links;
use casebook_store::timeline::{self, NewEvent};
use casebook_store::{AuditEntry, Table, cases, lock_row};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

use super::access::{redact, visible_case};
use super::links::note_on;
use super::opening::{self, Opening};

/// A reply to split into a new case.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitDraft {
    /// The timeline entry (a public reply) of the case in the path.
    #[schema(value_type = i64)]
    pub event_id: CaseEventId,
    /// The new case's title; by default the reply's first line.
    pub title: Option<Title>,
}

/// The first line of a text, for a title.
fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    line.unwrap_or("(split)").chars().take(120).collect()
}

/// Opens a new case from a reply of case `number`; returns the new case.
pub async fn split(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    draft: SplitDraft,
) -> ActionResult<Case> {
    let (source, body) = {
        let mut db = app.store.read().await?;
        let source = visible_case(&mut db, who, number).await?;
        require(who, Permission::WorkCases)?;
        let entry = case_links::entry_of(&mut db, source.id, draft.event_id)
            .await?
            .ok_or_else(|| {
                ActionError::field("event_id", "not_found", "no such entry on this case")
            })?;
        let body = entry.body.filter(|b| !b.trim().is_empty());
        let body = match (entry.kind.as_str(), entry.visibility.as_str(), body) {
            ("reply", "public", Some(body)) => body,
            (_, "internal", _) => {
                return Err(ActionError::field(
                    "event_id",
                    "internal",
                    "an internal note is not split into a case the customer sees",
                ));
            }
            _ => {
                return Err(ActionError::field(
                    "event_id",
                    "not_a_reply",
                    "only a reply with text is split into a new case",
                ));
            }
        };
        (source, body)
    };
    let title = draft
        .title
        .map(|t| t.as_str().trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| first_line(&body));
    let channel = match source.channel {
        Channel::CallHome => Channel::Web,
        c => c,
    };
    let case_draft = json!({
        "title": title, "description": body, "severity": source.severity.level(),
        "category": source.category.as_str(), "organization_id": source.organization.id,
        "contact_id": source.contact.as_ref().map(|c| c.id),
        "product_id": source.product.as_ref().map(|p| p.id),
        "product_version": source.product_version, "channel": channel.as_str(),
        "serial_number": source.unit.as_ref().map(|u| u.name.clone()),
    });
    let case_draft: CaseDraft = serde_json::from_value(case_draft)
        .map_err(|e| ActionError::field("title", "invalid", e.to_string()))?;
    let prepared = opening::prepare(app, who, case_draft, &[]).await?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Cases, source.id.get()).await?;
    let source = visible_case(&mut db, who, number).await?;
    let new = opening::write(app, &mut db, who, prepared, Opening::Plain, now).await?;
    let split_event = timeline::insert(
        &mut db,
        &NewEvent {
            case_id: new.id,
            kind: EventKind::Split,
            visibility: Visibility::Public,
            actor: who.user_id(),
            at: now,
            body: None,
            change: Some(
                json!({"role": "split_from", "case": source.number, "event": draft.event_id}),
            ),
        },
    )
    .await?;
    case_links::copy_attachments(&mut db, draft.event_id, new.id, split_event, now).await?;
    let change = json!({"role": "split_into", "case": new.number, "event": draft.event_id});
    note_on(
        &mut db,
        who,
        EventKind::Split,
        &source,
        Visibility::Public,
        change,
        now,
    )
    .await?;
    case_links::insert(
        &mut db,
        new.id,
        source.id,
        LinkKind::SplitFrom,
        who.user_id(),
        now,
    )
    .await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "case.split",
        "case",
        new.number,
        None,
        Some(&json!({"from": source.number, "event": draft.event_id})),
    ));
    let new = cases::get(&mut db, new.id)
        .await?
        .ok_or(ActionError::NotFound("case"))?;
    db.commit().await?;
    Ok(redact(who, new))
}
