//! The customer's satisfaction surveys (`/portal/surveys`): those asking them (a customer
//! administrator: the organisation's), pending
//! first in the list with their expiry, answered ones with their scores; a pending one is
//! answered on its own page (`/portal/surveys/{id}`) with the questions of the mail's page.
//! Another customer's survey does not exist here.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::Timestamp;
use casebook_domain::survey::Survey;
use casebook_store::PageRequest;

use crate::actions::surveys::{answer, read, settings};
use crate::app::AppState;
use crate::web::forms::refusal;
use crate::web::page::{Ctx, render, render_status};
use crate::web::posted::Checked;
use crate::web::session::{Customer, WebResult};
use crate::web::survey_form::{AnswerForm, SurveyForm};

#[derive(Template)]
#[template(path = "portal/surveys.html")]
struct ListPage {
    ctx: Ctx,
    surveys: Vec<Survey>,
    now: Timestamp,
}

impl ListPage {
    fn open(&self, s: &Survey) -> bool {
        s.answerable(self.now)
    }

    fn score(&self, score: &Option<u8>) -> String {
        score.map_or_else(|| "—".to_owned(), |s| format!("{s} / 5"))
    }
}

/// `GET /portal/surveys`.
pub async fn list(State(app): State<AppState>, Customer(viewer): Customer) -> WebResult<Response> {
    let page = PageRequest {
        limit: Some(100),
        cursor: None,
    };
    let surveys = read::list(&app, &viewer.who, &page)
        .await
        .map_err(|e| viewer.fail(e))?
        .items;
    Ok(render(&ListPage {
        ctx: viewer.ctx.clone(),
        surveys,
        now: app.clock.now(),
    }))
}

#[derive(Template)]
#[template(path = "portal/survey.html")]
struct AnswerPage {
    ctx: Ctx,
    now: Timestamp,
    survey: Survey,
    form: Option<SurveyForm>,
    done: Option<String>,
}

impl AnswerPage {
    fn still_open(&self) -> bool {
        self.survey.answerable(self.now)
    }
}

async fn answer_page(
    app: &AppState,
    viewer: &crate::web::session::Viewer,
    id: i64,
    typed: &AnswerForm,
) -> Result<AnswerPage, crate::actions::ActionError> {
    let (survey, asks) = read::asking(app, &viewer.who, id).await?;
    let questions = settings::get(app, &viewer.who).await?;
    let lang = viewer.ctx.lang;
    let form = (asks && survey.answerable(app.clock.now())).then(|| {
        SurveyForm::new(
            &questions.settings,
            lang,
            format!("/portal/surveys/{id}"),
            typed,
        )
    });
    Ok(AnswerPage {
        ctx: viewer.ctx.clone(),
        now: app.clock.now(),
        survey,
        form,
        done: None,
    })
}

/// `GET /portal/surveys/{id}`.
pub async fn show(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let page = answer_page(&app, &viewer, id, &AnswerForm::default())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

/// `POST /portal/surveys/{id}`: the answer; back to the list when taken, the form again with
/// the reasons when refused.
pub async fn submit(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Customer(viewer), typed): Checked<Customer, AnswerForm>,
) -> WebResult<Response> {
    let result = match typed.draft() {
        Ok(draft) => answer::as_customer(&app, &viewer.who, id, &draft).await,
        Err(err) => Err(err),
    };
    let err = match result {
        Ok(_) => return Ok(Redirect::to("/portal/surveys").into_response()),
        Err(err) => err,
    };
    let (status, errors) = refusal(&viewer, err)?;
    let mut page = answer_page(&app, &viewer, id, &typed)
        .await
        .map_err(|e| viewer.fail(e))?;
    match page.form.as_mut() {
        Some(form) => form.errors = errors,
        None => page.done = Some(errors.join(" ")),
    }
    Ok(render_status(
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            status
        } else {
            StatusCode::CONFLICT
        },
        &page,
    ))
}
