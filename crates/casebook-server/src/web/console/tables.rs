//! What the console's reference pages share: a table of cells (text with an optional link), the
//! list page and the detail page that show them, paging, and the error mapping.

use askama::Template;
use axum::response::Response;
use casebook_store::{Page, PageRequest};
use serde::Deserialize;

use crate::actions::ActionError;
use crate::web::page::{Ctx, render};
use crate::web::session::{Staff, WebError};

/// One cell of a table: text and an optional link.
pub struct Cell {
    /// Shown text.
    pub text: String,
    /// Link target.
    pub href: Option<String>,
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

pub fn first(n: u32) -> PageRequest {
    PageRequest {
        limit: Some(n),
        cursor: None,
    }
}

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

pub fn contract_row(c: &casebook_domain::contract::Contract) -> Vec<Cell> {
    vec![
        link(&c.contract_number, format!("/console/contracts/{}", c.id)),
        text(&c.plan),
        text(c.starts_on),
        text(c.ends_on),
    ]
}
