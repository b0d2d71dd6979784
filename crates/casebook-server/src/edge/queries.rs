//! The queries of the case list and of search, as both the API and the pages read them, and the
//! cursors of search pages.

use casebook_domain::ids::{OrganizationId, ProductId};
use casebook_domain::{Category, Channel, Named, Severity, Status, Tier};
use casebook_store::case_list::{CaseFilter, OwnerFilter};
use casebook_store::search::Kind;
use serde::Deserialize;
use utoipa::IntoParams;

use super::within;
use crate::actions::ActionError;
use crate::search::Request;

/// Filters of the case list. Lists are comma-separated, e.g. `status=new,assigned`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Statuses, e.g. `new,assigned`.
    pub(crate) status: Option<String>,
    /// Severities, e.g. `1,2`.
    pub(crate) severity: Option<String>,
    /// Organisation id.
    pub(crate) organization: Option<OrganizationId>,
    /// Owner: a user id, `me`, or `none` for unassigned cases.
    pub(crate) owner: Option<String>,
    /// Tiers, e.g. `l1,l2` (staff only).
    pub(crate) tier: Option<String>,
    /// Channels, e.g. `phone,email`.
    pub(crate) channel: Option<String>,
    /// Categories, e.g. `defect`.
    pub(crate) category: Option<String>,
    /// Product id.
    pub(crate) product: Option<ProductId>,
    /// A case number, or text in the title.
    pub(crate) q: Option<String>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    pub(crate) cursor: Option<String>,
}

fn list_of<T>(
    field: &str,
    raw: &Option<String>,
    parse: impl Fn(&str) -> Result<T, casebook_domain::ValidationError>,
) -> Result<Vec<T>, ActionError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|e| ActionError::Validation(vec![e.on(field)])))
        .collect()
}

impl CaseQuery {
    pub(crate) fn filter(
        &self,
        me: Option<casebook_domain::ids::UserId>,
    ) -> Result<CaseFilter, ActionError> {
        let owner = match self.owner.as_deref() {
            None | Some("") => None,
            Some("none") => Some(OwnerFilter::Nobody),
            Some("me") => Some(OwnerFilter::User(me.ok_or(ActionError::field(
                "owner",
                "invalid",
                "'me' needs a signed-in user",
            ))?)),
            Some(id) => Some(OwnerFilter::User(
                id.parse()
                    .ok()
                    .filter(|i: &casebook_domain::ids::UserId| i.get() > 0)
                    .ok_or_else(|| {
                        ActionError::field("owner", "invalid", "owner is a user id, 'me' or 'none'")
                    })?,
            )),
        };
        Ok(CaseFilter {
            statuses: list_of("status", &self.status, <Status as Named>::parse)?,
            severities: list_of("severity", &self.severity, |s| {
                Severity::from_level(s.parse().unwrap_or(0))
            })?,
            tiers: list_of("tier", &self.tier, <Tier as Named>::parse)?,
            channels: list_of("channel", &self.channel, <Channel as Named>::parse)?,
            categories: list_of("category", &self.category, <Category as Named>::parse)?,
            organization: self.organization,
            product: self.product,
            owner,
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            due_by: None,
        })
    }
}

/// What to search for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words, in Chinese, English or both (at most 500 characters are read; any text is
    /// accepted: quotes and operators are words like the others).
    pub q: String,
    /// Comma-separated kinds: `case`, `article`, `organization`, `contact`, `unit` (default all).
    pub types: Option<String>,
    /// Only this organisation's objects.
    pub organization_id: Option<i64>,
    /// Only objects about this product.
    pub product_id: Option<i64>,
    /// Only this status (a case's or an article's; `active`/`archived` for the directory).
    pub status: Option<String>,
    /// Only cases of this severity, 1–4.
    #[param(minimum = 1, maximum = 4)]
    pub severity: Option<u64>,
    /// Only articles with a text in this language (`zh-CN`, `en`).
    pub language: Option<String>,
    /// Results per page, 1–100 (default 20); another number is refused (422).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    pub cursor: Option<String>,
}

/// The cursor of the search page that starts at `offset`.
pub fn cursor_at(offset: usize) -> String {
    format!("s.{offset}")
}

/// The offset a search cursor stands for (empty: the first page).
pub fn offset_of(cursor: &str) -> Result<usize, ActionError> {
    if cursor.is_empty() {
        return Ok(0);
    }
    cursor
        .strip_prefix("s.")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n <= crate::search::MAX_OFFSET)
        .ok_or(ActionError::InvalidCursor)
}

/// Reads a search query into the engine's request.
pub fn request_of(query: SearchQuery) -> Result<Request, ActionError> {
    let mut kinds = Vec::new();
    for name in query.types.as_deref().unwrap_or("").split(',') {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let kind = Kind::parse(name).ok_or_else(|| {
            ActionError::field(
                "types",
                "invalid",
                format!("unknown type {name:?}; use case, article, organization, contact, unit"),
            )
        })?;
        kinds.push(kind);
    }
    if let Some(language) = &query.language
        && !matches!(language.as_str(), "zh-CN" | "en")
    {
        return Err(ActionError::field("language", "invalid", "use zh-CN or en"));
    }
    let offset = offset_of(query.cursor.as_deref().unwrap_or(""))?;
    Ok(Request {
        q: query.q,
        kinds,
        organization: query.organization_id,
        product: query.product_id,
        status: query.status.filter(|s| !s.is_empty()),
        severity: query
            .severity
            .map(|s| within("severity", s, 1, 4))
            .transpose()?,
        language: query.language,
        offset,
        limit: within("limit", query.limit.unwrap_or(20), 1, 100)? as usize,
        locale: String::new(),
        synonyms: Default::default(),
    })
}
