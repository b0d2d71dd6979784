//! The console's forms of the case page's "Links" box, each a [`CaseForm`]: link to another
//! case by number and kind, remove a link, merge this case into another (confirmed, with a
//! reason; the page then leads to the survivor), and split a public reply into a new case.

use casebook_domain::CaseNumber;
use serde::Deserialize;
use serde_json::json;

use crate::actions::cases::links::{self, LinkDraft};
use crate::actions::cases::merge::{self, MergeDraft};
use crate::actions::cases::split::{self, SplitDraft};
use crate::actions::{ActionError, ActionResult as Res};
use crate::app::AppState;
use crate::web::case_page::{CaseForm, reason};
use crate::web::forms::{Typed, parse};
use crate::web::session::Viewer;

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    case: String,
    #[serde(default)]
    role: String,
}

/// `POST /console/cases/{number}/link`: links the case to another by number and kind.
impl CaseForm for LinkForm {
    const ACTION: &'static str = "link";

    fn typed(&self) -> Typed {
        Typed::default()
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        let draft = json!({"case": self.case.trim(), "role": self.role});
        let draft = parse::<LinkDraft>(draft)?;
        links::link(app, &viewer.who, number, draft)
            .await
            .map(|_| ())
    }
}

#[derive(Deserialize)]
pub struct UnlinkForm {
    link: i64,
}

/// `POST /console/cases/{number}/unlink`: removes a link.
impl CaseForm for UnlinkForm {
    const ACTION: &'static str = "unlink";

    fn typed(&self) -> Typed {
        Typed::default()
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        links::unlink(app, &viewer.who, number, self.link).await
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    version: Option<i64>,
    #[serde(default)]
    into: String,
    #[serde(default)]
    reason: String,
    confirm: Option<String>,
}

/// `POST /console/cases/{number}/merge`: merges this case into another once the merge is
/// confirmed; the case's address then leads to the survivor.
impl CaseForm for MergeForm {
    const ACTION: &'static str = "merge";

    fn typed(&self) -> Typed {
        reason(&self.reason)
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        if self.confirm.is_none() {
            return Err(ActionError::field(
                "confirm",
                "required",
                viewer.ctx.t("merge-confirm-required"),
            ));
        }
        let draft =
            json!({"into": self.into.trim(), "reason": self.reason, "version": self.version});
        let draft = parse::<MergeDraft>(draft)?;
        merge::merge(app, &viewer.who, number, draft, None)
            .await
            .map(|_| ())
    }
}

#[derive(Deserialize)]
pub struct SplitForm {
    event_id: i64,
    #[serde(default)]
    title: String,
}

/// `POST /console/cases/{number}/split`: opens a new case from a public reply.
impl CaseForm for SplitForm {
    const ACTION: &'static str = "split";

    fn typed(&self) -> Typed {
        Typed::default()
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        let title = Some(self.title).filter(|t| !t.trim().is_empty());
        let draft = parse::<SplitDraft>(json!({"event_id": self.event_id, "title": title}))?;
        split::split(app, &viewer.who, number, draft)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    fn keys(file: &str) -> Vec<String> {
        file.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap_or_default().trim().to_owned())
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_link_messages() {
        let en = keys(include_str!("../../locales/en/links.ftl"));
        let zh = keys(include_str!("../../locales/zh-CN/links.ftl"));
        assert_eq!(en, zh);
        assert!(en.len() > 20, "only {} messages", en.len());
    }
}
