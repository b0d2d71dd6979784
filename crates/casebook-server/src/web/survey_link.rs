//! `/surveys/{token}`: where the link of a survey mail leads. No sign-in: the signed token names
//! the survey. The page asks the questions in the reader's language; the answer is taken once,
//! before the survey expires. A forged link finds nothing (404), an expired or used one says so
//! (409), and a refused answer comes back with what was typed and why.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};

use super::page::{Ctx, render, render_status};
use super::session::{Visitor, WebError, WebResult};
use super::survey_form::{AnswerForm, SurveyForm};
use crate::actions::ActionError;
use crate::actions::surveys::answer;
use crate::app::AppState;

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    ctx: Ctx,
    number: Option<String>,
    title: String,
    form: Option<SurveyForm>,
    done: Option<String>,
}

/// A used or expired link: the page says so with the action's reason.
fn closed(ctx: Ctx, err: &ActionError) -> Response {
    let done = crate::web::forms::messages(err, ctx.lang).join(" ");
    render_status(
        StatusCode::CONFLICT,
        &SurveyPage {
            ctx,
            number: None,
            title: String::new(),
            form: None,
            done: Some(done),
        },
    )
}

/// The survey a link asks, or the page that says it was used or has expired.
async fn asked(
    app: &AppState,
    ctx: &Ctx,
    token: &str,
) -> WebResult<Result<answer::Asked, Response>> {
    match answer::check_link(app, token).await {
        Ok(asked) => Ok(Ok(asked)),
        Err(err @ ActionError::Conflict { .. }) => Ok(Err(closed(ctx.clone(), &err))),
        Err(err) => Err(WebError::action(err, ctx.lang)),
    }
}

async fn show(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let asked = match asked(&app, &visitor.ctx, &token).await? {
        Ok(asked) => asked,
        Err(closed) => return Ok(closed),
    };
    let form = SurveyForm::new(
        &asked.settings,
        lang,
        format!("/surveys/{token}"),
        &AnswerForm::default(),
    );
    Ok(render(&SurveyPage {
        ctx: visitor.ctx,
        number: Some(asked.survey.case_number),
        title: asked.survey.case_title,
        form: Some(form),
        done: None,
    }))
}

async fn submit(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(typed): Form<AnswerForm>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let asked = match asked(&app, &visitor.ctx, &token).await? {
        Ok(asked) => asked,
        Err(closed) => return Ok(closed),
    };
    let result = match typed.draft() {
        Ok(draft) => answer::by_link(&app, &token, &draft).await,
        Err(err) => Err(err),
    };
    let mut page = SurveyPage {
        ctx: visitor.ctx,
        number: Some(asked.survey.case_number),
        title: asked.survey.case_title,
        form: None,
        done: None,
    };
    match result {
        Ok(_) => {
            page.done = Some(lang.t("survey-thanks"));
            Ok(render(&page))
        }
        Err(err @ ActionError::Conflict { .. }) => Ok(closed(page.ctx, &err)),
        Err(err @ ActionError::Validation(_)) => {
            let mut form =
                SurveyForm::new(&asked.settings, lang, format!("/surveys/{token}"), &typed);
            form.errors = crate::web::forms::messages(&err, lang);
            page.form = Some(form);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(err) => Err(WebError::action(err, lang)),
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/surveys/{token}", get(show).post(submit))
}
