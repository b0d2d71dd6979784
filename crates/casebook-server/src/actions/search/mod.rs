//! Use cases of search: one search over cases, articles, organisations, contacts and units with
//! the caller's rights (the same [`CaseScope`] as every case list) and the admins' synonyms
//! (`synonyms.rs`), and the count of customers who found an answer while typing a new case and
//! left without filing it (deflection).

pub mod synonyms;

use std::collections::HashSet;

use casebook_domain::ids::Id;
use casebook_domain::knowledge::{self, ArticleStatus, ArticleVisibility};
use casebook_domain::policy::{CaseAccess, CaseScope, Role, Subject};
use casebook_store::search::{self as feed, Kind};
use casebook_store::search_synonyms;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;
use crate::search::{self, Hit, Request, Results, Scope, SearchError};

impl From<SearchError> for ActionError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Store(e) => e.into(),
            other => ActionError::Unavailable(other.to_string()),
        }
    }
}

/// What the index may show a principal.
pub fn scope_of(who: &Principal) -> Scope {
    match who.actor().map(|a| a.case_scope()) {
        None | Some(CaseScope::All) => Scope::Staff,
        Some(CaseScope::Organization(org)) => Scope::Customer {
            organization: org.get(),
            requester: None,
        },
        Some(CaseScope::Requester {
            organization,
            user,
            contact,
        }) => Scope::Customer {
            organization: organization.get(),
            requester: Some((user.get(), contact.map(|c| c.get()))),
        },
    }
}

/// Searches with the principal's rights. Customers' `organization` filter is their own.
pub async fn search(app: &App, who: &Principal, mut request: Request) -> ActionResult<Results> {
    let scope = scope_of(who);
    if let Scope::Customer { organization, .. } = scope
        && request.organization.is_some_and(|o| o != organization)
    {
        return Ok(Results::default());
    }
    if request.offset > search::MAX_OFFSET {
        return Err(ActionError::InvalidCursor);
    }
    if request.locale.is_empty() {
        request.locale = who.locale.clone().unwrap_or_else(|| "zh-CN".into());
    }
    let mut results = run(app, scope, request).await?;
    if scope != Scope::Staff {
        recheck(app, who, &mut results).await?;
    }
    Ok(results)
}

/// The index is a cache that may lag the database by a moment: a customer's results are checked
/// against the rows as they are now, with the same policy as everywhere, and what they may no
/// longer see is dropped.
async fn recheck(app: &App, who: &Principal, results: &mut Results) -> ActionResult<()> {
    let Some(actor) = who.actor() else {
        return Ok(());
    };
    let ids = |kind: Kind| -> Vec<i64> {
        results
            .hits
            .iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.id)
            .collect()
    };
    let mut db = app.store.read().await?;
    let mut visible: HashSet<(Kind, i64)> = HashSet::new();
    for c in feed::cases(&mut db, &ids(Kind::Case)).await? {
        let access = CaseAccess {
            organization: Id::new(c.organization_id),
            opened_by: c.opened_by.map(Id::new),
            contact: c.contact_id.map(Id::new),
        };
        if actor.can_see(Subject::Case(access)) {
            visible.insert((Kind::Case, c.id));
        }
    }
    for a in feed::articles(&mut db, &ids(Kind::Article)).await? {
        if article_is(&a.status, &a.visibility, knowledge::readable_by_customers) {
            visible.insert((Kind::Article, a.id));
        }
    }
    for o in feed::organizations(&mut db, &ids(Kind::Organization)).await? {
        if actor.can_see(Subject::Organization(Id::new(o.id))) {
            visible.insert((Kind::Organization, o.id));
        }
    }
    for c in feed::contacts(&mut db, &ids(Kind::Contact)).await? {
        if actor.can_see(Subject::Contact(Id::new(c.organization_id))) {
            visible.insert((Kind::Contact, c.id));
        }
    }
    for u in feed::units(&mut db, &ids(Kind::Unit)).await? {
        if actor.can_see(Subject::Organization(Id::new(u.organization_id))) {
            visible.insert((Kind::Unit, u.id));
        }
    }
    keep_only(results, |h| visible.contains(&(h.kind, h.id)));
    Ok(())
}

/// Whether an article row's status and visibility pass `rule` (an unknown value never does).
fn article_is(
    status: &str,
    visibility: &str,
    rule: fn(ArticleStatus, ArticleVisibility) -> bool,
) -> bool {
    match (status.parse(), visibility.parse()) {
        (Ok(status), Ok(visibility)) => rule(status, visibility),
        _ => false,
    }
}

/// Drops the hits the database no longer shows the caller, and takes them off the total.
fn keep_only(results: &mut Results, keep: impl Fn(&Hit) -> bool) {
    let before = results.hits.len();
    results.hits.retain(|h| keep(h));
    results.total -= before - results.hits.len();
}

/// Searches the public articles, for someone not signed in.
pub async fn search_public(app: &App, request: Request) -> ActionResult<Results> {
    let mut results = run(
        app,
        Scope::Public,
        Request {
            kinds: vec![Kind::Article],
            ..request
        },
    )
    .await?;
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let mut db = app.store.read().await?;
    let public: HashSet<i64> = feed::articles(&mut db, &ids)
        .await?
        .into_iter()
        .filter(|a| article_is(&a.status, &a.visibility, knowledge::readable_by_public))
        .map(|a| a.id)
        .collect();
    keep_only(&mut results, |h| public.contains(&h.id));
    Ok(results)
}

/// Runs a search with the synonyms as they are now.
async fn run(app: &App, scope: Scope, mut request: Request) -> ActionResult<Results> {
    let groups = {
        let mut db = app.store.read().await?;
        search_synonyms::all(&mut db).await?
    };
    request.synonyms = app.search.synonyms(&groups);
    let engine = app.search.engine().await?;
    tokio::task::spawn_blocking(move || search::run(&engine, scope, &request))
        .await
        .map_err(|e| ActionError::Internal(e.to_string()))?
        .map_err(ActionError::from)
}

/// Counts a customer who saw matching articles for `query` (and perhaps opened `article`) and
/// left the new-case form without filing. Staff are not counted.
pub async fn deflected(
    app: &App,
    who: &Principal,
    query: &str,
    article: Option<i64>,
) -> ActionResult<bool> {
    let Some(actor) = who.actor().filter(|a| !a.is_staff()) else {
        return Ok(false);
    };
    let organization = actor
        .organization
        .ok_or_else(|| ActionError::Internal("a customer without organisation".into()))?;
    let query: String = query.trim().chars().take(200).collect();
    if query.is_empty() {
        return Err(ActionError::field(
            "query",
            "required",
            "what the customer typed",
        ));
    }
    let mut db = app.store.write().await?;
    let article = match article {
        Some(id) if feed::articles(&mut db, &[id]).await?.is_empty() => None,
        other => other,
    };
    feed::add_deflection(
        &mut db,
        organization,
        actor.user,
        &query,
        article,
        app.clock.now(),
    )
    .await?;
    db.commit().await?;
    Ok(true)
}

/// Deflections in the last `days` days: all for staff, their organisation's for a customer
/// admin; a customer user may not read them.
pub async fn deflections(app: &App, who: &Principal, days: u32) -> ActionResult<i64> {
    let organization = match who.actor() {
        Some(a) if a.role == Role::CustomerUser => {
            return Err(ActionError::Forbidden(
                "only staff and customer admins see this",
            ));
        }
        Some(a) => a.organization,
        None => None,
    };
    let since =
        app.clock.now() - jiff::SignedDuration::from_hours(24 * i64::from(days.clamp(1, 3660)));
    let mut db = app.store.read().await?;
    Ok(feed::count_deflections(&mut db, organization, since).await?)
}
