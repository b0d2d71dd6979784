//! The console's queues: my cases, unassigned, a tier, breaching soon (nearest SLA deadline
//! first) and all open cases, with filters, counts and saved views. `?fragment=1` returns only
//! the table, which the page script fetches again when the live-update stream says cases changed.

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::case::Case;
use casebook_domain::{Named, Severity, Status, Tier};
use casebook_store::PageRequest;
use casebook_store::case_list::{CaseFilter, OwnerFilter};
use casebook_store::saved_views::SavedView;
use serde::Deserialize;

use crate::actions::{accounts::saved_views, accounts::users, cases, cases::sla};
use crate::app::AppState;
use crate::edge::queries::CaseQuery;
use crate::web::choices;
use crate::web::page::{Ctx, render};
use crate::web::session::{Staff, Viewer, WebResult};

/// Open statuses: every status but closed and cancelled.
pub const OPEN: [Status; 5] = [
    Status::New,
    Status::Assigned,
    Status::InProgress,
    Status::AwaitingCustomer,
    Status::SolutionProposed,
];

/// The "breaching soon" tab counts the clocks due within this time (and those already breached).
const BREACHING_WITHIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Counts above this show as "999+".
const COUNT_CAP: i64 = 1000;

/// The queue page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    queue: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    organization: Option<String>,
    product: Option<String>,
    owner: Option<String>,
    tier: Option<String>,
    channel: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    fragment: Option<String>,
}

/// A row of a queue.
pub struct Row {
    /// The case.
    pub case: Case,
    /// The nearest running SLA deadline (breaching-soon queue only).
    pub deadline: Option<(jiff::Timestamp, bool)>,
}

/// A queue tab.
pub struct Tab {
    /// `mine`, `unassigned`, …
    pub id: &'static str,
    /// Cases in it (capped).
    pub count: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage {
    ctx: Ctx,
    queue: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    next: Option<String>,
    f: QueueQuery,
    query_string: String,
    views: Vec<SavedView>,
    statuses: &'static [Status],
    severities: [Severity; 4],
    tiers: &'static [Tier],
    channels: &'static [casebook_domain::Channel],
    organizations: Vec<(String, String)>,
    products: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/queue_rows.html")]
struct QueueRows {
    ctx: Ctx,
    queue: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
    query_string: String,
}

fn queue_id(raw: Option<&str>) -> &'static str {
    match raw {
        Some("unassigned") => "unassigned",
        Some("tier") => "tier",
        Some("breaching") => "breaching",
        Some("all") => "all",
        _ => "mine",
    }
}

fn empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|v| !v.trim().is_empty())
}

impl QueueQuery {
    fn filter(
        &self,
        viewer: &Viewer,
        queue: &str,
    ) -> Result<CaseFilter, crate::actions::ActionError> {
        let q = CaseQuery {
            status: empty(&self.status),
            severity: empty(&self.severity),
            organization: empty(&self.organization).and_then(|v| v.parse().ok()),
            owner: empty(&self.owner),
            tier: empty(&self.tier),
            channel: empty(&self.channel),
            product: empty(&self.product).and_then(|v| v.parse().ok()),
            q: empty(&self.q),
            ..CaseQuery::default()
        };
        let mut filter = q.filter(viewer.who.user_id())?;
        if filter.statuses.is_empty() {
            filter.statuses = OPEN.to_vec();
        }
        match queue {
            "mine" => filter.owner = viewer.who.user_id().map(OwnerFilter::User),
            "unassigned" => filter.owner = Some(OwnerFilter::Nobody),
            "tier" if filter.tiers.is_empty() => filter.tiers = vec![Tier::L1],
            _ => {}
        }
        Ok(filter)
    }
}

async fn rows_of(
    app: &AppState,
    viewer: &Viewer,
    queue: &str,
    filter: CaseFilter,
    cursor: Option<String>,
) -> Result<(Vec<Row>, Option<String>), crate::actions::ActionError> {
    let page = PageRequest {
        limit: Some(50),
        cursor,
    };
    if queue == "breaching" {
        let clocks = sla::queue(app, &viewer.who, &page).await?;
        let mut rows: Vec<Row> = Vec::new();
        for item in clocks.items {
            if rows.iter().any(|r| r.case.number == item.number) {
                continue;
            }
            let case = cases::get(app, &viewer.who, item.number).await?;
            rows.push(Row {
                case,
                deadline: Some((item.deadline, item.breached)),
            });
        }
        return Ok((rows, clocks.next_cursor));
    }
    let page = cases::list(app, &viewer.who, filter, &page).await?;
    Ok((
        page.items
            .into_iter()
            .map(|case| Row {
                case,
                deadline: None,
            })
            .collect(),
        page.next_cursor,
    ))
}

/// `GET /console`.
pub async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(f): Query<QueueQuery>,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let queue = queue_id(f.queue.as_deref());
    let query_string = without(raw.as_deref().unwrap_or_default(), &["cursor", "fragment"]);
    let mut filter = match f.filter(&viewer, queue) {
        Ok(filter) => filter,
        Err(err) => return Err(viewer.fail(err)),
    };
    // "My tier": the tier this user leads (L1 if none), unless another one is chosen.
    let led = match viewer.who.user_id() {
        Some(id) => {
            users::get(&app, &viewer.who, id)
                .await
                .map_err(|e| viewer.fail(e))?
                .leads_tier
        }
        None => None,
    };
    if queue == "tier"
        && empty(&f.tier).is_none()
        && let Some(led) = led
    {
        filter.tiers = vec![led];
    }
    let (rows, next) = rows_of(&app, &viewer, queue, filter.clone(), f.cursor.clone())
        .await
        .map_err(|e| viewer.fail(e))?;
    if f.fragment.is_some() {
        return Ok(render(&QueueRows {
            ctx: viewer.ctx,
            queue,
            rows,
            next,
            query_string,
        }));
    }
    let mut tabs = Vec::new();
    for id in ["mine", "unassigned", "tier", "breaching", "all"] {
        let count = if id == "breaching" {
            sla::due_count(&app, &viewer.who, BREACHING_WITHIN, COUNT_CAP).await
        } else {
            let mut base = QueueQuery::default()
                .filter(&viewer, id)
                .map_err(|e| viewer.fail(e))?;
            if id == "tier"
                && let Some(led) = led
            {
                base.tiers = vec![led];
            }
            cases::count(&app, &viewer.who, &base, COUNT_CAP).await
        }
        .map_err(|e| viewer.fail(e))?;
        let count = Some(count);
        tabs.push(Tab { id, count });
    }
    let organizations = choices::organization_options(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let products = choices::product_options(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let views = saved_views::list(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&QueuePage {
        ctx: viewer.ctx,
        queue,
        tabs,
        rows,
        next,
        f,
        query_string,
        views,
        statuses: Status::ALL,
        severities: Severity::ALL,
        tiers: Tier::ALL,
        channels: casebook_domain::Channel::ALL,
        organizations,
        products,
    }))
}

/// The query string without some keys.
fn without(raw: &str, keys: &[&str]) -> String {
    raw.split('&')
        .filter(|p| !p.is_empty() && !keys.iter().any(|k| p.split('=').next() == Some(k)))
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Deserialize)]
pub struct SaveView {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /console/views`: saves the current filters under a name.
pub async fn save_view(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Form(form): Form<SaveView>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let query = without(&form.query, &["cursor", "fragment"]);
    saved_views::save(&app, &viewer.who, &form.name, &query)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/console?{query}")).into_response())
}

#[derive(Deserialize)]
pub struct DeleteView {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    id: i64,
}

/// `POST /console/views/delete`.
pub async fn delete_view(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Form(form): Form<DeleteView>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    saved_views::delete(&app, &viewer.who, form.id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to("/console").into_response())
}

/// Helpers the queue templates call.
impl QueuePage {
    fn selected(&self, value: &Option<String>, candidate: &str) -> bool {
        value
            .as_deref()
            .is_some_and(|v| v.split(',').any(|x| x == candidate))
    }
}
