//! `/console/duty` (值班): who is on duty now and next, the pages to the duty engineer of the
//! last week with a button to acknowledge them, the rota of the coming two weeks, and — for
//! managers and administrators — forms to add shifts, put people on duty and swap a shift with
//! a reason; everyone sets how the chat robots @-mention them. All through the same actions as
//! the API (`actions::duty`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::case::NamedRef;
use casebook_domain::duty::ShiftDraft;
use casebook_domain::ids::UserId;
use serde::Deserialize;
use serde_json::json;

use super::tables::fail;
use crate::actions::ActionResult;
use crate::actions::duty::pages::{self, PageView};
use crate::actions::duty::rota::{self, AssignmentInput, ContactInput, Rota, SwapInput};
use crate::app::AppState;
use crate::web::forms::{parse, refusal};
use crate::web::page::{Ctx, render_status};
use crate::web::posted::{Checked, Nothing};
use crate::web::session::{Staff, WebResult};

const PAGE: &str = "/console/duty";

#[derive(Template)]
#[template(path = "console/duty.html")]
struct DutyPage {
    ctx: Ctx,
    rota: Rota,
    pages: Vec<PageView>,
    people: Vec<NamedRef<UserId>>,
    manages: bool,
    errors: Vec<String>,
}

impl DutyPage {
    fn person(&self, id: &i64) -> String {
        self.people
            .iter()
            .find(|p| p.id.get() == *id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn name(&self, who: &Option<NamedRef<UserId>>) -> String {
        who.as_ref()
            .map(|w| w.name.clone())
            .unwrap_or_else(|| self.ctx.t("duty-nobody"))
    }
}

async fn page(app: &AppState, staff: &Staff, errors: Vec<String>) -> WebResult<DutyPage> {
    let who = &staff.0.who;
    let rota = rota::rota(app, who, None, Some(14))
        .await
        .map_err(fail(staff))?;
    let pages = pages::recent(app, who).await.map_err(fail(staff))?;
    let people = rota::people(app, who).await.map_err(fail(staff))?;
    let manages = who
        .actor()
        .is_some_and(|a| a.may(casebook_domain::policy::Permission::ManageRota));
    Ok(DutyPage {
        ctx: staff.0.ctx.clone(),
        rota,
        pages,
        people,
        manages,
        errors,
    })
}

/// `GET /console/duty`.
async fn show(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    Ok(render_status(
        StatusCode::OK,
        &page(&app, &staff, Vec::new()).await?,
    ))
}

/// Back to the page after a form: the page again with the refusal, or a redirect.
async fn after(app: &AppState, staff: &Staff, result: ActionResult<()>) -> WebResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(PAGE).into_response()),
        Err(err) => {
            let (status, errors) = refusal(&staff.0, err)?;
            Ok(render_status(status, &page(app, staff, errors).await?))
        }
    }
}

/// What the shift form holds.
#[derive(Debug, Deserialize)]
pub struct ShiftForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    days: String,
}

/// `POST /console/duty/shifts`.
async fn add_shift(
    State(app): State<AppState>,
    Checked(staff, f): Checked<Staff, ShiftForm>,
) -> WebResult<Response> {
    let draft = parse::<ShiftDraft>(
        json!({"team": f.team, "name": f.name, "starts": f.starts.trim(), "ends": f.ends.trim(), "days": f.days}),
    );
    let result = match draft {
        Ok(draft) => rota::create_shift(&app, &staff.0.who, draft)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    after(&app, &staff, result).await
}

/// What the assignment and swap forms hold.
#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    shift_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    engineer_id: String,
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    reason: String,
}

fn id_or_null(raw: &str) -> serde_json::Value {
    raw.trim()
        .parse::<i64>()
        .map_or(serde_json::Value::Null, Into::into)
}

/// `POST /console/duty/assign`: one occurrence.
async fn assign(
    State(app): State<AppState>,
    Checked(staff, f): Checked<Staff, AssignForm>,
) -> WebResult<Response> {
    let input = parse::<AssignmentInput>(
        json!({"shift_id": id_or_null(&f.shift_id), "date": f.date.trim(),
        "engineer_id": id_or_null(&f.engineer_id), "manager_id": id_or_null(&f.manager_id)}),
    );
    let result = match input {
        Ok(input) => rota::assign(&app, &staff.0.who, vec![input])
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    after(&app, &staff, result).await
}

/// `POST /console/duty/swap`: one occurrence's engineer, with a reason.
async fn swap(
    State(app): State<AppState>,
    Checked(staff, f): Checked<Staff, AssignForm>,
) -> WebResult<Response> {
    let shift = f.shift_id.trim().parse::<i64>().unwrap_or_default();
    let input = parse::<SwapInput>(
        json!({"engineer_id": id_or_null(&f.engineer_id), "manager_id": id_or_null(&f.manager_id), "reason": f.reason}),
    );
    let date = parse::<jiff::civil::Date>(json!(f.date.trim()));
    let result = match (input, date) {
        (Ok(input), Ok(date)) => rota::swap(&app, &staff.0.who, shift, date, input).await,
        (Err(err), _) | (_, Err(err)) => Err(err),
    };
    after(&app, &staff, result).await
}

/// `POST /console/duty/pages/{id}/acknowledge`.
async fn acknowledge(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    let result = pages::acknowledge(&app, &staff.0.who, id).await.map(|_| ());
    after(&app, &staff, result).await
}

/// What the contact form holds.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    dingtalk_id: String,
    #[serde(default)]
    wecom_id: String,
    #[serde(default)]
    feishu_id: String,
}

/// `POST /console/duty/contact`: how robots mention the signed-in member of staff.
async fn contact(
    State(app): State<AppState>,
    Checked(staff, f): Checked<Staff, ContactForm>,
) -> WebResult<Response> {
    let me = staff.0.who.user_id().map(|u| u.get()).unwrap_or_default();
    let input = ContactInput {
        mobile: f.mobile,
        dingtalk_id: f.dingtalk_id,
        wecom_id: f.wecom_id,
        feishu_id: f.feishu_id,
    };
    let result = rota::set_contact(&app, &staff.0.who, me, input)
        .await
        .map(|_| ());
    after(&app, &staff, result).await
}

/// The routes of the duty page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(show))
        .route("/console/duty/shifts", post(add_shift))
        .route("/console/duty/assign", post(assign))
        .route("/console/duty/swap", post(swap))
        .route("/console/duty/contact", post(contact))
        .route("/console/duty/pages/{id}/acknowledge", post(acknowledge))
}
