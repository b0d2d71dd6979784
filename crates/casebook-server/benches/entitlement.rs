//! Entitlement benchmark (not a test): with 100,000 installed units and 10,000 contracts
//! (1,000 organisations, each with 100 units and 10 contracts), the latency of the phone-intake
//! lookup by serial number — the entitlement check plus the organisation's contracts and units —
//! and of the check alone as case creation runs it. Run with
//! `cargo bench -p casebook-server --bench entitlement`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_ORGANIZATIONS (default 1000), CASEBOOK_BENCH_REQUESTS (default 2000).

mod common;

use common::{app_on, backend_name, env_usize, run_on_backends};
use std::sync::Arc;
use std::time::Instant;

use casebook_domain::Channel;
use casebook_domain::case::NamedRef;
use casebook_domain::contract::{Contract, Service, Unit};
use casebook_domain::ids::{Id, ProductId};
use casebook_server::actions::contracts::entitlements::{self, LookupQuery};
use casebook_server::actions::{directory::organizations, directory::products};
use casebook_server::app::App;
use casebook_server::clock::ManualClock;
use casebook_server::policy::Principal;
use casebook_store::testing::TestBackend;
use casebook_store::{contracts, units};
use hdrhistogram::Histogram;
use jiff::Timestamp;
use serde_json::json;

const UNITS_PER_ORG: usize = 100;
const CONTRACTS_PER_ORG: usize = 10;

fn serial(org: usize, unit: usize) -> String {
    format!("SN{org:05}U{unit:03}")
}

async fn load(app: &App, orgs: usize, products: &[ProductId]) {
    let system = Principal::system("bench");
    let now = app.clock.now();
    for o in 0..orgs {
        let org = organizations::create(
            app,
            &system,
            serde_json::from_value(
                json!({"customer_number": format!("B{o:05}"), "name": format!("客户 {o}")}),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
        let mut unit_ids = Vec::with_capacity(UNITS_PER_ORG);
        // Small writes, as the server makes them.
        for chunk in (0..UNITS_PER_ORG).collect::<Vec<_>>().chunks(20) {
            let mut w = app.store.write().await.unwrap();
            for &u in chunk {
                let unit = Unit {
                    id: Id::new(0),
                    organization_id: org,
                    site: None,
                    serial_number: serial(o, u),
                    product: NamedRef {
                        id: products[u % products.len()],
                        name: String::new(),
                    },
                    product_version: None,
                    patch_level: None,
                    operating_system: None,
                    notes: String::new(),
                    retired_at: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                unit_ids.push(units::insert(&mut w, &unit, now).await.unwrap());
            }
            w.commit().await.unwrap();
        }
        let mut w = app.store.write().await.unwrap();
        for c in 0..CONTRACTS_PER_ORG {
            // Each contract covers eight units (the last twenty of an organisation are not
            // covered); the first contract has ended.
            let ended = c == 0;
            let contract = Contract {
                id: Id::new(0),
                contract_number: format!("HT{o:05}C{c:02}"),
                organization_id: org,
                plan: "standard".parse().unwrap(),
                starts_on: "2025-01-01".parse().unwrap(),
                ends_on: if ended { "2025-12-31" } else { "2027-12-31" }
                    .parse()
                    .unwrap(),
                precedence: c as i64,
                units: unit_ids[c * 8..c * 8 + 8].to_vec(),
                products: Vec::new(),
                contacts: Vec::new(),
                channels: vec![Channel::Phone, Channel::Web, Channel::Email],
                services: vec![Service::OnSite],
                incidents: None,
                incidents_used: 0,
                hours: None,
                minutes_used: 0,
                service_manager: None,
                notes: String::new(),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            contracts::insert(&mut w, &contract, now).await.unwrap();
        }
        w.commit().await.unwrap();
    }
}

fn report(name: &str, what: &str, h: &Histogram<u64>) {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {name} | {what} | {} | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
        h.len(),
        ms(0.5),
        ms(0.95),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
}

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let orgs = env_usize("CASEBOOK_BENCH_ORGANIZATIONS", 1000);
    let requests = env_usize("CASEBOOK_BENCH_REQUESTS", 2000);
    let now: Timestamp = "2026-11-23T03:00:00Z".parse().unwrap();
    let (db, app) = app_on(backend, Arc::new(ManualClock::new(now))).await;
    let system = Principal::system("bench");
    let mut product_ids = Vec::new();
    for p in 0..5 {
        let product = products::create(
            &app,
            &system,
            serde_json::from_value(json!({"name": format!("Product {p}"), "vendor": "Huaxin"}))
                .unwrap(),
        )
        .await
        .unwrap();
        product_ids.push(product.id);
    }
    let t0 = Instant::now();
    load(&app, orgs, &product_ids).await;
    eprintln!(
        "{name}: {} units and {} contracts in {:.1} s",
        orgs * UNITS_PER_ORG,
        orgs * CONTRACTS_PER_ORG,
        t0.elapsed().as_secs_f64()
    );
    if backend == TestBackend::Postgres {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql("VACUUM ANALYZE")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    println!("| backend | request | count | p50 | p95 | p99 | max |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let coordinator = Principal::system("bench-coordinator");
    let mut lookups = Histogram::<u64>::new(3).unwrap();
    let mut checks = Histogram::<u64>::new(3).unwrap();
    for i in 0..requests {
        let o = (i * 7919) % orgs;
        let u = (i * 31) % UNITS_PER_ORG;
        let t = Instant::now();
        let found = entitlements::lookup(
            &app,
            &coordinator,
            LookupQuery {
                serial_number: Some(serial(o, u)),
                ..LookupQuery::default()
            },
        )
        .await
        .unwrap();
        lookups.record(t.elapsed().as_micros() as u64).unwrap();
        let expected = if u < 8 {
            "expired"
        } else if u < CONTRACTS_PER_ORG * 8 {
            "entitled"
        } else {
            "not_covered"
        };
        assert_eq!(found.entitlement.outcome.as_str(), expected, "unit {u}");
        let t = Instant::now();
        let view = entitlements::for_serial(&app, &serial(o, u), Channel::Phone)
            .await
            .unwrap();
        checks.record(t.elapsed().as_micros() as u64).unwrap();
        assert_eq!(view.outcome.as_str(), expected);
    }
    report(name, "lookup by serial number (phone intake)", &lookups);
    report(name, "entitlement check of a new case", &checks);
}

fn main() {
    run_on_backends(run);
}
