//! The console's satisfaction pages: the results (`/console/surveys`) per engineer, team,
//! organisation, product or month with the response rate beside each and the monthly trend;
//! a download of the answers one by one (CSV or XLSX);
//! the follow-ups of unhappy answers (`/console/surveys/follow-ups`), each completed with a
//! note; and the admins' survey settings (`/console/surveys/settings`, in `survey_settings.rs`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::survey::{Figures, FollowUp, Grouping, MonthSatisfaction};
use casebook_store::PageRequest;
use serde::Deserialize;

use super::survey_settings;
use crate::actions::surveys::follow_ups::{self, FollowUpQuery};
use crate::actions::surveys::results::{self, SurveyQuery};
use crate::app::AppState;
use crate::web::page::{Ctx, render, render_status};
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

/// The console's survey routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/surveys", get(show))
        .route("/console/surveys/follow-ups", get(follow_up_list))
        .route("/console/surveys/follow-ups/{id}/complete", post(complete))
        .route(
            "/console/surveys/settings",
            get(survey_settings::show).post(survey_settings::save),
        )
}

#[derive(Template)]
#[template(path = "console/surveys.html")]
struct ResultsPage {
    ctx: Ctx,
    grouping: Grouping,
    groupings: Vec<Grouping>,
    from: String,
    to: String,
    figures: Vec<Figures>,
    months: Vec<MonthSatisfaction>,
    is_admin: bool,
    /// The formats of the answers' download.
    export_formats: [(&'static str, &'static str); 3],
}

impl ResultsPage {
    fn label(&self, f: &Figures) -> String {
        f.label
            .clone()
            .or_else(|| f.key.clone())
            .unwrap_or_else(|| self.ctx.t("survey-group-none"))
    }

    fn grouping_label(&self, g: &Grouping) -> String {
        self.ctx.t(&format!("survey-group-{}", g.as_str()))
    }

    fn mean(&self, value: &Option<f64>) -> String {
        value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
    }

    fn rate(&self, value: &f64) -> String {
        format!("{value:.1}%")
    }
}

/// The filters of the results page.
#[derive(Debug, Default, Deserialize)]
pub struct ResultsQuery {
    #[serde(default)]
    group_by: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn day(raw: &str) -> Option<jiff::civil::Date> {
    raw.trim().parse().ok()
}

/// `GET /console/surveys`.
async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(q): Query<ResultsQuery>,
) -> WebResult<Response> {
    let grouping = Grouping::parse(q.group_by.trim()).unwrap_or(Grouping::Month);
    let query = SurveyQuery {
        from: day(&q.from),
        to: day(&q.to),
        ..SurveyQuery::default()
    };
    let figures = results::grouped(&app, &viewer.who, grouping, &query)
        .await
        .map_err(|e| viewer.fail(e))?;
    let months = results::monthly(&app, &viewer.who, &query)
        .await
        .map_err(|e| viewer.fail(e))?;
    let groupings = [
        Grouping::Month,
        Grouping::Engineer,
        Grouping::Team,
        Grouping::Organization,
        Grouping::Product,
    ]
    .to_vec();
    Ok(render(&ResultsPage {
        is_admin: viewer.ctx.is_admin(),
        ctx: viewer.ctx.clone(),
        grouping,
        groupings,
        from: query.from.map(|d| d.to_string()).unwrap_or_default(),
        to: query.to.map(|d| d.to_string()).unwrap_or_default(),
        figures,
        months,
        export_formats: super::export_form::FORMATS,
    }))
}

#[derive(Template)]
#[template(path = "console/survey_follow_ups.html")]
struct FollowUpsPage {
    ctx: Ctx,
    follow_ups: Vec<FollowUp>,
    open_only: bool,
    now: Timestamp,
    errors: Vec<String>,
}

impl FollowUpsPage {
    fn reason(&self, f: &FollowUp) -> String {
        self.ctx.t(&format!("survey-reason-{}", f.reason.as_str()))
    }

    fn overdue(&self, f: &FollowUp) -> bool {
        f.overdue(self.now)
    }
}

/// Whether the list shows only open follow-ups.
#[derive(Debug, Default, Deserialize)]
pub struct FollowUpsQuery {
    #[serde(default)]
    all: Option<String>,
}

async fn follow_ups_page(
    app: &AppState,
    viewer: &crate::web::session::Viewer,
    open_only: bool,
    errors: Vec<String>,
) -> Result<FollowUpsPage, crate::actions::ActionError> {
    let page = PageRequest {
        limit: Some(200),
        cursor: None,
    };
    let query = FollowUpQuery {
        open: open_only,
        mine: false,
    };
    let follow_ups = follow_ups::list(app, &viewer.who, query, &page)
        .await?
        .items;
    Ok(FollowUpsPage {
        ctx: viewer.ctx.clone(),
        follow_ups,
        open_only,
        now: app.clock.now(),
        errors,
    })
}

/// `GET /console/surveys/follow-ups` (open ones; `?all=1`: all).
async fn follow_up_list(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(q): Query<FollowUpsQuery>,
) -> WebResult<Response> {
    let page = follow_ups_page(&app, &viewer, q.all.is_none(), Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

/// The note of a completed follow-up.
#[derive(Debug, Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    note: String,
}

/// `POST /console/surveys/follow-ups/{id}/complete`.
async fn complete(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), form): Checked<Staff, CompleteForm>,
) -> WebResult<Response> {
    match follow_ups::complete(&app, &viewer.who, id, &form.note).await {
        Ok(_) => Ok(Redirect::to("/console/surveys/follow-ups").into_response()),
        Err(err) => {
            let (status, errors) = crate::web::forms::refusal(&viewer, err)?;
            let page = follow_ups_page(&app, &viewer, true, errors)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}
