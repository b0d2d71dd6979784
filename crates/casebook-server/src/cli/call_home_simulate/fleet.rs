//! The simulator's pure parts: the fleet plan (which device sends what, when), the event bodies
//! it sends, the check that a target is on loopback, and a small seeded generator, so that a
//! run is the same for the same seed and every part is tested without a network.
//!
//! The plan spreads `rate × duration` events (at most [`MOST_EVENTS`]) evenly over the run:
//! first each device's inventory, then heartbeats, and per device cycles of a fault, one or two
//! repeats of it and its recovery (the first cycle right after the first heartbeat, so short
//! runs show every kind; a device stays under [`QUIET_LIMIT`] faults, warnings and recoveries in
//! any hour). One storm device, when asked for, sends [`STORM_EVENTS`] faults of one code in a
//! row a quarter of the way through, and only heartbeats otherwise.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// The most events one run sends.
pub const MOST_EVENTS: u64 = 100_000;
/// The faults a storm device sends in a row (the server suppresses a device after 10 in an hour).
pub const STORM_EVENTS: usize = 16;
/// The most faults, warnings and recoveries a device that is not storming sends in any hour.
pub const QUIET_LIMIT: usize = 8;
/// The longest fault cycle: the fault, two repeats, the recovery.
const LONGEST_CYCLE: usize = 4;
const HOUR: Duration = Duration::from_secs(3600);

/// A device fault (or warning) the simulator reports.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    /// The device's event code.
    pub code: &'static str,
    /// critical, major, minor, info.
    pub severity: &'static str,
    /// The message.
    pub message: &'static str,
    /// A few lines of device log.
    pub log: &'static str,
}

/// The faults devices report, Chinese, English or both, as devices write them.
pub const FAULTS: &[Fault] = &[
    Fault {
        code: "E1234",
        severity: "major",
        message: "控制器 B 故障切换，业务已由控制器 A 接管 / Controller B failed over to controller A",
        log: "ctrl-b: heartbeat lost\nctrl-a: taking over LUN 0-15\nctrl-a: failover complete",
    },
    Fault {
        code: "E2001",
        severity: "critical",
        message: "磁盘组 DG-2 降级：槽位 7 磁盘离线",
        log: "disk 0:7 SMART status FAILED\nDG-2: degraded, rebuild pending (no hot spare)",
    },
    Fault {
        code: "E3105",
        severity: "major",
        message: "Fan module 3 failed; chassis temperature 47 °C",
        log: "fan3: rpm=0\nchassis: temp=47C threshold=45C",
    },
    Fault {
        code: "E4410",
        severity: "minor",
        message: "电源模块 PSU-2 输入掉电 / PSU-2 lost input power",
        log: "psu2: vin=0V\npower: running on PSU-1 only",
    },
    Fault {
        code: "E5020",
        severity: "critical",
        message: "Link down on port eth4: peer switch unreachable",
        log: "eth4: link down\nbond0: eth4 removed, 1 of 2 links active",
    },
];

/// The warnings devices report.
pub const WARNINGS: &[Fault] = &[
    Fault {
        code: "W0301",
        severity: "minor",
        message: "SSD 磨损度 92%，建议更换 / SSD wear level 92%, plan a replacement",
        log: "ssd 0:3 wear_level=92%",
    },
    Fault {
        code: "W0420",
        severity: "info",
        message: "BBU battery nearing end of life (learn cycle failed)",
        log: "bbu: learn cycle failed, capacity 61%",
    },
];

const VERSIONS: &[&str] = &["5.3.2", "5.4.1", "6.0.0"];

/// What one planned event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The device's version and configuration, at start.
    Inventory,
    /// Alive.
    Heartbeat,
    /// A warning of [`WARNINGS`].
    Warning { warning: usize },
    /// A fault of [`FAULTS`]; `repeat` 0 is its first report.
    Fault { fault: usize, repeat: u32 },
    /// The fault cleared.
    Recovery { fault: usize },
    /// The `n`th fault of a storm.
    Storm { fault: usize, n: u32 },
}

/// One event of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// When to send it, from the start of the run.
    pub at: Duration,
    /// The device (0-based; its serial number is [`serial`] of it).
    pub device: u32,
    /// The device's own count of events before this one.
    pub seq: u32,
    /// What it is.
    pub step: Step,
}

/// What to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSpec {
    /// Devices in the fleet.
    pub devices: u32,
    /// Events per second across the fleet.
    pub rate: f64,
    /// Seconds.
    pub duration_secs: u64,
    /// The seed of every random choice.
    pub seed: u64,
    /// Whether one device storms.
    pub storm: bool,
}

impl FleetSpec {
    /// The events of the run: `rate × duration`, at most [`MOST_EVENTS`].
    pub fn total_events(&self) -> u64 {
        let wanted = (self.rate * self.duration_secs as f64).floor();
        if wanted.is_finite() && wanted > 0.0 {
            (wanted as u64).min(MOST_EVENTS)
        } else {
            0
        }
    }
}

/// The serial number of a device: the prefix and its 1-based number in four digits.
pub fn serial(prefix: &str, device: u32) -> String {
    format!("{prefix}{:04}", device + 1)
}

/// SplitMix64: small, seeded, the same on every platform and version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True `num` times in `den`.
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }
}

enum Stage {
    Healthy {
        wait: u32,
    },
    Faulty {
        fault: usize,
        repeats_left: u32,
        repeated: u32,
        rested: bool,
    },
}

/// What one device does next, one event at a time.
struct Script {
    storming: bool,
    sent: u32,
    cycles: u32,
    stage: Stage,
    /// When its recent faults, warnings and recoveries were sent.
    recent: VecDeque<Duration>,
}

impl Script {
    fn new(storming: bool) -> Self {
        Script {
            storming,
            sent: 0,
            cycles: 0,
            stage: Stage::Healthy { wait: 1 },
            recent: VecDeque::new(),
        }
    }

    fn next(&mut self, at: Duration, rng: &mut Rng) -> Step {
        if self.storming {
            return Step::Heartbeat;
        }
        while self.recent.front().is_some_and(|t| *t + HOUR <= at) {
            self.recent.pop_front();
        }
        match &mut self.stage {
            Stage::Healthy { wait } if *wait > 0 => {
                *wait -= 1;
                if self.cycles > 0
                    && self.recent.len() + 1 + LONGEST_CYCLE <= QUIET_LIMIT
                    && rng.chance(1, 6)
                {
                    self.recent.push_back(at);
                    return Step::Warning {
                        warning: rng.below(WARNINGS.len()),
                    };
                }
                Step::Heartbeat
            }
            Stage::Healthy { .. } => {
                if self.recent.len() + LONGEST_CYCLE > QUIET_LIMIT {
                    return Step::Heartbeat;
                }
                let fault = rng.below(FAULTS.len());
                self.stage = Stage::Faulty {
                    fault,
                    repeats_left: 1 + rng.below(2) as u32,
                    repeated: 0,
                    rested: false,
                };
                self.recent.push_back(at);
                Step::Fault { fault, repeat: 0 }
            }
            Stage::Faulty { rested, .. } if !*rested && rng.chance(1, 3) => {
                *rested = true;
                Step::Heartbeat
            }
            Stage::Faulty {
                fault,
                repeats_left,
                repeated,
                rested,
            } if *repeats_left > 0 => {
                *rested = false;
                *repeats_left -= 1;
                *repeated += 1;
                self.recent.push_back(at);
                Step::Fault {
                    fault: *fault,
                    repeat: *repeated,
                }
            }
            Stage::Faulty { fault, .. } => {
                let fault = *fault;
                self.recent.push_back(at);
                self.cycles += 1;
                self.stage = Stage::Healthy {
                    wait: 3 + rng.below(6) as u32,
                };
                Step::Recovery { fault }
            }
        }
    }
}

fn shuffle(items: &mut [u32], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// The storm of a plan: its device, first slot and fault.
pub fn storm_of(spec: &FleetSpec) -> Option<(u32, usize, usize)> {
    let n = spec.devices as usize;
    let total = spec.total_events() as usize;
    if !spec.storm || n == 0 || total < n + 2 * STORM_EVENTS {
        return None;
    }
    // Its own generator, so the storm does not change the other devices' plans.
    let mut rng = Rng::new(spec.seed ^ 0x5707_3D0E_C0DE_0001);
    let device = rng.below(n) as u32;
    let start = n + (total - n - STORM_EVENTS) / 4;
    Some((device, start, rng.below(FAULTS.len())))
}

/// The whole run, in the order of sending: event `k` at `k / rate` seconds.
pub fn plan(spec: &FleetSpec) -> Vec<Planned> {
    let n = spec.devices as usize;
    let total = spec.total_events() as usize;
    if n == 0 || total == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(spec.seed);
    let storm = storm_of(spec);
    let mut scripts: Vec<Script> = (0..n)
        .map(|d| Script::new(storm.is_some_and(|(s, _, _)| s as usize == d)))
        .collect();
    let mut round: Vec<u32> = Vec::new();
    let mut out = Vec::with_capacity(total);
    for slot in 0..total {
        let at = Duration::from_secs_f64(slot as f64 / spec.rate);
        let (device, step) = match storm {
            _ if slot < n => (slot as u32, Step::Inventory),
            Some((device, start, fault)) if (start..start + STORM_EVENTS).contains(&slot) => {
                let n = (slot - start) as u32;
                (device, Step::Storm { fault, n })
            }
            _ => {
                if round.is_empty() {
                    round = (0..n as u32).collect();
                    shuffle(&mut round, &mut rng);
                }
                let device = round.pop().expect("a device in the round");
                (device, scripts[device as usize].next(at, &mut rng))
            }
        };
        let script = &mut scripts[device as usize];
        out.push(Planned {
            at,
            device,
            seq: script.sent,
            step,
        });
        script.sent += 1;
    }
    out
}

/// What every body of a run shares.
#[derive(Debug, Clone)]
pub struct BodyContext<'a> {
    /// Serial numbers are this and the device's number.
    pub serial_prefix: &'a str,
    /// In every idempotency key, so another run sends new events.
    pub run: &'a str,
    /// The start of the run (events occur at start + their offset).
    pub start: Timestamp,
    /// The product name, if set.
    pub product: Option<&'a str>,
    /// The site code, if the key is bound to one.
    pub site: Option<&'a str>,
    /// The heartbeat interval devices announce.
    pub heartbeat_secs: u32,
}

/// The heartbeat interval a device announces: three times its mean gap, 10 s to a day.
pub fn heartbeat_secs(devices: u32, rate: f64) -> u32 {
    let gap = f64::from(devices) / rate * 3.0;
    if gap.is_finite() {
        gap.ceil().clamp(10.0, 86_400.0) as u32
    } else {
        86_400
    }
}

/// The JSON body of one event, as docs/call-home.md describes it.
pub fn body(p: &Planned, ctx: &BodyContext<'_>) -> Value {
    let serial = serial(ctx.serial_prefix, p.device);
    let occurred = ctx.start + SignedDuration::try_from(p.at).unwrap_or(SignedDuration::ZERO);
    let mut event = json!({
        "idempotency_key": format!("{serial}-{}-{:05}", ctx.run, p.seq),
        "serial_number": serial,
        "occurred_at": occurred.to_string(),
    });
    let fields = event.as_object_mut().expect("an object");
    let mut set = |name: &str, value: Value| {
        fields.insert(name.to_owned(), value);
    };
    if let Some(product) = ctx.product {
        set("product", json!(product));
    }
    if let Some(site) = ctx.site {
        set("site", json!(site));
    }
    let mut report = |kind: &str, fault: &Fault, message: String| {
        set("type", json!(kind));
        set("code", json!(fault.code));
        set("severity", json!(fault.severity));
        set("message", json!(message));
        set("log_excerpt", json!(fault.log));
    };
    match p.step {
        Step::Inventory => {
            let version = VERSIONS[p.device as usize % VERSIONS.len()];
            set("type", json!("inventory"));
            set("version", json!(version));
            set(
                "configuration",
                json!({"controllers": 2, "raid": "6", "disks": 24, "simulated": true}),
            );
        }
        Step::Heartbeat => {
            set("type", json!("heartbeat"));
            set("heartbeat_interval_secs", json!(ctx.heartbeat_secs));
        }
        Step::Warning { warning } => {
            let w = &WARNINGS[warning];
            report("warning", w, w.message.to_owned());
        }
        Step::Fault { fault, repeat } => {
            let f = &FAULTS[fault];
            let message = match repeat {
                0 => f.message.to_owned(),
                n => format!("{} (repeat {n})", f.message),
            };
            report("fault", f, message);
        }
        Step::Storm { fault, n } => {
            let f = &FAULTS[fault];
            report("fault", f, format!("{} (#{})", f.message, n + 1));
        }
        Step::Recovery { fault } => {
            let code = FAULTS[fault].code;
            set("type", json!("recovery"));
            set("code", json!(code));
            set("message", json!(format!("故障已清除 / {code} cleared")));
        }
    }
    event
}

/// Whether a URL host is loopback: 127.0.0.0/8, ::1 (or an IPv4-mapped 127.x) or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => {
            let name = bare.strip_suffix('.').unwrap_or(bare);
            name.eq_ignore_ascii_case("localhost")
        }
    }
}

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;
