//! Every page of the web UI, as the language test visits it: the GET routes of `src/web`, each
//! with who sees it and the addresses it is visited at. A test reads the routes out of the
//! source (`.route(…)` calls, the edit pages' `NEW`/`EDIT` paths, the case pages' `BASE`) and
//! fails on one that is neither listed here nor named as not a page, so a new page cannot be
//! left out silently.

use std::collections::BTreeSet;

/// Who a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Staff, signed in as an administrator.
    Staff,
    /// A customer administrator.
    Customer,
    /// Anyone; staff and customers see it too.
    Public,
}

/// The GET pages: route as written in the source, and who the test visits it as (a page both
/// sides have is listed for each).
pub const PAGES: &[(&str, Who)] = &[
    ("/sign-in", Who::Public),
    ("/kb", Who::Public),
    ("/kb/{id}", Who::Public),
    ("/mail-links/{token}", Who::Customer),
    ("/surveys/{token}", Who::Customer),
    ("/duty/ack/{token}", Who::Staff),
    ("/remote/{token}", Who::Customer),
    ("/console/remote/{id}", Who::Staff),
    ("/portal/remote/{id}", Who::Customer),
    ("/portal/remote-access", Who::Customer),
    ("/console/visits/{id}", Who::Staff),
    ("/console/dispatch", Who::Staff),
    ("/console/faults", Who::Staff),
    ("/console/cases/{number}/fault-report", Who::Staff),
    ("/console/organizations/{id}/remote-access", Who::Staff),
    ("/notifications", Who::Staff),
    ("/notifications", Who::Customer),
    ("/profile", Who::Staff),
    ("/profile", Who::Customer),
    ("/console", Who::Staff),
    ("/console/cases/{number}", Who::Staff),
    ("/console/intake", Who::Staff),
    ("/console/search", Who::Staff),
    ("/console/dashboard", Who::Staff),
    ("/console/mail", Who::Staff),
    ("/console/mail/{id}", Who::Staff),
    ("/console/mail/templates", Who::Staff),
    ("/console/mail/templates/{kind}/{lang}", Who::Staff),
    ("/console/organizations", Who::Staff),
    ("/console/organizations/{id}", Who::Staff),
    ("/console/organizations/new", Who::Staff),
    ("/console/organizations/{id}/edit", Who::Staff),
    ("/console/organizations/{id}/contacts/new", Who::Staff),
    ("/console/organizations/{id}/sites/new", Who::Staff),
    ("/console/organizations/{id}/units/new", Who::Staff),
    ("/console/organizations/{id}/contracts/new", Who::Staff),
    ("/console/contacts", Who::Staff),
    ("/console/contacts/{id}/edit", Who::Staff),
    ("/console/users", Who::Staff),
    ("/console/users/new", Who::Staff),
    ("/console/users/{id}/edit", Who::Staff),
    ("/console/products", Who::Staff),
    ("/console/products/{id}", Who::Staff),
    ("/console/products/new", Who::Staff),
    ("/console/products/{id}/edit", Who::Staff),
    ("/console/products/{id}/versions/new", Who::Staff),
    ("/console/products/{id}/versions/{version}/edit", Who::Staff),
    ("/console/units", Who::Staff),
    ("/console/units/{id}", Who::Staff),
    ("/console/units/{id}/edit", Who::Staff),
    ("/console/sites/{id}", Who::Staff),
    ("/console/sites/{id}/edit", Who::Staff),
    ("/console/contracts", Who::Staff),
    ("/console/contracts/{id}", Who::Staff),
    ("/console/contracts/{id}/edit", Who::Staff),
    ("/console/contracts/{id}/usage", Who::Staff),
    ("/console/calendars", Who::Staff),
    ("/console/calendars/{id}", Who::Staff),
    ("/console/plans", Who::Staff),
    ("/console/plans/{id}", Who::Staff),
    ("/console/call-home", Who::Staff),
    ("/console/devices/{id}", Who::Staff),
    ("/console/call-home/keys", Who::Staff),
    ("/console/call-home/rules", Who::Staff),
    ("/console/call-home/rules/new", Who::Staff),
    ("/console/call-home/rules/{id}/edit", Who::Staff),
    ("/console/kb", Who::Staff),
    ("/console/kb/new", Who::Staff),
    ("/console/kb/{id}", Who::Staff),
    ("/console/kb/{id}/edit", Who::Staff),
    ("/console/search/synonyms", Who::Staff),
    ("/console/ola-targets", Who::Staff),
    ("/console/search/synonyms/new", Who::Staff),
    ("/console/search/synonyms/{id}/edit", Who::Staff),
    ("/console/replies", Who::Staff),
    ("/console/replies/new", Who::Staff),
    ("/console/replies/{id}/edit", Who::Staff),
    ("/console/surveys", Who::Staff),
    ("/console/surveys/follow-ups", Who::Staff),
    ("/console/integrations", Who::Staff),
    ("/console/integrations/{id}", Who::Staff),
    ("/console/duty", Who::Staff),
    ("/console/surveys/settings", Who::Staff),
    ("/console/cases/{number}/attachments/{id}", Who::Staff),
    ("/portal/cases/{number}/attachments/{id}", Who::Customer),
    ("/portal", Who::Customer),
    ("/portal/cases/{number}", Who::Customer),
    ("/portal/cases/new", Who::Customer),
    ("/portal/contracts", Who::Customer),
    ("/portal/contracts/{id}/usage", Who::Customer),
    ("/portal/search", Who::Customer),
    ("/portal/kb", Who::Customer),
    ("/portal/kb/{id}", Who::Customer),
    ("/portal/kb/suggest", Who::Customer),
    ("/portal/subscriptions", Who::Customer),
    ("/portal/surveys", Who::Customer),
    ("/portal/surveys/{id}", Who::Customer),
];

/// GET routes that are not pages, and why.
pub const NOT_PAGES: &[&str] = &[
    // Redirects to the console, the portal or the sign-in page.
    "/",
    // The server-sent event stream of the live queue.
    "/console/events",
    // A stored mail as it came, a download.
    "/console/mail/{id}/raw",
    // The fault database as a CSV or XLSX file, a download (its headers are checked in
    // `web::field_pages` and the API's export test).
    "/console/faults/export",
    // Our stylesheet, script and icon.
    "/assets/{name}",
    "/favicon.ico",
    "/favicon.svg",
];

/// The `BASE` addresses of the case page's sides (`const BASE: &'static str = "…"`).
fn case_page_bases() -> Vec<String> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/case_page.rs");
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| l.contains("const BASE: &'static str = \""))
        .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
        .collect()
}

/// The GET routes written in `src/web`.
pub fn routes_in_source() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut found = BTreeSet::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                routes_of(&std::fs::read_to_string(&path).unwrap(), &mut found);
            }
        }
    }
    found
}

/// The string of a literal or of a `const NAME: &str = "…"` of the same file.
fn path_of(arg: &str, code: &str) -> Option<String> {
    let arg = arg.trim();
    if let Some(literal) = arg.strip_prefix('"') {
        return literal.split('"').next().map(str::to_owned);
    }
    let name = arg.split([',', ')']).next()?.trim();
    let declared = code
        .lines()
        .find(|l| l.contains(&format!("const {name}:")) && l.contains('"'))?;
    declared.split('"').nth(1).map(str::to_owned)
}

fn routes_of(source: &str, found: &mut BTreeSet<String>) {
    // Comments (the editor's doc example) declare nothing.
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    for call in code.split(".route(").skip(1) {
        let call = &call[..call.find("))").map_or(call.len(), |end| end + 2)];
        if !call.contains("get(") {
            continue;
        }
        if let Some(rest) = call.trim_start().strip_prefix("&format!(\"{base}") {
            // A page of each side of the case page, under its `BASE` (declared in
            // `case_page.rs`): `{base}/{{number}}`, `{base}/{{number}}/attachments/{{id}}`.
            let suffix = rest.split('"').next().unwrap_or_default();
            let suffix = suffix.replace("{{", "{").replace("}}", "}");
            for base in case_page_bases() {
                found.insert(format!("{base}{suffix}"));
            }
        } else if let Some(path) = path_of(call, &code) {
            found.insert(path);
        }
    }
    // The edit pages: `editor::routes::<D>()` serves D's NEW and EDIT paths for GET.
    for line in code.lines() {
        let line = line.trim();
        if (line.starts_with("const NEW:") || line.starts_with("const EDIT:"))
            && let Some(path) = line.split('"').nth(1)
        {
            found.insert(path.to_owned());
        }
    }
}

#[test]
fn every_page_route_is_visited() {
    let found = routes_in_source();
    assert!(found.len() > 40, "the scan found too little: {found:#?}");
    let listed: BTreeSet<String> = PAGES
        .iter()
        .map(|(p, _)| (*p).to_owned())
        .chain(NOT_PAGES.iter().map(|p| (*p).to_owned()))
        .collect();
    let missing: Vec<_> = found.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&found).collect();
    assert!(
        missing.is_empty(),
        "GET routes the language test does not visit; add them to PAGES (or NOT_PAGES, saying \
         why): {missing:#?}"
    );
    assert!(
        stale.is_empty(),
        "listed routes that do not exist: {stale:#?}"
    );
}
