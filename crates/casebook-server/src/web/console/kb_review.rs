//! The review steps of an article from its console page (submit, publish, reject with a note,
//! retire, revise), each a POST form with the CSRF token and the version the page showed,
//! through the same actions as the API; and "create an article from this case" on a solved
//! case's page. A refusal (a stale version, the author reviewing their own article, a step the
//! state does not allow) shows the page again with the reason in the viewer's language.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::ids::ArticleId;
use serde::Deserialize;
use serde_json::json;

use super::case::Console;
use super::kb::{article_id, view_page};
use crate::actions::knowledge::review::{self, RejectInput, StepInput};
use crate::actions::{ActionError, knowledge::from_case};
use crate::app::AppState;
use crate::web::case_page;
use crate::web::forms::{Typed, parse, refusal};
use crate::web::page::render_status;
use crate::web::session::{Staff, Viewer, WebResult};

/// A review step's form.
#[derive(Debug, Deserialize)]
pub struct StepForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// The version the page showed.
    #[serde(default)]
    version: String,
    /// A rejection's note.
    #[serde(default)]
    note: String,
}

/// How a refusal of the knowledge base is told: a stale version and the lifecycle's codes in
/// the viewer's language, other refusals as the form helpers tell them.
pub fn kb_refusal(viewer: &Viewer, err: ActionError) -> WebResult<(StatusCode, Vec<String>)> {
    let ctx = &viewer.ctx;
    match &err {
        ActionError::StaleVersion => Ok((StatusCode::CONFLICT, vec![ctx.t("kb-stale")])),
        ActionError::Conflict { code, .. } if ctx.lang.has(&format!("kb-error-{code}")) => {
            Ok((StatusCode::CONFLICT, vec![ctx.tk("kb-error", code)]))
        }
        _ => refusal(viewer, err),
    }
}

async fn run_step(
    app: &AppState,
    viewer: &Viewer,
    id: ArticleId,
    step: &str,
    form: &StepForm,
) -> Result<(), ActionError> {
    let version = form.version.trim().parse::<i64>().ok();
    let who = &viewer.who;
    let input = StepInput { version };
    match step {
        "submit" => review::submit(app, who, id, input).await,
        "publish" => review::publish(app, who, id, input).await,
        "retire" => review::retire(app, who, id, input).await,
        "revise" => review::revise(app, who, id, input).await,
        "reject" => {
            let input: RejectInput = parse(json!({"note": form.note.trim(), "version": version}))?;
            review::reject(app, who, id, input).await
        }
        _ => return Err(ActionError::NotFound("review step")),
    }
    .map(|_| ())
}

/// `POST /console/kb/{id}/{step}`: a review step.
pub async fn step(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path((raw, step)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> WebResult<Response> {
    let id = article_id(&viewer, &raw)?;
    if !matches!(
        step.as_str(),
        "submit" | "publish" | "reject" | "retire" | "revise"
    ) {
        return Err(viewer.not_found());
    }
    viewer.check_csrf(Some(&form.csrf))?;
    match run_step(&app, &viewer, id, &step, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/kb/{id}?done={step}")).into_response()),
        Err(err) => {
            let (status, errors) = kb_refusal(&viewer, err)?;
            let page = view_page(&app, &viewer, id, errors, form.note, String::new())
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /console/cases/{number}/article`: a draft from a solved case, then its page.
pub async fn from_case(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    Form(form): Form<TokenForm>,
) -> WebResult<Response> {
    let number = viewer.case_number(&raw)?;
    viewer.check_csrf(Some(&form.csrf))?;
    match from_case::draft_from_case(&app, &viewer.who, number).await {
        Ok(article) => {
            Ok(Redirect::to(&format!("/console/kb/{}?done=created", article.id)).into_response())
        }
        Err(ActionError::Conflict { code, message }) => {
            let key = format!("kb-error-{code}");
            let message = if viewer.ctx.lang.has(&key) {
                viewer.ctx.t(&key)
            } else {
                message
            };
            let err = ActionError::Conflict { code, message };
            case_page::refused::<Console>(&app, &viewer, number, err, Typed::default()).await
        }
        Err(err) => Err(viewer.fail(err)),
    }
}
