//! Canned replies and macros in the console: `/console/replies` lists the desk's shared
//! templates and the engineer's own (edit pages through a [`Definition`]; managers and admins
//! write shared ones), and the case page's template picker posts to
//! `/console/cases/{number}/template`: "insert" puts the template's text for this case into the
//! reply box (without JavaScript; with it, `app.js` fills the box from the API without a
//! reload), "apply" posts it and makes the macro's changes.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::policy::Visibility;
use casebook_domain::replies::{ReplyTemplate, ReplyTemplateDraft, ReplyTemplatePatch};
use casebook_domain::{Named, Severity, Status, Tier};
use serde::Deserialize;

use super::case::Console;
use super::edit::{Field, Kind};
use super::editor::{self, Cx, Definition, Sheet};
use super::tables::fail;
use crate::actions::ActionResult as Res;
use crate::actions::replies::{self, apply, render};
use crate::app::AppState;
use crate::i18n::Lang;
use crate::web::case_page::{refused, with_typed};
use crate::web::forms::Typed;
use crate::web::page::{Ctx, render as render_page};
use crate::web::posted::{Checked, Nothing};
use crate::web::session::{Staff, WebResult};

const LIST: &str = "/console/replies";

/// The routes of the list, its forms and the case page's picker.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list))
        .route("/console/replies/{id}/delete", post(delete))
        .route("/console/cases/{number}/template", post(use_template))
        .merge(editor::routes::<ReplyTemplates>())
}

#[derive(Template)]
#[template(path = "console/replies.html")]
struct ListPage {
    ctx: Ctx,
    templates: Vec<ReplyTemplate>,
}

/// `GET /console/replies`.
async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let templates = replies::list(&app, &staff.0.who)
        .await
        .map_err(fail(&staff))?;
    let ctx = staff.0.ctx.clone();
    Ok(render_page(&ListPage { ctx, templates }))
}

/// `POST /console/replies/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    replies::delete(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(LIST).into_response())
}

/// The case page's template picker.
#[derive(Debug, Deserialize)]
pub struct UseTemplate {
    template: i64,
    #[serde(default)]
    lang: String,
    /// `insert` (default) or `apply`.
    #[serde(default, rename = "do")]
    action: String,
}

/// `POST /console/cases/{number}/template`.
async fn use_template(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    Checked(staff, form): Checked<Staff, UseTemplate>,
) -> WebResult<Response> {
    let viewer = &staff.0;
    let number = viewer.case_number(&raw)?;
    let lang = Lang::from_tag(&form.lang).unwrap_or(viewer.ctx.lang);
    if form.action == "apply" {
        return match apply::apply(&app, &viewer.who, form.template, number, None, lang).await {
            Ok(_) => Ok(Redirect::to(&format!("/console/cases/{number}#timeline")).into_response()),
            Err(err) => refused::<Console>(&app, viewer, number, err, Typed::default()).await,
        };
    }
    let inserted = async {
        let template = replies::get(&app, &viewer.who, form.template).await?;
        let text = render::text_for(&app, &viewer.who, &template, number, lang).await?;
        Ok((text, template.visibility == Visibility::Internal))
    };
    match inserted.await {
        Ok((body, internal)) => {
            let typed = Typed {
                body,
                internal,
                ..Typed::default()
            };
            with_typed::<Console>(&app, viewer, number, typed).await
        }
        Err(err) => refused::<Console>(&app, viewer, number, err, Typed::default()).await,
    }
}

fn blank_first(
    ctx: &Ctx,
    options: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    let mut all = vec![(String::new(), ctx.t("reply-unchanged"))];
    all.extend(options);
    all
}

/// A template's fields; `shared` only on a new one.
fn template_fields(ctx: &Ctx, t: Option<&ReplyTemplate>, new: bool) -> Vec<Field> {
    let value = |f: fn(&ReplyTemplate) -> String| t.map(f).unwrap_or_default();
    let visibilities = Visibility::ALL
        .iter()
        .map(|v| {
            (
                v.as_str().to_owned(),
                ctx.t(&format!("reply-visibility-{}", v.as_str())),
            )
        })
        .collect();
    let statuses = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), ctx.status(s)));
    let severities = Severity::ALL
        .iter()
        .map(|s| (s.level().to_string(), ctx.sev(s)));
    let tiers = Tier::ALL
        .iter()
        .map(|x| (x.as_str().to_owned(), ctx.tier(x)));
    let mut fields = vec![Field::new(
        "name",
        "field-name",
        Kind::Text,
        value(|t| t.name.as_str().to_owned()),
    )];
    if new {
        fields.push(Field::new(
            "shared",
            "field-reply-shared",
            Kind::Check,
            "false",
        ));
    }
    fields.extend([
        Field::new(
            "visibility",
            "field-reply-visibility",
            Kind::Select(visibilities),
            value(|t| t.visibility.as_str().to_owned()),
        ),
        Field::new(
            "body_zh",
            "field-reply-body-zh",
            Kind::Area,
            value(|t| t.body_zh.as_str().to_owned()),
        ),
        Field::new(
            "body_en",
            "field-reply-body-en",
            Kind::Area,
            value(|t| t.body_en.as_str().to_owned()),
        ),
        Field::new(
            "changes.status",
            "field-macro-status",
            Kind::Select(blank_first(ctx, statuses)),
            value(|t| {
                t.changes
                    .status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default()
            }),
        ),
        Field::new(
            "changes.severity",
            "field-macro-severity",
            Kind::SelectNumber(blank_first(ctx, severities)),
            value(|t| {
                t.changes
                    .severity
                    .map(|s| s.level().to_string())
                    .unwrap_or_default()
            }),
        ),
        Field::new(
            "changes.tier",
            "field-macro-tier",
            Kind::Select(blank_first(ctx, tiers)),
            value(|t| {
                t.changes
                    .tier
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default()
            }),
        ),
        Field::new(
            "changes.take",
            "field-macro-take",
            Kind::Check,
            value(|t| t.changes.take.to_string()),
        ),
    ]);
    fields
}

/// The edit page of one template.
pub struct ReplyTemplates;

impl Definition for ReplyTemplates {
    const NEW: &'static str = "/console/replies/new";
    const EDIT: &'static str = "/console/replies/{id}/edit";
    type Parent = ();
    type Key = i64;
    type Draft = ReplyTemplateDraft;
    type Patch = ReplyTemplatePatch;
    type Saved = ReplyTemplate;

    async fn new_form(cx: Cx<'_>, _: &()) -> Res<Sheet> {
        let fields = template_fields(cx.ctx, None, true);
        Ok(Sheet::new(cx.t("reply-new"), LIST, fields))
    }

    async fn create(cx: Cx<'_>, _: &(), draft: ReplyTemplateDraft) -> Res<ReplyTemplate> {
        replies::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let t = replies::get(cx.app, cx.who, *id).await?;
        let fields = template_fields(cx.ctx, Some(&t), false);
        Ok(Sheet::new(t.name.as_str().to_owned(), LIST, fields).at(t.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: ReplyTemplatePatch) -> Res<ReplyTemplate> {
        replies::update(cx.app, cx.who, *id, patch).await
    }

    fn saved(_: &ReplyTemplate) -> String {
        LIST.to_owned()
    }
}
