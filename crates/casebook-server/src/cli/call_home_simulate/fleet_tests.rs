//! Unit tests of the fleet plan, the event bodies and the loopback check.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use casebook_domain::Named;
use casebook_domain::call_home::DeviceEvent;

use super::*;

fn spec(devices: u32, rate: f64, duration_secs: u64, seed: u64) -> FleetSpec {
    FleetSpec {
        devices,
        rate,
        duration_secs,
        seed,
        storm: devices >= 2,
    }
}

fn context() -> BodyContext<'static> {
    BodyContext {
        serial_prefix: "SIM-",
        run: "r1",
        start: "2026-11-29T08:00:00Z".parse().unwrap(),
        product: Some("HX-9000"),
        site: None,
        heartbeat_secs: 30,
    }
}

#[test]
fn a_seed_gives_the_same_plan() {
    let a = plan(&spec(6, 25.0, 8, 7));
    assert_eq!(a, plan(&spec(6, 25.0, 8, 7)));
    assert_ne!(a, plan(&spec(6, 25.0, 8, 8)));
    assert_eq!(a.len(), 200);
}

#[test]
fn events_are_spread_evenly_and_bounded() {
    let p = plan(&spec(3, 4.0, 5, 1));
    assert_eq!(p.len(), 20);
    assert_eq!(p[0].at, Duration::ZERO);
    assert_eq!(p[19].at, Duration::from_millis(4750));
    assert!(p.windows(2).all(|w| w[0].at < w[1].at));
    let huge = spec(10, 10_000.0, 3600, 1);
    assert_eq!(huge.total_events(), MOST_EVENTS);
    assert_eq!(spec(2, 0.1, 5, 1).total_events(), 0);
    assert!(plan(&spec(2, 0.1, 5, 1)).is_empty());
    assert_eq!(spec(2, f64::NAN, 5, 1).total_events(), 0);
}

/// What the integration test relies on: with a few devices and a few seconds, each device sends
/// its inventory first, every device that does not storm has a fault, a repeat of it and its
/// recovery in that order, and the storm device sends its storm after an inventory.
#[test]
fn a_small_fleet_shows_every_kind_of_event() {
    for seed in 0..200 {
        let s = spec(4, 20.0, 4, seed);
        let p = plan(&s);
        let (storm_device, start, _) = storm_of(&s).expect("a storm with 4 devices");
        for device in 0..4u32 {
            let mine: Vec<Step> = p
                .iter()
                .filter(|e| e.device == device)
                .map(|e| e.step)
                .collect();
            assert_eq!(mine[0], Step::Inventory, "seed {seed}");
            if device == storm_device {
                let storms = mine
                    .iter()
                    .filter(|s| matches!(s, Step::Storm { .. }))
                    .count();
                assert_eq!(storms, STORM_EVENTS);
                assert!(
                    mine.iter().all(|s| matches!(
                        s,
                        Step::Inventory | Step::Heartbeat | Step::Storm { .. }
                    ))
                );
                continue;
            }
            let fault = mine
                .iter()
                .position(|s| matches!(s, Step::Fault { repeat: 0, .. }))
                .unwrap_or_else(|| panic!("seed {seed} device {device}: no fault in {mine:?}"));
            let Step::Fault { fault: which, .. } = mine[fault] else {
                unreachable!()
            };
            let repeat = mine
                .iter()
                .position(|s| matches!(s, Step::Fault { repeat: 1, fault } if *fault == which))
                .expect("a repeat");
            let recovery = mine
                .iter()
                .position(|s| *s == Step::Recovery { fault: which })
                .unwrap_or_else(|| panic!("seed {seed} device {device}: no recovery in {mine:?}"));
            assert!(fault < repeat && repeat < recovery, "{mine:?}");
        }
        // The storm is a run of consecutive events of one device.
        assert!(
            p[start..start + STORM_EVENTS]
                .iter()
                .all(|e| e.device == storm_device && matches!(e.step, Step::Storm { .. }))
        );
    }
}

#[test]
fn no_storm_without_room_or_when_not_asked() {
    let mut s = spec(4, 20.0, 4, 3);
    s.storm = false;
    assert!(storm_of(&s).is_none());
    assert!(
        !plan(&s)
            .iter()
            .any(|e| matches!(e.step, Step::Storm { .. }))
    );
    assert!(
        storm_of(&spec(4, 5.0, 2, 3)).is_none(),
        "10 events: no room"
    );
    let mut alone = spec(1, 20.0, 4, 3);
    alone.storm = true;
    assert_eq!(storm_of(&alone).map(|s| s.0), Some(0));
}

/// A quiet device never sends more than [`QUIET_LIMIT`] faults, warnings and recoveries in any
/// hour, so only the storm device is suppressed by the server.
#[test]
fn quiet_devices_stay_under_the_storm_limit() {
    let s = spec(3, 1.0, 3 * 3600, 11);
    let p = plan(&s);
    let storm_device = storm_of(&s).unwrap().0;
    let mut per_device: BTreeMap<u32, Vec<Duration>> = BTreeMap::new();
    for e in &p {
        if matches!(
            e.step,
            Step::Fault { .. } | Step::Warning { .. } | Step::Recovery { .. }
        ) {
            per_device.entry(e.device).or_default().push(e.at);
        }
    }
    assert!(!per_device.contains_key(&storm_device));
    for (device, times) in per_device {
        assert!(times.len() > QUIET_LIMIT, "device {device} keeps failing");
        for (i, t) in times.iter().enumerate() {
            let in_hour = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(3600))
                .count();
            assert!(
                in_hour <= QUIET_LIMIT,
                "device {device}: {in_hour} in an hour"
            );
        }
    }
    let warnings = p
        .iter()
        .filter(|e| matches!(e.step, Step::Warning { .. }))
        .count();
    assert!(warnings > 0, "long runs have warnings too");
}

#[test]
fn every_body_is_a_valid_event_with_a_unique_key() {
    let s = spec(5, 50.0, 6, 99);
    let ctx = context();
    let mut keys = HashSet::new();
    let mut kinds = BTreeMap::new();
    for e in plan(&s) {
        let body = body(&e, &ctx);
        let event: DeviceEvent =
            serde_json::from_value(body.clone()).unwrap_or_else(|err| panic!("{body}: {err}"));
        assert!(event.check("").is_empty(), "{body}");
        assert!(keys.insert(event.idempotency_key.as_str().to_owned()));
        assert_eq!(event.serial_number.as_str(), serial("SIM-", e.device));
        *kinds.entry(event.event_type.as_str()).or_insert(0) += 1;
    }
    for kind in ["inventory", "heartbeat", "fault", "recovery"] {
        assert!(kinds.contains_key(kind), "{kinds:?}");
    }
    let first = body(&plan(&s)[0], &ctx);
    assert_eq!(first["idempotency_key"], "SIM-0001-r1-00000");
    assert_eq!(first["occurred_at"], "2026-11-29T08:00:00Z");
    assert_eq!(first["product"], "HX-9000");
}

#[test]
fn repeats_and_recoveries_name_the_fault() {
    let ctx = context();
    let at = |step| Planned {
        at: Duration::from_millis(1500),
        device: 2,
        seq: 7,
        step,
    };
    let repeat = body(
        &at(Step::Fault {
            fault: 0,
            repeat: 2,
        }),
        &ctx,
    );
    assert_eq!(repeat["code"], "E1234");
    assert_eq!(repeat["type"], "fault");
    assert!(repeat["message"].as_str().unwrap().ends_with("(repeat 2)"));
    assert_eq!(repeat["occurred_at"], "2026-11-29T08:00:01.5Z");
    assert_eq!(repeat["idempotency_key"], "SIM-0003-r1-00007");
    let recovery = body(&at(Step::Recovery { fault: 1 }), &ctx);
    assert_eq!(recovery["type"], "recovery");
    assert_eq!(recovery["code"], "E2001");
    assert!(recovery.get("severity").is_none());
}

#[test]
fn heartbeat_intervals_are_in_range() {
    assert_eq!(heartbeat_secs(4, 20.0), 10);
    assert_eq!(heartbeat_secs(100, 1.0), 300);
    assert_eq!(heartbeat_secs(10_000, 0.001), 86_400);
}

#[test]
fn only_loopback_hosts_are_loopback() {
    for host in [
        "127.0.0.1",
        "127.8.9.10",
        "[::1]",
        "::1",
        "localhost",
        "LocalHost.",
        "[::ffff:127.0.0.1]",
    ] {
        assert!(is_loopback_host(host), "{host}");
    }
    for host in [
        "192.0.2.1",
        "10.0.0.1",
        "0.0.0.0",
        "[::]",
        "[2001:db8::1]",
        "example.com",
        "localhost.example.com",
        "127.0.0.1.nip.io",
        "",
    ] {
        assert!(!is_loopback_host(host), "{host}");
    }
}
