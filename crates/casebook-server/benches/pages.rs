//! Web page benchmark (not a test): how long the console's queue page and case page and the
//! portal's case list take to render with 100,000 cases in the database, on SQLite and
//! PostgreSQL, measured from a client on loopback (server time plus one local round trip).
//! Run with `cargo bench -p casebook-server --bench pages`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_CASES (cases in the database, default 100000),
//! CASEBOOK_BENCH_PAGE_REQUESTS (requests per page, default 200).

mod common;

use common::{app_on, backend_name, env_usize, fill_cases, run_on_backends};
use std::sync::Arc;
use std::time::Instant;

use casebook_server::actions::{accounts::users, cases::comments, directory::organizations};
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::testing::TestBackend;
use hdrhistogram::Histogram;
use serde_json::json;

const PASSWORD: &str = "bench-password-1";

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn web_client() -> reqwest::Client {
    casebook_server::app::outbound::install_crypto();
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(base: &str, email: &str) -> reqwest::Client {
    let http = web_client();
    let page = http
        .get(format!("{base}/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let r = http
        .post(format!("{base}/sign-in"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in");
    http
}

async fn measure(http: &reqwest::Client, url: &str, requests: usize) -> (Histogram<u64>, usize) {
    let mut hist = Histogram::<u64>::new(3).unwrap();
    let mut bytes = 0;
    for _ in 0..requests {
        let t0 = Instant::now();
        let r = http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        bytes = r.bytes().await.unwrap().len();
        hist.record(t0.elapsed().as_micros() as u64).unwrap();
    }
    (hist, bytes)
}

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let target = env_usize("CASEBOOK_BENCH_CASES", 100_000);
    let requests = env_usize("CASEBOOK_BENCH_PAGE_REQUESTS", 200);
    let (db, app) = app_on(backend, Arc::new(SystemClock)).await;
    let system = Principal::system("bench");
    let mut orgs = Vec::new();
    for i in 0..50 {
        let draft = serde_json::from_value(
            json!({"customer_number": format!("B-{i:04}"), "name": format!("客户 {i}")}),
        )
        .unwrap();
        orgs.push(
            organizations::create(&app, &system, draft)
                .await
                .unwrap()
                .id,
        );
    }
    let engineer = users::create(&app, &system, serde_json::from_value(json!({"email": "eng@vendor.test", "name": "工程师", "role": "engineer", "password": PASSWORD})).unwrap()).await.unwrap();
    users::create(&app, &system, serde_json::from_value(json!({"email": "admin@b-0007.test", "name": "客户管理员", "role": "customer_admin", "organization_id": orgs[7], "password": PASSWORD})).unwrap()).await.unwrap();
    let t0 = Instant::now();
    fill_cases(
        &db.store,
        &orgs,
        engineer.id,
        target,
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 400),
    )
    .await;
    if backend == TestBackend::Postgres {
        db.execute_raw("ANALYZE").await.unwrap();
    }
    eprintln!(
        "{name}: filled to {target} cases in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // The case page shows a case of organisation 7 with a timeline of 40 entries.
    let number = {
        let mut r = db.store.read().await.unwrap();
        let page = casebook_store::case_list::list(
            &mut r,
            casebook_domain::policy::CaseScope::All,
            &casebook_store::case_list::CaseFilter {
                organization: Some(orgs[7]),
                ..Default::default()
            },
            &casebook_store::PageRequest::first(),
        )
        .await
        .unwrap();
        page.items[0].number
    };
    let staff = Principal::system("bench");
    for i in 0..40 {
        let visibility = if i % 4 == 0 { "internal" } else { "public" };
        let draft = serde_json::from_value(json!({"body": format!("第 {i} 次更新：已收集日志，**正在分析** controller failover。"), "visibility": visibility})).unwrap();
        comments::add(&app, &staff, number, draft, Vec::new())
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = casebook_server::router::router(app);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let staff_http = sign_in(&base, "eng@vendor.test").await;
    let customer_http = sign_in(&base, "admin@b-0007.test").await;
    let org = orgs[7];
    let pages = [
        (
            "console: my cases",
            &staff_http,
            "/console?queue=mine".to_owned(),
        ),
        (
            "console: unassigned",
            &staff_http,
            "/console?queue=unassigned".to_owned(),
        ),
        (
            "console: all open, severity 1",
            &staff_http,
            "/console?queue=all&severity=1".to_owned(),
        ),
        (
            "console: organisation filter",
            &staff_http,
            format!("/console?queue=all&organization={org}"),
        ),
        (
            "console: queue table refresh",
            &staff_http,
            "/console?queue=mine&fragment=1".to_owned(),
        ),
        (
            "console: case page (40 entries)",
            &staff_http,
            format!("/console/cases/{number}"),
        ),
        ("portal: case list", &customer_http, "/portal".to_owned()),
        (
            "portal: case page",
            &customer_http,
            format!("/portal/cases/{number}"),
        ),
    ];
    for (label, http, path) in pages {
        let (hist, bytes) = measure(http, &format!("{base}{path}"), requests).await;
        println!(
            "| {name} | {target} cases | {label} | {} KB | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
            bytes / 1024,
            ms(&hist, 0.5),
            ms(&hist, 0.95),
            ms(&hist, 0.99),
            hist.max() as f64 / 1000.0
        );
    }
}

fn main() {
    run_on_backends(run);
}
