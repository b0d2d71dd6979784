//! The console's queues: my cases, unassigned, a tier, breaching soon (nearest SLA deadline
//! first) and all open cases, with filters, counts of cases, saved views, the time left on each
//! case's nearest target (sortable), the columns and density each engineer chose, and the
//! selection that bulk actions (`bulk.rs`) act on. `?fragment=1` returns only the table, which
//! the page script fetches again when the live-update stream says cases changed.

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::case::Case;
use casebook_domain::users::User;
use casebook_domain::{Named, Severity, Status, Tier};
use casebook_store::PageRequest;
use casebook_store::case_list::{CaseFilter, OwnerFilter};
use casebook_store::case_queue::QueueOrder;
use casebook_store::saved_views::SavedView;
use casebook_store::users::UserFilter;
use serde::Deserialize;

use crate::actions::accounts::queue_prefs::{self, QueueSetup};
use crate::actions::cases::TimeLeft;
use crate::actions::{accounts::saved_views, accounts::users, cases};
use crate::app::AppState;
use crate::edge::queries::CaseQuery;
use crate::web::choices;
use crate::web::console::export_form;
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

/// The "breaching soon" tab holds the cases with a clock due within this time (or breached).
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
    /// `due` (nearest deadline first) or `newest`.
    sort: Option<String>,
}

/// A row of a queue.
pub struct Row {
    /// The case.
    pub case: Case,
    /// The time left on its nearest running SLA target.
    pub time_left: Option<TimeLeft>,
    /// The time left as text.
    pub left_text: String,
}

impl Row {
    fn new(case: Case, time_left: Option<TimeLeft>, ctx: &Ctx) -> Row {
        let left_text = time_left.map(|l| left_text(l, ctx)).unwrap_or_default();
        Row {
            case,
            time_left,
            left_text,
        }
    }
}

/// "2h 10m left" or "overdue by 3d 4h 5m", in the page's language, as the page's script writes
/// it when it keeps the countdown current.
fn left_text(left: TimeLeft, ctx: &Ctx) -> String {
    let m = left.minutes_left.unsigned_abs();
    let (d, h, mm) = (m / 1440, (m % 1440) / 60, m % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(ctx.t1("queue-span-days", "n", d));
    }
    if d > 0 || h > 0 {
        parts.push(ctx.t1("queue-span-hours", "n", h));
    }
    parts.push(ctx.t1("queue-span-minutes", "n", mm));
    let span = parts.join(&ctx.t("queue-span-separator"));
    if left.minutes_left < 0 {
        ctx.t1("queue-overdue-by", "span", span)
    } else {
        ctx.t1("queue-time-left", "span", span)
    }
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
    table: Table,
    f: QueueQuery,
    views: Vec<SavedView>,
    statuses: &'static [Status],
    severities: [Severity; 4],
    tiers: &'static [Tier],
    channels: &'static [casebook_domain::Channel],
    organizations: Vec<(String, String)>,
    products: Vec<(String, String)>,
    staff: Vec<User>,
    columns: [&'static str; 10],
    densities: [&'static str; 2],
    bulk_kinds: [&'static str; 5],
    export_cases: Vec<(&'static str, String)>,
    export_work: Vec<(&'static str, String)>,
    export_formats: [(&'static str, &'static str); 3],
}

/// The table of a queue, the page's and the refresh fragment's.
pub struct Table {
    queue: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
    query_string: String,
    /// The query string without the order, for the sort links.
    unsorted: String,
    by_deadline: bool,
    setup: QueueSetup,
}

impl Table {
    fn shows(&self, column: &str) -> bool {
        self.setup.shows(column)
    }

    fn width(&self) -> usize {
        self.setup.columns.len() + 2
    }
}

#[derive(Template)]
#[template(path = "console/queue_rows.html")]
struct QueueRows {
    ctx: Ctx,
    table: Table,
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
        now: jiff::Timestamp,
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
            "breaching" => filter.due_by = Some(now + BREACHING_WITHIN),
            _ => {}
        }
        Ok(filter)
    }

    /// Nearest deadline first: asked for, or the "breaching soon" queue's own order.
    fn by_deadline(&self, queue: &str) -> bool {
        match self.sort.as_deref() {
            Some("due") => true,
            Some("newest") => false,
            _ => queue == "breaching",
        }
    }
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
    let now = app.clock.now();
    let mut filter = match f.filter(&viewer, queue, now) {
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
    let by_deadline = f.by_deadline(queue);
    let order = if by_deadline {
        QueueOrder::Deadline
    } else {
        QueueOrder::Newest
    };
    let page = PageRequest {
        limit: Some(50),
        cursor: f.cursor.clone(),
    };
    let rows = cases::queue(&app, &viewer.who, &filter, order, &page)
        .await
        .map_err(|e| viewer.fail(e))?;
    let setup = queue_prefs::get(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let table = Table {
        queue,
        rows: rows
            .items
            .into_iter()
            .map(|q| Row::new(q.case, q.time_left, &viewer.ctx))
            .collect(),
        next: rows.next_cursor,
        unsorted: without(&query_string, &["sort"]),
        query_string,
        by_deadline,
        setup,
    };
    if f.fragment.is_some() {
        return Ok(render(&QueueRows {
            ctx: viewer.ctx,
            table,
        }));
    }
    let mut tabs = Vec::new();
    for id in ["mine", "unassigned", "tier", "breaching", "all"] {
        let mut base = QueueQuery::default()
            .filter(&viewer, id, now)
            .map_err(|e| viewer.fail(e))?;
        if id == "tier"
            && let Some(led) = led
        {
            base.tiers = vec![led];
        }
        let count = cases::count(&app, &viewer.who, &base, COUNT_CAP)
            .await
            .map_err(|e| viewer.fail(e))?;
        tabs.push(Tab {
            id,
            count: Some(count),
        });
    }
    let staff = UserFilter {
        staff: Some(true),
        ..UserFilter::default()
    };
    let staff = users::list(
        &app,
        &viewer.who,
        staff,
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .map_err(|e| viewer.fail(e))?
    .items;
    let (organizations, products) = choices::organization_and_product_options(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let views = saved_views::list(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&QueuePage {
        ctx: viewer.ctx,
        queue,
        tabs,
        table,
        f,
        views,
        statuses: Status::ALL,
        severities: Severity::ALL,
        tiers: Tier::ALL,
        channels: casebook_domain::Channel::ALL,
        organizations,
        products,
        staff,
        columns: queue_prefs::COLUMNS,
        densities: ["comfortable", "compact"],
        bulk_kinds: ["assign", "status", "tier", "severity", "note"],
        export_cases: export_form::case_fields(&filter),
        export_work: export_form::work_fields(&filter),
        export_formats: export_form::FORMATS,
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
