//! What the console's reference pages share: a table of cells (text with an optional link), the
//! list page and the detail page that show them, paging, and the error mapping. A list page is
//! declared as a [`Listing`] (its title, columns, how it reads a page and shows a row) and
//! routed to [`list`]:
//!
//! ```ignore
//! struct WidgetList;
//!
//! impl Listing for WidgetList {
//!     type Item = Widget;
//!     const TITLE: &'static str = "nav-products"; // a key of locales/*/casebook.ftl
//!     const HEADERS: &'static [&'static str] = &["field-name"];
//!     const SEARCHABLE: bool = true;
//!
//!     async fn fetch(app: &AppState, who: &Principal, q: Option<String>, page: PageRequest)
//!         -> Result<Page<Widget>, ActionError> { widgets::list(app, who, q, &page).await }
//!
//!     fn row(_: &Ctx, w: Widget) -> Vec<Cell> {
//!         vec![link(&w.name, format!("/console/widgets/{}", w.id))]
//!     }
//! }
//!
//! // in the routes:
//! .route("/console/widgets", get(list::<WidgetList>))
//! ```

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use casebook_domain::Status;
use casebook_store::{Page, PageRequest};
use serde::Deserialize;

use crate::actions::ActionError;
use crate::app::AppState;
use crate::policy::Principal;
use crate::web::page::{Ctx, render};
use crate::web::session::{Staff, WebError, WebResult};

/// One cell of a table: text and an optional link.
pub struct Cell {
    /// Shown text.
    pub text: String,
    /// Link target.
    pub href: Option<String>,
}

/// Cells longer than this are running text that may wrap anywhere; shorter ones are labels
/// (a status, a type, a name) kept whole, so a CJK label never breaks between its characters.
const LABEL_CHARS: usize = 24;

impl Cell {
    /// Whether the cell holds running text rather than a label.
    pub fn long(&self) -> bool {
        self.text.chars().count() > LABEL_CHARS
    }
}

pub fn text(t: impl ToString) -> Cell {
    Cell {
        text: t.to_string(),
        href: None,
    }
}

pub fn link(t: impl ToString, href: String) -> Cell {
    Cell {
        text: t.to_string(),
        href: Some(href),
    }
}

/// A titled table.
pub struct Table {
    /// Message key of the title.
    pub title: String,
    /// Column headers (message keys).
    pub headers: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Template)]
#[template(path = "console/list.html")]
pub struct ListPage {
    ctx: Ctx,
    actions: Vec<(&'static str, String)>,
    title: &'static str,
    table: Table,
    q: String,
    searchable: bool,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/detail.html")]
pub struct DetailPage {
    pub ctx: Ctx,
    pub actions: Vec<(&'static str, String)>,
    pub title: String,
    pub fields: Vec<(&'static str, Cell)>,
    pub sections: Vec<Table>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Text to look for.
    pub q: Option<String>,
    /// The next page's cursor.
    pub cursor: Option<String>,
}

pub fn page_of(q: &ListQuery) -> PageRequest {
    PageRequest {
        limit: Some(50),
        cursor: q.cursor.clone(),
    }
}

pub use crate::web::choices::first;

impl ListPage {
    /// The search text for a link's query string.
    fn q_in_url(&self) -> String {
        crate::web::session::urlencode(&self.q)
    }
}

pub fn list_page<T>(
    ctx: Ctx,
    title: &'static str,
    headers: Vec<&'static str>,
    page: Page<T>,
    q: &ListQuery,
    searchable: bool,
    row: impl Fn(&Ctx, T) -> Vec<Cell>,
) -> Response {
    let rows = page.items.into_iter().map(|item| row(&ctx, item)).collect();
    let new = match title {
        "nav-organizations" => Some("/console/organizations/new"),
        "nav-products" => Some("/console/products/new"),
        "nav-users" if ctx.is_admin() => Some("/console/users/new"),
        _ => None,
    };
    render(&ListPage {
        actions: new
            .map(|href| ("new", href.to_owned()))
            .into_iter()
            .collect(),
        table: Table {
            title: title.to_owned(),
            headers,
            rows,
        },
        title,
        q: q.q.clone().unwrap_or_default(),
        searchable,
        next: page.next_cursor,
        ctx,
    })
}

pub fn fail(staff: &Staff) -> impl Fn(ActionError) -> WebError + '_ {
    move |e| staff.0.fail(e)
}

pub fn unit_row(u: &casebook_domain::contract::Unit) -> Vec<Cell> {
    vec![
        link(&u.serial_number, format!("/console/units/{}", u.id)),
        text(&u.product.name),
        text(u.product_version.clone().unwrap_or_default()),
        text(u.site.as_ref().map(|s| s.name.clone()).unwrap_or_default()),
    ]
}

/// A contact's row: name (to its form), email and phone.
pub fn contact_row(c: &casebook_domain::directory::Contact) -> Vec<Cell> {
    let email = c.email.clone().unwrap_or_default();
    let phone = c.phone.clone().unwrap_or_default();
    let href = format!("/console/contacts/{}/edit", c.id);
    vec![link(&c.name, href), text(email), text(phone)]
}

/// A site's row: code (to its form), name and address.
pub fn site_row(s: &casebook_domain::contract::Site) -> Vec<Cell> {
    let href = format!("/console/sites/{}/edit", s.id);
    vec![link(&s.code, href), text(&s.name), text(&s.address)]
}

/// The fields a unit's pages start with: its organisation, product and version.
pub fn unit_head(u: &casebook_domain::contract::Unit) -> Vec<(&'static str, Cell)> {
    let org = u.organization_id;
    vec![
        (
            "field-organization",
            link(org, format!("/console/organizations/{org}")),
        ),
        ("field-product", text(&u.product.name)),
        (
            "field-version",
            text(u.product_version.clone().unwrap_or_default()),
        ),
    ]
}

/// A unit's site, linked.
pub fn site_cell(u: &casebook_domain::contract::Unit) -> Cell {
    match &u.site {
        Some(s) => link(&s.name, format!("/console/sites/{}", s.id)),
        None => text(""),
    }
}

/// The first cells of a case's row: its number (linked), title and status.
pub fn case_cells(ctx: &Ctx, number: impl ToString, title: &str, status: Status) -> Vec<Cell> {
    let number = number.to_string();
    let href = format!("/console/cases/{number}");
    vec![link(number, href), text(title), text(ctx.status(status))]
}

pub fn contract_row(c: &casebook_domain::contract::Contract) -> Vec<Cell> {
    vec![
        link(&c.contract_number, format!("/console/contracts/{}", c.id)),
        text(&c.plan),
        text(c.starts_on),
        text(c.ends_on),
    ]
}

/// A list page of the console: what it shows and how it reads a page of its records.
pub trait Listing: 'static {
    /// A record of the list.
    type Item;
    /// Message key of the title.
    const TITLE: &'static str;
    /// Column headers (message keys).
    const HEADERS: &'static [&'static str];
    /// Whether the list has a search box.
    const SEARCHABLE: bool;

    /// A page of the records, with the text searched for (none when blank).
    fn fetch(
        app: &AppState,
        who: &Principal,
        q: Option<String>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Self::Item>, ActionError>> + Send;

    /// The cells of a record.
    fn row(ctx: &Ctx, item: Self::Item) -> Vec<Cell>;
}

/// `GET` of a list page.
pub async fn list<L: Listing>(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let text = q.q.clone().filter(|s| !s.trim().is_empty());
    let page = L::fetch(&app, &staff.0.who, text, page_of(&q))
        .await
        .map_err(fail(&staff))?;
    let (title, headers) = (L::TITLE, L::HEADERS.to_vec());
    let ctx = staff.0.ctx.clone();
    Ok(list_page(
        ctx,
        title,
        headers,
        page,
        &q,
        L::SEARCHABLE,
        L::row,
    ))
}
