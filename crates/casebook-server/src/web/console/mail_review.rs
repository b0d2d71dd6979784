//! `/console/mail/{id}`: one stored message for a reviewer, with its text and the three
//! decisions on a quarantined one (release into a case, open a case, discard). A refused
//! decision comes back on the same page with what was typed and the reason.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::CaseNumber;
use serde::Deserialize;

use super::tables::fail;
use crate::actions::ActionError;
use crate::actions::mail::review::{self, MailDetail, OpenFromMail};
use crate::app::AppState;
use crate::web::choices;
use crate::web::page::{Ctx, render, render_status};
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

#[derive(Template)]
#[template(path = "console/mail_message.html")]
struct MessagePage {
    ctx: Ctx,
    m: MailDetail,
    organizations: Vec<(String, String)>,
    error: Option<String>,
    case_number: String,
    reason: String,
}

async fn page(
    app: &AppState,
    staff: &Staff,
    id: i64,
    error: Option<String>,
    typed: (String, String),
) -> WebResult<MessagePage> {
    let m = review::read(app, &staff.0.who, id)
        .await
        .map_err(fail(staff))?;
    let organizations = choices::organization_options(app, &staff.0.who)
        .await
        .map_err(fail(staff))?;
    Ok(MessagePage {
        ctx: staff.0.ctx.clone(),
        m,
        organizations,
        error,
        case_number: typed.0,
        reason: typed.1,
    })
}

/// `GET /console/mail/{id}`.
pub async fn show(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(render(
        &page(&app, &staff, id, None, Default::default()).await?,
    ))
}

/// `GET /console/mail/{id}/raw`: the raw message as a download.
pub async fn raw(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let raw = review::raw(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(crate::edge::eml_download(id, raw))
}

/// A review form (each form sends the fields it has).
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    organization_id: Option<i64>,
    #[serde(default)]
    severity: Option<u8>,
    #[serde(default)]
    reason: String,
}

/// What a refused decision shows: the page again with the reason, or an error page.
async fn refused(
    app: &AppState,
    staff: &Staff,
    id: i64,
    err: ActionError,
    form: ReviewForm,
) -> WebResult<Response> {
    let status = match &err {
        ActionError::Conflict { .. } => axum::http::StatusCode::CONFLICT,
        ActionError::Validation(_) => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ActionError::NotFound("case") => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        _ => return Err(fail(staff)(err)),
    };
    let shown = page(
        app,
        staff,
        id,
        Some(crate::web::forms::messages(&err, staff.0.ctx.lang).join(" ")),
        (form.case_number, form.reason),
    )
    .await?;
    Ok(render_status(status, &shown))
}

/// `POST /console/mail/{id}/release`.
pub async fn release(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, form): Checked<Staff, ReviewForm>,
) -> WebResult<Response> {
    let result = match form.case_number.trim().parse::<CaseNumber>() {
        Ok(number) => review::release(&app, &staff.0.who, id, number)
            .await
            .map(|_| ()),
        Err(_) => Err(ActionError::field(
            "case_number",
            "invalid",
            "a case number such as 2026-00042",
        )),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/mail/{id}")).into_response()),
        Err(err) => refused(&app, &staff, id, err, form).await,
    }
}

/// `POST /console/mail/{id}/open`.
pub async fn open(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, form): Checked<Staff, ReviewForm>,
) -> WebResult<Response> {
    let how: Result<OpenFromMail, ActionError> = serde_json::from_value(serde_json::json!({
        "organization_id": form.organization_id, "severity": form.severity,
    }))
    .map_err(|e| ActionError::field("organization_id", "invalid", e.to_string()));
    let result = match how {
        Ok(how) => review::open_case(&app, &staff.0.who, id, how).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(case) => Ok(Redirect::to(&format!("/console/cases/{}", case.number)).into_response()),
        Err(err) => refused(&app, &staff, id, err, form).await,
    }
}

/// `POST /console/mail/{id}/discard`.
pub async fn discard(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, form): Checked<Staff, ReviewForm>,
) -> WebResult<Response> {
    match review::discard(&app, &staff.0.who, id, &form.reason).await {
        Ok(_) => Ok(Redirect::to("/console/mail").into_response()),
        Err(err) => refused(&app, &staff, id, err, form).await,
    }
}
