//! The demo data looks like a working desk on the day it is loaded, on SQLite and PostgreSQL:
//! a hundred cases with varied titles, most closed; of the cases whose clocks run, most are
//! within their targets, some are near them and a few are breached; every product version has
//! an end of support, some units run versions whose support ends soon; the call-home fleet is of
//! storage arrays, whose faults the simulator plays.

use std::collections::HashMap;
use std::sync::Arc;

use casebook_server::cli::demo;
use casebook_server::clock::{Clock, ManualClock, SystemClock};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

on_both_backends!(the_demo_looks_like_a_working_desk);

async fn the_demo_looks_like_a_working_desk(backend: TestBackend) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let t = TestApp::spawn_with(backend, |_| {}, clock.clone()).await;
    demo::load(&t.app).await.unwrap();

    let (status, list) = t.get(&t.engineer, "/api/v1/cases?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let cases = list["items"].as_array().unwrap();
    assert_eq!(cases.len(), 118, "{list}");
    let mut titles: HashMap<&str, usize> = HashMap::new();
    for case in cases {
        *titles.entry(case["title"].as_str().unwrap()).or_default() += 1;
    }
    let most = titles.values().max().copied().unwrap_or_default();
    assert!(titles.len() >= 40, "{} distinct titles", titles.len());
    assert!(most <= 5, "a title repeats {most} times: {titles:?}");
    let status_of = |c: &Value| c["status"].as_str().unwrap().to_owned();
    let closed = cases.iter().filter(|c| status_of(c) == "closed").count();
    assert!(closed >= 65, "{closed} closed");
    // Six months of history: cases opened in each of the six months before this one.
    let months: std::collections::BTreeSet<&str> = cases
        .iter()
        .map(|c| &c["created_at"].as_str().unwrap()[..7])
        .collect();
    assert!(months.len() >= 6, "cases opened in {months:?}");

    // Clocks of the cases that are worked on now: mostly within target, a few breached.
    let (mut healthy, mut near, mut breached) = (0, 0, 0);
    for case in cases {
        if !["new", "assigned", "in_progress"].contains(&status_of(case).as_str()) {
            continue;
        }
        let number = case["number"].as_str().unwrap();
        let (status, sla) = t
            .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
            .await;
        assert_eq!(status, StatusCode::OK, "{sla}");
        let running: Vec<&Value> = sla["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == "running")
            .collect();
        let is_breached = |c: &&Value| c["breached"] == true;
        let is_near = |c: &&Value| {
            let (left, used) = (
                c["remaining_minutes"].as_i64().unwrap(),
                c["consumed_minutes"].as_i64().unwrap(),
            );
            left * 3 < left + used
        };
        if running.iter().any(is_breached) {
            breached += 1;
        } else if running.iter().any(is_near) {
            near += 1;
        } else {
            healthy += 1;
        }
    }
    let open = healthy + near + breached;
    assert!(open >= 20, "{open} cases worked on");
    assert!(
        (1..=5).contains(&breached),
        "{breached} breached of {open} ({healthy} healthy, {near} near)"
    );
    assert!(
        healthy * 10 >= open * 6,
        "{healthy} healthy of {open} ({near} near, {breached} breached)"
    );

    // Every version has an end of support; some units run a version whose support ends soon.
    let (_, products) = t.get(&t.engineer, "/api/v1/products?limit=50").await;
    for product in products["items"].as_array().unwrap() {
        for version in product["versions"].as_array().unwrap() {
            assert!(version["end_of_support_on"].is_string(), "{version}");
        }
    }
    let (_, soon) = t
        .get(&t.engineer, "/api/v1/units?end_of_support_within_days=180")
        .await;
    assert!(!soon["items"].as_array().unwrap().is_empty(), "{soon}");

    // The fleet's devices are storage arrays.
    let (_, units) = t.get(&t.engineer, "/api/v1/units?limit=100").await;
    let fleet: Vec<&Value> = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["serial_number"].as_str().unwrap().starts_with("SIM-"))
        .collect();
    assert_eq!(fleet.len(), demo::call_home::FLEET_SIZE as usize, "{units}");
    for unit in fleet {
        let product = unit["product"]["name"].as_str().unwrap();
        assert!(product.contains("StorArray"), "{unit}");
    }
}
