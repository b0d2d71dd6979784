//! The preview page of an attachment, on both sides (`…/cases/{number}/attachments/{id}`):
//! images and PDFs inline (from the API's inline address), text and log files as numbered
//! lines with a search and pages (`edge/attachment_text.rs`), anything else as a download link.
//! What the customer may not see (an internal attachment, another organisation's case) does not
//! exist for them. The page is one of ours (our CSP, escaped text); the file itself is still
//! served by the API with its safe headers.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::CaseNumber;
use casebook_domain::ids::AttachmentId;
use casebook_domain::timeline::AttachmentMeta;
use serde::Deserialize;

use crate::actions::cases::attachments;
use crate::app::AppState;
use crate::edge::attachment_text::{self, Shown, TextPage};
use crate::web::case_page::{Side, Signed};
use crate::web::page::{Ctx, render};
use crate::web::session::WebResult;

#[derive(Template)]
#[template(path = "attachment.html")]
struct PreviewPage {
    ctx: Ctx,
    number: CaseNumber,
    /// The case page's address.
    back: String,
    meta: AttachmentMeta,
    shown: Shown,
    text: Option<TextPage>,
    q: String,
}

impl PreviewPage {
    fn download(&self) -> String {
        format!("/api/v1/cases/{}/attachments/{}", self.number, self.meta.id)
    }

    fn inline(&self) -> String {
        format!("{}/inline", self.download())
    }

    fn is(&self, shown: &str) -> bool {
        let name = match self.shown {
            Shown::Image => "image",
            Shown::Pdf => "pdf",
            Shown::Text => "text",
            Shown::Download => "download",
        };
        name == shown
    }

    /// The address of page `page` of the text, with the search kept.
    fn page_link(&self, page: usize) -> String {
        let query = [("page", page.to_string()), ("q", self.q.clone())];
        format!(
            "?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    }

    /// The address of line `line` (its page, the search kept).
    fn line_link(&self, line: &usize) -> String {
        format!(
            "{}#L{line}",
            self.page_link(attachment_text::page_of_line(*line))
        )
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    page: Option<usize>,
    #[serde(default)]
    q: String,
}

/// The preview route of side `S`.
pub fn routes<S: Side>() -> Router<AppState> {
    let base = S::Who::BASE;
    Router::new().route(
        &format!("{base}/{{number}}/attachments/{{id}}"),
        get(preview::<S>),
    )
}

/// `GET …/cases/{number}/attachments/{id}`.
async fn preview<S: Side>(
    State(app): State<AppState>,
    who: S::Who,
    Path((raw, id)): Path<(String, i64)>,
    Query(query): Query<PreviewQuery>,
) -> WebResult<Response> {
    let viewer = who.into_viewer();
    let number = viewer.case_number(&raw)?;
    let (meta, content) = attachments::download(&app, &viewer.who, number, AttachmentId::new(id))
        .await
        .map_err(|e| viewer.fail(e))?;
    let shown = attachment_text::shown(&meta.content_type, &meta.file_name, &content);
    let q: String = query.q.chars().take(200).collect();
    let text = (shown == Shown::Text).then(|| {
        let text = attachment_text::decode(&content);
        attachment_text::page_of(&text, query.page.unwrap_or(1), &q)
    });
    Ok(render(&PreviewPage {
        back: format!("{}/{number}", S::Who::BASE),
        ctx: viewer.ctx.clone(),
        number,
        meta,
        shown,
        text,
        q,
    }))
}
