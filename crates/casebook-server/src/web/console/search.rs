//! The search page of the console (`/console/search`) and what it shares with the portal's
//! (`web/portal/search.rs`): the page's query string read into the API's `SearchQuery` (so the
//! same parsing and limits apply), the results as rows with the link of each object's page,
//! and the next page's link. Searching is `actions::search::search` with the viewer's rights.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use casebook_domain::knowledge::ArticleStatus;
use casebook_domain::{Named, Severity, Status};
use casebook_store::search::Kind;

use crate::actions::{ActionError, search};
use crate::app::AppState;
use crate::edge::queries::{SearchQuery, request_of};
use crate::web::choices;
use crate::web::forms::messages;
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Staff, Viewer, WebResult, urlencode};

/// Results per page.
pub const PER_PAGE: u32 = 20;

/// The kinds staff search, in the order the form shows them.
pub const CONSOLE_KINDS: [Kind; 5] = [
    Kind::Case,
    Kind::Article,
    Kind::Organization,
    Kind::Contact,
    Kind::Unit,
];

/// What the search form sent, as typed (shown again in the form).
#[derive(Debug, Clone, Default)]
pub struct SearchForm {
    /// The words.
    pub q: String,
    /// The kinds ticked (`case`, `article`, …); none: every kind the page offers.
    pub types: Vec<String>,
    /// A case's or article's status.
    pub status: String,
    /// A case's severity (1–4).
    pub severity: String,
    /// An organisation's id (console only).
    pub organization_id: String,
    /// The page's cursor.
    pub cursor: String,
}

impl SearchForm {
    /// Reads the query string; `types` may repeat (checkboxes) or be comma-separated (API).
    pub fn parse(raw: Option<&str>) -> SearchForm {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        let mut form = SearchForm::default();
        for (name, value) in pairs {
            let value = value.trim().to_owned();
            match name.as_str() {
                "q" => form.q = value,
                "types" => form.types.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                ),
                "status" => form.status = value,
                "severity" => form.severity = value,
                "organization_id" => form.organization_id = value,
                "cursor" => form.cursor = value,
                _ => {}
            }
        }
        form
    }

    /// Whether a kind is ticked.
    pub fn ticked(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    /// The query string of this search without its cursor (for the next page's link).
    pub fn query_string(&self) -> String {
        let mut parts = vec![format!("q={}", urlencode(&self.q))];
        for t in &self.types {
            parts.push(format!("types={}", urlencode(t)));
        }
        for (name, value) in [
            ("status", &self.status),
            ("severity", &self.severity),
            ("organization_id", &self.organization_id),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", urlencode(value)));
            }
        }
        parts.join("&")
    }

    /// The API's query: the kinds limited to `offered` (all of them when none is ticked).
    fn api_query(&self, offered: &[Kind]) -> Result<SearchQuery, ActionError> {
        let mut kinds = Vec::new();
        for name in &self.types {
            let kind = Kind::parse(name)
                .filter(|k| offered.contains(k))
                .ok_or_else(|| {
                    ActionError::field("types", "invalid", format!("unknown type {name:?}"))
                })?;
            kinds.push(kind.as_str());
        }
        if kinds.is_empty() {
            kinds = offered.iter().map(|k| k.as_str()).collect();
        }
        let number = |field: &str, raw: &str| -> Result<Option<u64>, ActionError> {
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse()
                .map(Some)
                .map_err(|_| ActionError::field(field, "invalid", "a whole number"))
        };
        let severity = number("severity", &self.severity)?;
        if severity.is_some_and(|s| !(1..=4).contains(&s)) {
            return Err(ActionError::field("severity", "invalid", "1 to 4"));
        }
        let organization_id = number("organization_id", &self.organization_id)?
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        Ok(SearchQuery {
            q: self.q.clone(),
            types: Some(kinds.join(",")),
            organization_id,
            product_id: None,
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            severity,
            language: None,
            limit: None,
            cursor: Some(self.cursor.clone()).filter(|c| !c.is_empty()),
        })
    }
}

/// One result as pages show it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The object's id.
    pub id: i64,
    /// `case`, `article`, `organization`, `contact` or `unit`.
    pub kind: &'static str,
    /// The object's page.
    pub href: String,
    /// Case number, customer number, serial number or e-mail.
    pub number: Option<String>,
    /// The title as escaped HTML with `<mark>` (from the engine).
    pub title_html: String,
    /// A passage as escaped HTML with `<mark>` (from the engine).
    pub snippet_html: String,
    /// The status in words.
    pub status: Option<String>,
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The results.
    pub rows: Vec<Row>,
    /// How many there are in all, up to the count's limit.
    pub total: usize,
    /// False when there are more than `total`.
    pub total_exact: bool,
    /// The next page's cursor.
    pub next: Option<String>,
    /// Whether a search was run (words were given).
    pub searched: bool,
    /// Why the form was refused.
    pub errors: Vec<String>,
}

/// The label of a hit's status: a case's or an article's status, or a directory entry's.
fn status_label(ctx: &Ctx, kind: Kind, status: &str) -> String {
    let key = match kind {
        Kind::Case => format!("status-{status}"),
        Kind::Article => format!("article-status-{status}"),
        _ => format!("search-status-{status}"),
    };
    if ctx.lang.has(&key) {
        ctx.t(&key)
    } else {
        status.to_owned()
    }
}

/// Runs the search of `form` with the viewer's rights over the kinds `offered`, `limit` results
/// a page; `href` gives each result's page. Refused input comes back as `errors` (with status
/// 422), not as an error page, so the form is shown again.
pub async fn find(
    app: &AppState,
    viewer: &Viewer,
    form: &SearchForm,
    offered: &[Kind],
    limit: u32,
    href: impl Fn(&crate::search::Hit) -> String,
) -> WebResult<(StatusCode, Found)> {
    if form.q.trim().is_empty() {
        return Ok((StatusCode::OK, Found::default()));
    }
    let query = form.api_query(offered).map(|q| SearchQuery {
        limit: Some(limit),
        ..q
    });
    let request = match query.and_then(request_of) {
        Ok(request) => request,
        Err(err @ ActionError::Validation(_)) => {
            let found = Found {
                searched: true,
                errors: messages(&err, viewer.ctx.lang),
                ..Found::default()
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, found));
        }
        Err(err) => return Err(viewer.fail(err)),
    };
    let results = search::search(app, &viewer.who, request)
        .await
        .map_err(|e| viewer.fail(e))?;
    let rows = results
        .hits
        .iter()
        .map(|hit| Row {
            id: hit.id,
            kind: hit.kind.as_str(),
            href: href(hit),
            number: hit.number.clone(),
            title_html: hit.title_html.clone(),
            snippet_html: hit.snippet_html.clone(),
            status: hit
                .status
                .as_deref()
                .map(|s| status_label(&viewer.ctx, hit.kind, s)),
        })
        .collect();
    Ok((
        StatusCode::OK,
        Found {
            rows,
            total: results.total,
            total_exact: results.total_exact,
            next: results.next_offset.map(crate::edge::queries::cursor_at),
            searched: true,
            errors: Vec::new(),
        },
    ))
}

/// The console's page of an object found.
fn console_href(hit: &crate::search::Hit) -> String {
    let id = hit.id;
    match hit.kind {
        Kind::Case => format!(
            "/console/cases/{}",
            urlencode(hit.number.as_deref().unwrap_or_default())
        ),
        Kind::Article => format!("/console/kb/{id}"),
        Kind::Organization => format!("/console/organizations/{id}"),
        Kind::Contact => format!("/console/contacts/{id}/edit"),
        Kind::Unit => format!("/console/units/{id}"),
    }
}

/// The statuses a search can filter on: cases' and articles'.
pub struct StatusChoices {
    /// Case statuses.
    pub cases: &'static [Status],
    /// Article statuses.
    pub articles: &'static [ArticleStatus],
}

/// The statuses a search can filter on.
pub fn status_choices() -> StatusChoices {
    StatusChoices {
        cases: Status::ALL,
        articles: ArticleStatus::ALL,
    }
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    ctx: Ctx,
    form: SearchForm,
    found: Found,
    kinds: Vec<&'static str>,
    statuses: StatusChoices,
    severities: [Severity; 4],
    organizations: Vec<(String, String)>,
    deflections: i64,
}

/// `GET /console/search`.
pub async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let form = SearchForm::parse(raw.as_deref());
    let (status, found) =
        find(&app, &viewer, &form, &CONSOLE_KINDS, PER_PAGE, console_href).await?;
    let organizations = choices::organization_options(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let deflections = search::deflections(&app, &viewer.who, 30)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(
        status,
        &SearchPage {
            ctx: viewer.ctx,
            form,
            found,
            kinds: CONSOLE_KINDS.iter().map(|k| k.as_str()).collect(),
            statuses: status_choices(),
            severities: Severity::ALL,
            organizations,
            deflections,
        },
    ))
}
