//! `/console/mail/templates`: administrators edit the texts of the mail Casebook sends, per
//! kind and language, with a preview rendered from sample values. A template that does not
//! render, or an edit made on a stale copy, comes back with the text as typed and the reason.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::tables::{Cell, DetailPage, Table, fail, link, text};
use crate::actions::ActionError;
use crate::actions::notify::templates::{self, MailTemplate, MailTemplateEdit};
use crate::app::AppState;
use crate::i18n::Lang;
use crate::web::page::{Ctx, render, render_status};
use crate::web::session::{Staff, WebResult};

#[derive(Template)]
#[template(path = "console/mail_template.html")]
struct EditPage {
    ctx: Ctx,
    t: MailTemplate,
    error: Option<String>,
}

/// A template's own text, marked with its language (an English subject on a Chinese page).
fn in_lang(cell: Cell, tag: &str) -> Cell {
    match Lang::from_tag(tag) {
        Some(lang) => cell.in_lang(lang.tag()),
        None => cell,
    }
}

/// `GET /console/mail/templates`.
pub async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let ctx = staff.0.ctx.clone();
    let all = templates::list(&app, &staff.0.who)
        .await
        .map_err(fail(&staff))?;
    let state = |edited: bool| {
        if edited {
            "mail-template-edited"
        } else {
            "mail-template-builtin"
        }
    };
    let rows = all
        .iter()
        .map(|t| {
            vec![
                link(
                    ctx.tk("mail-kind", &t.kind),
                    format!("/console/mail/templates/{}/{}", t.kind, t.lang),
                ),
                text(ctx.tk("mail-audience", &t.audience)),
                text(ctx.tk("language-name", &t.lang)),
                text(ctx.t(state(t.edited))),
                in_lang(text(&t.subject), &t.lang),
            ]
        })
        .collect();
    let title = ctx.t("mail-templates");
    Ok(render(&DetailPage {
        actions: Vec::new(),
        ctx,
        title,
        fields: Vec::new(),
        sections: vec![Table {
            title: "mail-templates".into(),
            headers: vec![
                "field-kind",
                "field-audience",
                "field-language",
                "field-status",
                "field-subject",
            ],
            rows,
        }],
    }))
}

/// `GET /console/mail/templates/{kind}/{lang}`.
pub async fn edit(
    State(app): State<AppState>,
    staff: Staff,
    Path((kind, lang)): Path<(String, String)>,
) -> WebResult<Response> {
    let t = templates::get(&app, &staff.0.who, &kind, &lang)
        .await
        .map_err(fail(&staff))?;
    Ok(render(&EditPage {
        ctx: staff.0.ctx.clone(),
        t,
        error: None,
    }))
}

/// The edit form.
#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    version: i64,
}

/// `POST /console/mail/templates/{kind}/{lang}`.
pub async fn save(
    State(app): State<AppState>,
    staff: Staff,
    Path((kind, lang)): Path<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> WebResult<Response> {
    staff.0.check_csrf(Some(&form.csrf))?;
    let edit = MailTemplateEdit {
        subject: form.subject.clone(),
        body: form.body.replace("\r\n", "\n"),
        version: form.version,
    };
    match templates::save(&app, &staff.0.who, &kind, &lang, edit).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/mail/templates/{kind}/{lang}")).into_response())
        }
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::StaleVersion
            | ActionError::Conflict { .. }),
        ) => {
            let status = if matches!(err, ActionError::Validation(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            let mut t = templates::get(&app, &staff.0.who, &kind, &lang)
                .await
                .map_err(fail(&staff))?;
            // What was typed comes back, with the version it was typed on.
            t.subject = form.subject;
            t.body = form.body;
            t.version = form.version;
            t.preview = None;
            let page = EditPage {
                ctx: staff.0.ctx.clone(),
                t,
                error: Some(crate::web::forms::messages(&err, staff.0.ctx.lang).join(" ")),
            };
            Ok(render_status(status, &page))
        }
        Err(err) => Err(fail(&staff)(err)),
    }
}

/// The reset form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /console/mail/templates/{kind}/{lang}/reset`.
pub async fn reset(
    State(app): State<AppState>,
    staff: Staff,
    Path((kind, lang)): Path<(String, String)>,
    Form(form): Form<ResetForm>,
) -> WebResult<Response> {
    staff.0.check_csrf(Some(&form.csrf))?;
    templates::reset(&app, &staff.0.who, &kind, &lang)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(&format!("/console/mail/templates/{kind}/{lang}")).into_response())
}
