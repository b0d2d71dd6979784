//! The list envelope and paging parameters shared by every list route.

use casebook_store::page::MAX_LIMIT;
use casebook_store::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::within;
use crate::actions::ActionError;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for List<T> {
    fn from(page: Page<T>) -> Self {
        List {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// Paging parameters. List queries with filters repeat `limit` and `cursor` with the same
/// documentation and call [`Paging::request`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    pub cursor: Option<String>,
}

impl Paging {
    /// The store's page request; a `limit` outside 1–200 is refused, naming `limit`.
    pub fn request(self) -> Result<PageRequest, ActionError> {
        let limit = self
            .limit
            .map(|limit| within("limit", limit, 1, MAX_LIMIT))
            .transpose()?;
        Ok(PageRequest {
            limit,
            cursor: self.cursor,
        })
    }
}
