//! The language test (issue 22), on SQLite and PostgreSQL: with the demo data and what
//! `fixtures.rs` adds (every kind of timeline entry and call-home note, a quarantined mail,
//! fired SLA escalations), every page of `routes.rs` is rendered in Chinese and in English, as a
//! staff administrator, a customer administrator or a visitor, and every mail template's
//! preview in both languages; the outbox's mails too. `check.rs` says what fails: English
//! words on a Chinese page that are not codes, names of its allow-list or the users' data,
//! Chinese on an English page outside the users' data, internal identifiers anywhere, and times
//! written in UTC.

mod check;
mod fixtures;
mod routes;

use std::sync::Arc;

use casebook_domain::Named;
use casebook_server::cli::demo::{DEMO_PASSWORD, SIGN_INS};
use casebook_server::clock::{Clock, ManualClock, SystemClock};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::Value;

use self::check::{Identifiers, UserData, has_utc_iso_time, page_problems, text_problems};
use self::routes::{PAGES, Who};
use super::WebClient;
use crate::helpers::TestApp;

on_both_backends!(every_page_and_mail_speaks_the_readers_language);

/// Every item of a list endpoint (the first 200 of a paged one).
async fn items(t: &TestApp, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (mut status, mut body) = t.get(&t.admin, &format!("{path}{sep}limit=200")).await;
    if status == StatusCode::BAD_REQUEST {
        // A short list without pages.
        (status, body) = t.get(&t.admin, path).await;
    }
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    match body {
        Value::Array(items) => items,
        other => other["items"].as_array().cloned().unwrap_or_default(),
    }
}

fn ids(list: &[Value], field: &str) -> Vec<String> {
    list.iter()
        .filter_map(|v| match &v[field] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// The internal names no page or mail may show.
async fn identifiers(t: &TestApp) -> Identifiers {
    use casebook_domain::call_home::{EventOutcome, EventSeverity, EventType, RuleAction};
    use casebook_domain::knowledge::{ArticleStatus, ArticleVisibility};
    use casebook_domain::timeline::EventKind;
    use casebook_domain::{Category, Channel, Role, Status, Tier, Visibility};
    fn names<T: Named>() -> Vec<&'static str> {
        T::ALL.iter().map(|v| v.as_str()).collect()
    }
    let mut found = Identifiers::default();
    for list in [
        names::<Status>(),
        names::<Category>(),
        names::<Channel>(),
        names::<Tier>(),
        names::<Role>(),
        names::<Visibility>(),
        names::<EventKind>(),
        names::<EventType>(),
        names::<EventSeverity>(),
        names::<RuleAction>(),
        names::<EventOutcome>(),
        names::<ArticleStatus>(),
        names::<ArticleVisibility>(),
        names::<casebook_domain::mail::MailDisposition>(),
    ] {
        found.add(list);
    }
    found.add(
        casebook_domain::sla::plan::Metric::ALL
            .iter()
            .map(|m| m.as_str()),
    );
    // Escalation targets, clock states, entitlement outcomes, calendar warnings.
    found.add(["owner", "tier_lead", "duty_manager"]);
    found.add(["running", "paused", "met", "cancelled"]);
    found.add([
        "entitled",
        "expired",
        "not_yet_started",
        "not_covered",
        "contact_not_authorised",
        "channel_not_included",
        "incidents_used_up",
        "no_contract",
        "no_holidays_for_year",
    ]);
    for kind in casebook_server::actions::notify::templates::KINDS {
        found.add([kind.kind, kind.audience]);
    }
    let plans = ids(&items(t, "/api/v1/plans").await, "id");
    let calendars = ids(&items(t, "/api/v1/calendars").await, "id");
    found.add(plans.iter().chain(&calendars).map(String::as_str));
    // The message keys: a missing message shows as its key.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/en");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let keys: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap_or_default().trim().to_owned())
            .filter(|k| k.contains('-'))
            // A key that is also an English word (`sign-in`) is not told apart from the word.
            .filter(|k| {
                !text
                    .lines()
                    .any(|l| l.split(" =").nth(1).is_some_and(|v| v.contains(k.as_str())))
            })
            .collect();
        found.add(keys.iter().map(String::as_str));
    }
    found
}

/// Texts the system writes in English into stored records, which are therefore not the users'
/// data even where the API returns them.
const SYSTEM_TEXTS: &[&str] = &[casebook_server::actions::cases::CUSTOMER_REPLIED];

/// Everything people (and the demo, as people) wrote: the strings of the records the pages show.
async fn user_data(
    t: &TestApp,
    ids_: &Identifiers,
    cases: &[String],
    extra_files: &[String],
) -> UserData {
    let mut data = UserData::default();
    for path in [
        "/api/v1/cases",
        "/api/v1/organizations",
        "/api/v1/contacts",
        "/api/v1/users",
        "/api/v1/products",
        "/api/v1/units",
        "/api/v1/sites",
        "/api/v1/contracts",
        "/api/v1/calendars",
        "/api/v1/plans",
        "/api/v1/articles",
        "/api/v1/call-home/rules",
        "/api/v1/call-home/keys",
        "/api/v1/mail/quarantine",
        "/api/v1/tokens",
        "/api/v1/reply-templates",
        "/api/v1/work",
        "/api/v1/surveys",
        "/api/v1/survey-follow-ups",
        "/api/v1/subscriptions",
        "/api/v1/duty/shifts",
    ] {
        for mut item in items(t, path).await {
            // The entitlement's reason is the check's English sentence, not data.
            if let Some(e) = item.get_mut("entitlement").and_then(Value::as_object_mut) {
                e.remove("reason");
            }
            data.add_json(&item, ids_);
        }
    }
    for number in cases {
        for mut entry in items(t, &format!("/api/v1/cases/{number}/timeline")).await {
            if let Some(change) = entry.get_mut("change").and_then(Value::as_object_mut) {
                change.retain(|_, v| !v.as_str().is_some_and(|s| SYSTEM_TEXTS.contains(&s)));
                // A remote session's step is a stable name, not data.
                change.remove("remote");
                // A system note's data is its own: the device's message and serial number.
                if change.contains_key("note") {
                    entry["body"] = Value::Null;
                }
            }
            data.add_json(&entry, ids_);
        }
    }
    // Remote sessions: their requests and logs.
    for number in cases {
        let path = format!("/api/v1/cases/{number}/remote-sessions");
        let (_, sessions) = t.get(&t.admin, &path).await;
        for session in sessions.as_array().into_iter().flatten() {
            let mut session = session.clone();
            // Stable names, shown translated.
            for name in ["state", "policy", "end_reason"] {
                session[name] = Value::Null;
            }
            data.add_json(&session, ids_);
            let path = format!("/api/v1/remote-sessions/{}/log", session["id"]);
            let (_, log) = t.get(&t.admin, &path).await;
            data.add_json(&log["lines"], ids_);
        }
    }
    // On-site visits (their states are stable names), parts and depots.
    for number in cases {
        let (_, visits) = t
            .get(&t.admin, &format!("/api/v1/cases/{number}/visits"))
            .await;
        for visit in visits.as_array().into_iter().flatten() {
            let mut visit = visit.clone();
            visit["state"] = Value::Null;
            data.add_json(&visit, ids_);
        }
    }
    for path in ["/api/v1/parts", "/api/v1/depots", "/api/v1/stock"] {
        let (_, list) = t.get(&t.admin, path).await;
        data.add_json(&list, ids_);
    }
    // Fault-handling reports (their categories are stable names).
    let (_, faults) = t.get(&t.admin, "/api/v1/faults").await;
    for report in faults.as_array().into_iter().flatten() {
        let mut report = report.clone();
        report["category"] = Value::Null;
        data.add_json(&report, ids_);
    }
    // What the lists leave out: articles' texts and held mails' bodies.
    for article in items(t, "/api/v1/articles").await {
        let (_, full) = t
            .get(&t.admin, &format!("/api/v1/articles/{}", article["id"]))
            .await;
        data.add_json(&full, ids_);
    }
    for held in items(t, "/api/v1/mail/quarantine").await {
        let (_, full) = t
            .get(&t.admin, &format!("/api/v1/mail/messages/{}", held["id"]))
            .await;
        data.add_json(&full, ids_);
    }
    // The files' text, shown by their previews.
    for number in cases.iter().chain(extra_files) {
        for (_, id) in attachments_of(t, number).await {
            let url = t.url(&format!("/api/v1/cases/{number}/attachments/{id}"));
            let response = t
                .client
                .get(url)
                .bearer_auth(&t.admin)
                .send()
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&response.bytes().await.unwrap()).into_owned();
            for line in text.lines() {
                data.add_json(&Value::String(line.to_owned()), ids_);
            }
        }
    }
    // The words the test searches for are shown back.
    for query in SEARCHED {
        data.add_json(&Value::String((*query).into()), ids_);
    }
    for message in fixtures::DEVICE_MESSAGES {
        data.add_json(&Value::String(message.into()), ids_);
    }
    for (email, _, zh, en) in SIGN_INS {
        data.add_json(&serde_json::json!([email, zh, en]), ids_);
    }
    data.finish();
    data
}

/// What the test searches for.
const SEARCHED: &[&str] = &["数据库", "failover", "数据库 连接"];

/// The addresses each page is visited at.
struct Found {
    staff_cases: Vec<String>,
    portal_cases: Vec<String>,
    orgs: Vec<String>,
    contacts: Vec<String>,
    users: Vec<String>,
    products: Vec<(String, String)>,
    units: Vec<String>,
    sites: Vec<String>,
    contracts: Vec<String>,
    /// The contracts of the customer the test signs in as.
    portal_contracts: Vec<String>,
    calendars: Vec<String>,
    plans: Vec<String>,
    articles: Vec<String>,
    public_articles: Vec<String>,
    portal_articles: Vec<String>,
    mail: Vec<String>,
    rules: Vec<String>,
    links: Vec<String>,
    /// Links of survey mails that can still be answered.
    survey_links: Vec<String>,
    /// Surveys of the customer the test signs in as (pending and answered).
    portal_surveys: Vec<String>,
    synonyms: Vec<String>,
    templates: Vec<String>,
    /// (case number, attachment id) of the fixture case's files.
    attachments: Vec<(String, String)>,
    /// (case number, attachment id) of a file on a case the customer sees.
    portal_attachments: Vec<(String, String)>,
    /// The demo's subscriptions.
    subscriptions: Vec<String>,
    /// The acknowledgement links of duty page mails.
    duty_links: Vec<String>,
    /// The demo's remote sessions.
    remote: Vec<String>,
    /// The links of remote session requests.
    remote_links: Vec<String>,
    /// The demo's on-site visits.
    visits: Vec<String>,
}

impl Found {
    fn urls(&self, route: &str) -> Vec<String> {
        let each = |list: &[String], f: &dyn Fn(&str) -> String| -> Vec<String> {
            list.iter().map(|v| f(v)).collect()
        };
        let id = |list: &[String]| each(list, &|v| route.replace("{id}", v));
        match route {
            "/console/cases/{number}" => each(&self.staff_cases, &|n| route.replace("{number}", n)),
            "/console/cases/{number}/fault-report" => {
                each(&self.staff_cases[..2], &|n| route.replace("{number}", n))
            }
            "/portal/cases/{number}" => each(&self.portal_cases, &|n| route.replace("{number}", n)),
            "/console" => [
                "",
                "?queue=unassigned",
                "?queue=tier",
                "?queue=breaching",
                "?queue=all",
            ]
            .iter()
            .map(|q| format!("/console{q}"))
            .collect(),
            "/portal" => vec!["/portal".into(), "/portal?closed=true".into()],
            "/console/search" => vec![
                "/console/search?q=数据库".into(),
                "/console/search?q=failover".into(),
            ],
            "/portal/search" => vec!["/portal/search?q=数据库".into()],
            "/portal/kb/suggest" => vec!["/portal/kb/suggest?q=数据库 连接".into()],
            "/console/intake" => vec![
                "/console/intake".into(),
                format!(
                    "/console/intake?customer_number={}",
                    casebook_server::cli::demo::call_home::FLEET_ORGANIZATION
                ),
            ],
            "/console/mail/templates/{kind}/{lang}" => {
                casebook_server::actions::notify::templates::KINDS
                    .iter()
                    .flat_map(|k| {
                        ["zh-CN", "en"].map(|l| format!("/console/mail/templates/{}/{l}", k.kind))
                    })
                    .collect()
            }
            "/mail-links/{token}" => self.links.clone(),
            "/surveys/{token}" => self.survey_links.clone(),
            "/duty/ack/{token}" => self.duty_links.clone(),
            "/remote/{token}" => self.remote_links.clone(),
            "/console/remote/{id}" | "/portal/remote/{id}" => id(&self.remote),
            "/console/visits/{id}" => id(&self.visits),
            "/console/integrations/{id}" => id(&self.subscriptions),
            "/portal/surveys/{id}" => id(&self.portal_surveys),
            "/console/surveys" => [
                "",
                "?group_by=engineer",
                "?group_by=team",
                "?group_by=organization",
                "?group_by=product",
            ]
            .iter()
            .map(|q| format!("/console/surveys{q}"))
            .collect(),
            "/console/surveys/follow-ups" => vec![
                "/console/surveys/follow-ups".into(),
                "/console/surveys/follow-ups?all=1".into(),
            ],
            "/console/products/{id}/versions/{version}/edit" => self
                .products
                .iter()
                .take(1)
                .map(|(p, v)| route.replace("{id}", p).replace("{version}", v))
                .collect(),
            "/console/organizations/{id}" => id(&self.orgs),
            r if r.starts_with("/console/organizations/{id}") => id(&self.orgs[..1]),
            "/console/contacts/{id}/edit" => id(&self.contacts[..1]),
            "/console/users/{id}/edit" => id(&self.users[..1]),
            "/console/products/{id}"
            | "/console/products/{id}/edit"
            | "/console/products/{id}/versions/new" => {
                let first: Vec<String> = self.products.iter().map(|(p, _)| p.clone()).collect();
                id(&first[..1])
            }
            "/console/units/{id}" | "/console/devices/{id}" => id(&self.units),
            "/console/units/{id}/edit" => id(&self.units[..1]),
            "/console/sites/{id}" => id(&self.sites),
            "/console/sites/{id}/edit" => id(&self.sites[..1]),
            "/console/contracts/{id}" => id(&self.contracts),
            "/console/contracts/{id}/edit" => id(&self.contracts[..1]),
            "/console/contracts/{id}/usage" => id(&self.contracts),
            "/portal/contracts/{id}/usage" => id(&self.portal_contracts),
            "/console/calendars/{id}" => id(&self.calendars),
            "/console/plans/{id}" => id(&self.plans),
            "/console/kb/{id}" => id(&self.articles),
            "/console/kb/{id}/edit" => id(&self.articles[..1]),
            "/kb/{id}" => id(&self.public_articles),
            "/portal/kb/{id}" => id(&self.portal_articles),
            "/console/mail/{id}" => id(&self.mail),
            "/console/call-home/rules/{id}/edit" => id(&self.rules[..1]),
            "/console/search/synonyms/{id}/edit" => id(&self.synonyms[..1]),
            "/console/replies/{id}/edit" => id(&self.templates[..1]),
            "/console/cases/{number}/attachments/{id}" => self
                .attachments
                .iter()
                .map(|(n, a)| route.replace("{number}", n).replace("{id}", a))
                .collect(),
            "/portal/cases/{number}/attachments/{id}" => self
                .portal_attachments
                .iter()
                .map(|(n, a)| route.replace("{number}", n).replace("{id}", a))
                .collect(),
            r if r.contains('{') => panic!("no addresses for {r}: add them to Found::urls"),
            r => vec![r.to_owned()],
        }
    }
}

/// The mail links (accepting or rejecting a proposed solution) of the case whose solution was
/// proposed last (the demo's older proposals were answered or superseded).
fn mail_links(outbox: &[(String, String, String, String)], case: &str) -> Vec<String> {
    let mut links: Vec<String> = outbox
        .iter()
        .flat_map(|(_, _, _, body)| body.split_whitespace())
        .filter_map(|w| w.find("/mail-links/").map(|at| w[at..].to_owned()))
        .filter(|link| link.starts_with(&format!("/mail-links/{case}.")))
        .collect();
    links.sort();
    links.dedup();
    links.truncate(2);
    links
}

/// The links of survey mails whose survey still takes an answer (at most two).
async fn survey_links(t: &TestApp, outbox: &[(String, String, String, String)]) -> Vec<String> {
    let mut links: Vec<String> = outbox
        .iter()
        .flat_map(|(_, _, _, body)| body.split_whitespace())
        .filter_map(|w| w.find("/surveys/").map(|at| w[at..].to_owned()))
        .collect();
    links.sort();
    links.dedup();
    let mut open = Vec::new();
    for link in links {
        let id = link["/surveys/".len()..]
            .split('.')
            .next()
            .unwrap_or_default();
        let (_, survey) = t.get(&t.admin, &format!("/api/v1/surveys/{id}")).await;
        let expires = survey["expires_at"]
            .as_str()
            .and_then(|e| e.parse::<jiff::Timestamp>().ok());
        let answerable = expires.is_some_and(|e| e > t.app.clock.now());
        if survey["status"] == "pending" && answerable && open.len() < 2 {
            open.push(link);
        }
    }
    open
}

/// The files of a case: (its number, each attachment's id).
async fn attachments_of(t: &TestApp, case: &str) -> Vec<(String, String)> {
    let (_, files) = t
        .get(&t.admin, &format!("/api/v1/cases/{case}/attachments"))
        .await;
    files
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["id"].as_i64())
        .map(|id| (case.to_owned(), id.to_string()))
        .collect()
}

async fn found(t: &TestApp, outbox: &[(String, String, String, String)], case: &str) -> Found {
    let orgs = items(t, "/api/v1/organizations").await;
    let fleet_id = orgs
        .iter()
        .find(|o| o["customer_number"] == casebook_server::cli::demo::call_home::FLEET_ORGANIZATION)
        .map(|o| o["id"].to_string())
        .expect("the demo's fleet organisation");
    let products = items(t, "/api/v1/products").await;
    let articles = items(t, "/api/v1/articles").await;
    let published = |public: bool| -> Vec<String> {
        articles
            .iter()
            .filter(|a| a["status"] == "published" && a["visibility"] != "internal")
            .filter(|a| !public || a["visibility"] == "public")
            .filter_map(|a| a["id"].as_i64().map(|i| i.to_string()))
            .collect()
    };
    let portal_cases = ids(
        &items(t, &format!("/api/v1/cases?organization={fleet_id}")).await,
        "number",
    );
    let mut portal_attachments = Vec::new();
    for number in &portal_cases {
        portal_attachments = attachments_of(t, number).await;
        if !portal_attachments.is_empty() {
            portal_attachments.truncate(1);
            break;
        }
    }
    assert!(
        !portal_attachments.is_empty(),
        "a customer's case with a file"
    );
    let fleet_name = orgs
        .iter()
        .find(|o| o["id"].to_string() == fleet_id)
        .map(|o| o["name"].clone())
        .unwrap_or_default();
    let fleet_surveys: Vec<Value> = items(t, "/api/v1/surveys")
        .await
        .into_iter()
        .filter(|s| s["organization"] == fleet_name)
        .collect();
    let mut portal_surveys: Vec<String> = Vec::new();
    for status in ["pending", "answered"] {
        portal_surveys.extend(
            fleet_surveys
                .iter()
                .filter(|s| s["status"] == status)
                .take(1)
                .filter_map(|s| s["id"].as_i64())
                .map(|i| i.to_string()),
        );
    }
    let remote = fixtures::remote_sessions(t, &portal_cases).await;
    let visits = fixtures::visits_of(t, &portal_cases).await;
    Found {
        survey_links: survey_links(t, outbox).await,
        portal_surveys,
        staff_cases: ids(&items(t, "/api/v1/cases").await, "number"),
        portal_cases,
        portal_attachments,
        orgs: ids(&orgs, "id"),
        contacts: ids(&items(t, "/api/v1/contacts").await, "id"),
        users: ids(&items(t, "/api/v1/users").await, "id"),
        products: products
            .iter()
            .filter_map(|p| {
                let version = p["versions"][0]["id"].as_i64()?;
                Some((p["id"].to_string(), version.to_string()))
            })
            .collect(),
        units: ids(
            &items(t, &format!("/api/v1/units?organization={fleet_id}")).await,
            "id",
        )
        .into_iter()
        .take(3)
        .collect(),
        sites: ids(&items(t, "/api/v1/sites").await, "id"),
        contracts: ids(&items(t, "/api/v1/contracts").await, "id"),
        portal_contracts: ids(
            &items(t, &format!("/api/v1/contracts?organization={fleet_id}")).await,
            "id",
        ),
        calendars: ids(&items(t, "/api/v1/calendars").await, "id"),
        plans: ids(&items(t, "/api/v1/plans").await, "id"),
        articles: ids(&articles, "id"),
        public_articles: published(true),
        portal_articles: published(false),
        mail: ids(&items(t, "/api/v1/mail/quarantine").await, "id"),
        rules: ids(&items(t, "/api/v1/call-home/rules").await, "id"),
        links: mail_links(outbox, case),
        synonyms: ids(&items(t, "/api/v1/search/synonyms").await, "id"),
        templates: ids(&items(t, "/api/v1/reply-templates").await, "id"),
        attachments: attachments_of(t, case).await,
        subscriptions: ids(&items(t, "/api/v1/subscriptions").await, "id"),
        duty_links: duty_links(outbox),
        remote,
        visits,
        remote_links: fixtures::links_to(outbox, "/remote/"),
    }
}

/// The acknowledgement links of the duty page mails (at most two).
fn duty_links(outbox: &[(String, String, String, String)]) -> Vec<String> {
    let mut links: Vec<String> = outbox
        .iter()
        .flat_map(|(_, _, _, body)| body.split_whitespace())
        .filter_map(|w| w.find("/duty/ack/").map(|at| w[at..].to_owned()))
        .collect();
    links.sort();
    links.dedup();
    links.truncate(2);
    assert!(!links.is_empty(), "the demo pages the engineer on duty");
    links
}

/// A client in `lang`: signed in as `email` (with the demo password), or a visitor.
async fn client(t: &TestApp, email: Option<&str>, lang: &str) -> WebClient {
    let web = WebClient::new(t);
    if let Some(email) = email {
        let (status, to, page) = web.sign_in(email, DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{email}: {to:?} {page}");
    }
    // A form of the page carries the CSRF token the switch needs.
    let page = if email.is_some() {
        "/profile"
    } else {
        "/sign-in"
    };
    web.choose_language(page, lang).await;
    web
}

async fn every_page_and_mail_speaks_the_readers_language(backend: TestBackend) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let t = TestApp::spawn_with(backend, |c| c.ui.show_demo_accounts = true, clock.clone()).await;
    let accounts = casebook_server::app::DemoAccounts {
        password: DEMO_PASSWORD,
        sign_ins: SIGN_INS.to_vec(),
    };
    t.app.demo_accounts.set(accounts).ok();
    casebook_server::cli::demo::load(&t.app)
        .await
        .expect("the demo data loads");
    let mut cases = vec![fixtures::case_with_every_entry(&t).await];
    cases.push(fixtures::device_with_every_note(&t, &clock).await);
    fixtures::quarantined_mail(&t).await;
    fixtures::background_jobs(&t).await;
    let outbox = fixtures::outbox(&t).await;
    let identifiers = identifiers(&t).await;
    let found = found(&t, &outbox, &cases[0]).await;
    let with_files: Vec<String> = found
        .portal_attachments
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    let data = user_data(&t, &identifiers, &found.staff_cases, &with_files).await;
    assert!(found.staff_cases.iter().any(|n| cases.contains(n)));

    let mut problems = Vec::new();
    let mut pages = 0;
    for lang in ["zh-CN", "en"] {
        let staff = client(&t, Some("admin@casebook.demo"), lang).await;
        let customer = client(&t, Some("it-admin@yuanjing-bank.demo"), lang).await;
        let visitor = client(&t, None, lang).await;
        for (route, who) in PAGES {
            let web = match who {
                Who::Staff => &staff,
                Who::Customer => &customer,
                Who::Public => &visitor,
            };
            let urls = found.urls(route);
            assert!(!urls.is_empty(), "the test data has no {route}");
            for url in urls {
                let (status, page) = web.get(&url).await;
                assert_eq!(status, StatusCode::OK, "{lang} {url}: {page}");
                if page.contains("<html") {
                    let en = page.contains("<html lang=\"en\"");
                    let lang_of_page = if en { "en" } else { "zh-CN" };
                    assert_eq!(lang_of_page, lang, "{url} came in the wrong language");
                }
                pages += 1;
                problems.extend(
                    page_problems(&page, lang, &data, &identifiers)
                        .into_iter()
                        .map(|p| format!("{lang} {url}: {p}")),
                );
                if has_utc_iso_time(&page_text(&page)) {
                    problems.push(format!("{lang} {url}: a UTC time in the page's text"));
                }
            }
        }
    }
    assert!(pages > 150, "only {pages} pages were checked");

    // The mail as queued: in its recipient's language, without identifiers or UTC times.
    let kinds: std::collections::BTreeSet<&str> = outbox.iter().map(|m| m.0.as_str()).collect();
    for kind in ["case_opened", "staff_reply", "sla_breach", "sla_warning"] {
        assert!(
            kinds.contains(kind),
            "no {kind} mail in the outbox: {kinds:?}"
        );
    }
    for (kind, to, subject, body) in &outbox {
        let lang = if check::has_cjk(&data.without(body)) {
            "zh-CN"
        } else {
            "en"
        };
        for text in [subject, body] {
            for line in text.lines() {
                for p in text_problems(lang, line, &data, &identifiers) {
                    problems.push(format!("mail {kind} to {to}: {p}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The text of a page (not its attributes: `<time datetime>` carries UTC on purpose).
fn page_text(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.root_element().text().collect::<Vec<_>>().join(" ")
}
