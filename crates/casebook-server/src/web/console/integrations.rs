//! `/console/integrations` (administrators): webhook and chat-robot subscriptions through the
//! same actions as the API (`actions::integrations::subscriptions`): listed with their state,
//! made with a form (a webhook's secret is shown once, on the answer, which no cache keeps),
//! and one subscription's page with its delivery log, a test button, redelivery, switching it
//! on or off, and removing it.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::Named;
use casebook_domain::events::EventKind;
use serde_json::json;

use super::tables::fail;
use crate::actions::ActionError;
use crate::actions::integrations::log::{self, DeliveryView, TestResult};
use crate::actions::integrations::subscriptions::{self, SubscriptionInput, SubscriptionView};
use crate::app::AppState;
use crate::web::forms::{parse, refusal};
use crate::web::page::{Ctx, render_status};
use crate::web::posted::{Checked, Nothing};
use crate::web::session::{Staff, WebResult};

const LIST: &str = "/console/integrations";

#[derive(Template)]
#[template(path = "console/integrations.html")]
struct ListPage {
    ctx: Ctx,
    subscriptions: Vec<SubscriptionView>,
    kinds: Vec<&'static str>,
    events: Vec<&'static str>,
    secret: Option<String>,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/subscription.html")]
struct OnePage {
    ctx: Ctx,
    s: SubscriptionView,
    deliveries: Vec<DeliveryView>,
    test: Option<TestResult>,
    errors: Vec<String>,
}

impl OnePage {
    fn time(&self, at: &Option<jiff::Timestamp>) -> String {
        at.map(|t| self.ctx.time(t)).unwrap_or_default()
    }

    fn events(&self, names: &[String]) -> String {
        worded(&self.ctx, names)
    }
}

impl ListPage {
    fn events(&self, names: &[String]) -> String {
        worded(&self.ctx, names)
    }
}

/// Event types in the reader's words.
fn worded(ctx: &Ctx, names: &[String]) -> String {
    let words: Vec<String> = names
        .iter()
        .map(|n| ctx.t(&format!("event-{}", n.replace('.', "-"))))
        .collect();
    words.join(ctx.t("list-separator").as_str())
}

async fn list_page(
    app: &AppState,
    staff: &Staff,
    secret: Option<String>,
    errors: Vec<String>,
) -> WebResult<ListPage> {
    let page = casebook_store::PageRequest {
        limit: Some(200),
        cursor: None,
    };
    let subscriptions = subscriptions::list(app, &staff.0.who, &page)
        .await
        .map_err(fail(staff))?
        .items;
    Ok(ListPage {
        ctx: staff.0.ctx.clone(),
        subscriptions,
        kinds: vec!["webhook", "dingtalk", "wecom", "feishu"],
        events: EventKind::ALL
            .iter()
            .filter(|k| k.subscribable())
            .map(|k| k.as_str())
            .collect(),
        secret,
        errors,
    })
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /console/integrations`.
async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let shown = list_page(&app, &staff, None, Vec::new()).await?;
    Ok(render_status(StatusCode::OK, &shown))
}

/// The subscription a form describes (repeated `events` and `severities`).
fn input_of(values: &[(String, String)]) -> Result<SubscriptionInput, ActionError> {
    let one = |name: &str| {
        values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let many = |name: &str| {
        values
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let severities: Vec<u8> = many("severities")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let secret = one("secret");
    parse(json!({
        "name": one("name"), "kind": one("kind"), "url": one("url"),
        "secret": (!secret.is_empty()).then_some(secret), "keyword": one("keyword"),
        "language": one("language"), "events": many("events"),
        "filters": {"severities": severities},
        "mention_duty": one("mention_duty") == "on", "enabled": true,
    }))
}

/// `POST /console/integrations`: makes a subscription; a webhook's secret is shown once.
async fn create(
    State(app): State<AppState>,
    Checked(staff, values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let result = match input_of(&values) {
        Ok(input) => subscriptions::create(&app, &staff.0.who, input).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(saved) => Ok(no_store(render_status(
            StatusCode::OK,
            &list_page(&app, &staff, saved.secret, Vec::new()).await?,
        ))),
        Err(err) => {
            let (status, errors) = refusal(&staff.0, err)?;
            Ok(render_status(
                status,
                &list_page(&app, &staff, None, errors).await?,
            ))
        }
    }
}

async fn one_page(
    app: &AppState,
    staff: &Staff,
    id: i64,
    test: Option<TestResult>,
    errors: Vec<String>,
) -> WebResult<OnePage> {
    let who = &staff.0.who;
    let s = subscriptions::get(app, who, id)
        .await
        .map_err(fail(staff))?;
    let page = casebook_store::PageRequest {
        limit: Some(50),
        cursor: None,
    };
    let deliveries = log::deliveries(app, who, id, false, &page)
        .await
        .map_err(fail(staff))?
        .items;
    Ok(OnePage {
        ctx: staff.0.ctx.clone(),
        s,
        deliveries,
        test,
        errors,
    })
}

/// `GET /console/integrations/{id}`: the subscription and its last 50 deliveries.
async fn show(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    staff: Staff,
) -> WebResult<Response> {
    Ok(render_status(
        StatusCode::OK,
        &one_page(&app, &staff, id, None, Vec::new()).await?,
    ))
}

/// `POST /console/integrations/{id}/test`: sends a ping now and shows what came back.
async fn test(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    let result = log::test(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(render_status(
        StatusCode::OK,
        &one_page(&app, &staff, id, Some(result), Vec::new()).await?,
    ))
}

/// `POST /console/integrations/{id}/deliveries/{delivery}/redeliver`.
async fn redeliver(
    State(app): State<AppState>,
    Path((id, delivery)): Path<(i64, i64)>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    log::redeliver(&app, &staff.0.who, id, delivery)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(&format!("{LIST}/{id}")).into_response())
}

/// `POST /console/integrations/{id}/switch`: on when off (clearing its failures), else off.
async fn switch(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    let who = &staff.0.who;
    let s = subscriptions::get(&app, who, id)
        .await
        .map_err(fail(&staff))?;
    let input = SubscriptionInput {
        name: s.name,
        kind: s.kind,
        url: s.url,
        secret: None,
        keyword: s.keyword,
        language: s.language,
        events: s.events,
        filters: s.filters,
        mention_duty: s.mention_duty,
        enabled: !s.enabled,
        version: Some(s.version),
    };
    match subscriptions::update(&app, who, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("{LIST}/{id}")).into_response()),
        Err(err) => {
            let (status, errors) = refusal(&staff.0, err)?;
            Ok(render_status(
                status,
                &one_page(&app, &staff, id, None, errors).await?,
            ))
        }
    }
}

/// `POST /console/integrations/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    subscriptions::delete(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(LIST).into_response())
}

/// The routes of the integration pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list).post(create))
        .route("/console/integrations/{id}", get(show))
        .route("/console/integrations/{id}/test", post(test))
        .route("/console/integrations/{id}/switch", post(switch))
        .route("/console/integrations/{id}/delete", post(delete))
        .route(
            "/console/integrations/{id}/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
}
