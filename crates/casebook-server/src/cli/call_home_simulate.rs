//! `casebook call-home simulate`: a fleet of devices calling home to a server, for tests,
//! demos and load: each device sends its inventory, heartbeats, faults with repeats and
//! recoveries, and one device an event storm (the plan is in [`fleet`]), signed with a key file
//! of `casebook call-home create-key`. It sends only to loopback unless `--allow-remote`,
//! retries a request that got no answer or a 5xx with a new nonce (the idempotency key keeps an
//! event from counting twice), and prints what the server answered.

mod fleet;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use crate::actions::call_home::keys::{NewKeyFile, sign};
use fleet::{BodyContext, FleetSpec, Planned};

/// The path every request goes to (and is signed for).
const PATH: &str = "/api/v1/call-home/events";
/// The most requests in flight at once.
const IN_FLIGHT: usize = 64;
/// Tries of one request (the first and the retries).
const ATTEMPTS: u32 = 5;
/// How long after the planned end the run may take to finish its requests.
const DRAIN: Duration = Duration::from_secs(30);

/// Whether one device of the fleet goes into an event storm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StormChoice {
    /// When the fleet has two devices or more.
    Auto,
    /// Always (a fleet of one storms alone).
    Always,
    /// Never.
    Never,
}

/// `casebook call-home simulate …`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Devices in the fleet; serial numbers are the prefix and 0001, 0002, …
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    devices: u32,
    /// Events per second across the fleet (at most 10,000).
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// Seconds to send for (at most 3,600; at most 100,000 events in all).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration: u64,
    /// The server's base URL, e.g. http://127.0.0.1:8080 (plain HTTP).
    #[arg(long)]
    target: String,
    /// The key file written by `casebook call-home create-key`.
    #[arg(long)]
    key_file: PathBuf,
    /// Allow a target that is not on loopback (127.0.0.0/8, ::1, localhost).
    #[arg(long)]
    allow_remote: bool,
    /// The seed of the plan (printed when chosen at random), so a run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// The prefix of the devices' serial numbers.
    #[arg(long, default_value = "SIM-")]
    serial_prefix: String,
    /// The product name devices send (when one serial number is used by two products).
    #[arg(long)]
    product: Option<String>,
    /// Whether one device goes into an event storm.
    #[arg(long, value_enum, default_value_t = StormChoice::Auto)]
    storm: StormChoice,
    /// A tag in every idempotency key (default: new per run); the same tag sends the same
    /// events again, which the server answers as duplicates.
    #[arg(long)]
    run_id: Option<String>,
}

/// The target as checked: the events URL, and whether it is on loopback.
#[derive(Debug)]
struct Target {
    events_url: String,
    loopback: bool,
}

/// Checks the target before anything is sent: plain HTTP, and on loopback unless allowed.
fn check_target(target: &str, allow_remote: bool) -> anyhow::Result<Target> {
    let url = reqwest::Url::parse(target.trim())
        .map_err(|e| anyhow::anyhow!("--target {target}: not a URL ({e})"))?;
    if url.scheme() != "http" {
        anyhow::bail!(
            "--target {target}: the simulator speaks plain http:// only (scheme {} given)",
            url.scheme()
        );
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = fleet::is_loopback_host(host);
    if !loopback && !allow_remote {
        anyhow::bail!(
            "--target {target}: {host} is not a loopback address; the simulator sends only to \
             127.0.0.0/8, ::1 or localhost unless --allow-remote is given (nothing was sent)"
        );
    }
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    Ok(Target {
        events_url: format!("{}{PATH}", base.as_str().trim_end_matches('/')),
        loopback,
    })
}

/// What the server answered, counted.
#[derive(Debug, Default)]
struct Tally {
    /// Events whose sending started.
    events: u64,
    /// HTTP requests, retries included.
    attempts: u64,
    retries: u64,
    accepted: u64,
    duplicates: u64,
    /// Outcomes of the events answered (a duplicate's is its first outcome).
    outcomes: BTreeMap<String, u64>,
    /// Refused requests by status and error code.
    refused: BTreeMap<String, u64>,
    /// Events given up after the retries, by the last failure.
    undelivered: BTreeMap<String, u64>,
    /// Events not sent before the time limit.
    unsent: u64,
    /// The time of each answered request.
    latencies: Vec<Duration>,
}

/// What became of one event's request.
enum Answer {
    Accepted(serde_json::Value),
    Refused(String),
    Undelivered(String),
}

/// What every device task shares.
struct Shared {
    client: reqwest::Client,
    events_url: String,
    key: NewKeyFile,
    prefix: String,
    run: String,
    product: Option<String>,
    started_at: jiff::Timestamp,
    heartbeat_secs: u32,
    start: Instant,
    deadline: Instant,
    slots: tokio::sync::Semaphore,
    tally: Mutex<Tally>,
}

impl Shared {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn context(&self) -> BodyContext<'_> {
        BodyContext {
            serial_prefix: &self.prefix,
            run: &self.run,
            start: self.started_at,
            product: self.product.as_deref(),
            site: self.key.site.as_deref(),
            heartbeat_secs: self.heartbeat_secs,
        }
    }

    /// Sends one body until the server answers (or the tries or the time run out); each try
    /// has a new timestamp and nonce.
    async fn send(&self, body: &[u8]) -> Answer {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                let backoff = Duration::from_millis(200 << attempt);
                if Instant::now() + backoff >= self.deadline {
                    break;
                }
                self.tally().retries += 1;
                tokio::time::sleep(backoff).await;
            }
            self.tally().attempts += 1;
            let timestamp = jiff::Timestamp::now().as_second();
            let nonce = format!("sim-{}", hex::encode(rand::random::<[u8; 12]>()));
            let signature = sign(&self.key.secret, timestamp, &nonce, "POST", PATH, body);
            let started = Instant::now();
            let sent = self
                .client
                .post(&self.events_url)
                .header("Content-Type", "application/json")
                .header("X-Casebook-Key", &self.key.key_id)
                .header("X-Casebook-Timestamp", timestamp.to_string())
                .header("X-Casebook-Nonce", &nonce)
                .header("X-Casebook-Signature", signature)
                .body(body.to_vec())
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    last = failure(&e).into();
                    continue;
                }
            };
            let status = response.status();
            let text = match response.bytes().await {
                Ok(text) => text,
                Err(e) => {
                    last = failure(&e).into();
                    continue;
                }
            };
            self.tally().latencies.push(started.elapsed());
            let json: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
            if status.is_success() {
                return Answer::Accepted(json);
            }
            // By the error code, or the status when the answer has none.
            let code = match json["error"]["code"].as_str() {
                Some(code) => code.to_owned(),
                None => format!("http_{}", status.as_u16()),
            };
            let retry = status.is_server_error()
                || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || code == "idempotency_key_in_use";
            if !retry {
                return Answer::Refused(code);
            }
            last = code;
        }
        Answer::Undelivered(last)
    }

    fn record(&self, answer: Answer) {
        let mut tally = self.tally();
        match answer {
            Answer::Accepted(json) => {
                for result in json["results"].as_array().into_iter().flatten() {
                    if result["duplicate"].as_bool() == Some(true) {
                        tally.duplicates += 1;
                    } else {
                        tally.accepted += 1;
                    }
                    let outcome = result["outcome"].as_str().unwrap_or("?").to_owned();
                    *tally.outcomes.entry(outcome).or_default() += 1;
                }
            }
            Answer::Refused(what) => *tally.refused.entry(what).or_default() += 1,
            Answer::Undelivered(what) => *tally.undelivered.entry(what).or_default() += 1,
        }
    }
}

fn failure(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection_failed"
    } else {
        "network_error"
    }
}

/// One device: its events in order, each when it is due (at once when late), one at a time.
async fn device(shared: Arc<Shared>, events: Vec<Planned>) {
    for (i, planned) in events.iter().enumerate() {
        tokio::time::sleep_until((shared.start + planned.at).into()).await;
        if Instant::now() >= shared.deadline {
            shared.tally().unsent += (events.len() - i) as u64;
            return;
        }
        let body = serde_json::to_vec(&fleet::body(planned, &shared.context()))
            .expect("a JSON value serialises");
        let Ok(_slot) = shared.slots.acquire().await else {
            return;
        };
        shared.tally().events += 1;
        let answer = shared.send(&body).await;
        shared.record(answer);
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    let parts: Vec<String> = map.iter().map(|(k, n)| format!("{k}={n}")).collect();
    parts.join(" ")
}

fn run_id_ok(run: &str) -> bool {
    (1..=32).contains(&run.len())
        && run
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Runs the simulation; exit 0 when every request was answered and none refused, 1 when the
/// server refused a request (signature, key, body: a 4xx), 2 when events could not be
/// delivered or sent in time.
pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 10_000.0) {
        anyhow::bail!("--rate must be more than 0 and at most 10000 events per second");
    }
    let target = check_target(&args.target, args.allow_remote)?;
    let last_serial = fleet::serial(&args.serial_prefix, args.devices - 1);
    casebook_domain::text::Code::parse(&last_serial).map_err(|e| {
        anyhow::anyhow!(
            "--serial-prefix {}: {last_serial} is not a serial number ({e})",
            args.serial_prefix
        )
    })?;
    let run = args.run_id.clone().unwrap_or_else(|| {
        let millis = jiff::Timestamp::now().as_millisecond();
        format!("{millis:x}{:03x}", std::process::id() & 0xfff)
    });
    if !run_id_ok(&run) {
        anyhow::bail!("--run-id: 1 to 32 of A-Z a-z 0-9 - _");
    }
    let key_text = std::fs::read(&args.key_file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.key_file.display()))?;
    let key: NewKeyFile = serde_json::from_slice(&key_text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a key file of `casebook call-home create-key` ({e})",
            args.key_file.display()
        )
    })?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let spec = FleetSpec {
        devices: args.devices,
        rate: args.rate,
        duration_secs: args.duration,
        seed,
        storm: match args.storm {
            StormChoice::Auto => args.devices >= 2,
            StormChoice::Always => true,
            StormChoice::Never => false,
        },
    };
    let plan = fleet::plan(&spec);
    if plan.is_empty() {
        anyhow::bail!("--rate × --duration is less than one event: nothing to send");
    }
    println!(
        "call-home simulation: {} devices ({}…), {} events/s for {} s, seed {seed}, run {run}: {} events to {}",
        args.devices,
        fleet::serial(&args.serial_prefix, 0),
        args.rate,
        args.duration,
        plan.len(),
        target.events_url
    );
    match fleet::storm_of(&spec) {
        Some((device, slot, fault)) => println!(
            "storm: {} sends {} × {} from {:.1} s",
            fleet::serial(&args.serial_prefix, device),
            fleet::STORM_EVENTS,
            fleet::FAULTS[fault].code,
            plan[slot].at.as_secs_f64()
        ),
        None => println!("storm: none"),
    }
    crate::app::outbound::install_crypto();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5));
    if target.loopback {
        builder = builder.no_proxy();
    }
    let start = Instant::now();
    let shared = Arc::new(Shared {
        client: builder.build()?,
        events_url: target.events_url,
        key,
        prefix: args.serial_prefix,
        run,
        product: args.product,
        started_at: jiff::Timestamp::now(),
        heartbeat_secs: fleet::heartbeat_secs(args.devices, args.rate),
        start,
        deadline: start + Duration::from_secs(args.duration) + DRAIN,
        slots: tokio::sync::Semaphore::new(IN_FLIGHT),
        tally: Mutex::new(Tally::default()),
    });
    let mut per_device: Vec<Vec<Planned>> = vec![Vec::new(); args.devices as usize];
    for planned in plan {
        per_device[planned.device as usize].push(planned);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for events in per_device.into_iter().filter(|e| !e.is_empty()) {
        tasks.spawn(device(shared.clone(), events));
    }
    while let Some(done) = tasks.join_next().await {
        done?;
    }
    let elapsed = start.elapsed();
    let mut tally = std::mem::take(&mut *shared.tally());
    tally.latencies.sort();
    println!(
        "sent: {} events in {} requests ({} retries) in {:.1} s",
        tally.events,
        tally.attempts,
        tally.retries,
        elapsed.as_secs_f64()
    );
    println!(
        "accepted: {} new, {} duplicates",
        tally.accepted, tally.duplicates
    );
    println!("outcomes: {}", counts(&tally.outcomes));
    println!("refused: {}", counts(&tally.refused));
    println!("undelivered: {}", counts(&tally.undelivered));
    if tally.unsent > 0 {
        println!("not sent (time limit): {}", tally.unsent);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "latency: p50 {:.1} ms, p99 {:.1} ms ({} answers)",
        ms(percentile(&tally.latencies, 0.50)),
        ms(percentile(&tally.latencies, 0.99)),
        tally.latencies.len()
    );
    let refused: u64 = tally.refused.values().sum();
    let undelivered: u64 = tally.undelivered.values().sum::<u64>() + tally.unsent;
    if refused > 0 {
        eprintln!("error: the server refused {refused} requests (see \"refused\" above)");
        return Ok(ExitCode::from(1));
    }
    if undelivered > 0 {
        eprintln!("error: {undelivered} events were not delivered");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_before_sending() {
        let ok = check_target("http://127.0.0.1:8080/", false).unwrap();
        assert_eq!(
            ok.events_url,
            "http://127.0.0.1:8080/api/v1/call-home/events"
        );
        assert!(ok.loopback);
        let under = check_target("http://localhost:9/casebook?x=1", false).unwrap();
        assert_eq!(
            under.events_url,
            "http://localhost:9/casebook/api/v1/call-home/events"
        );
        let refused = check_target("http://192.0.2.1:8080", false)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("not a loopback address") && refused.contains("--allow-remote"),
            "{refused}"
        );
        let allowed = check_target("http://192.0.2.1:8080", true).unwrap();
        assert!(!allowed.loopback);
        assert!(check_target("https://127.0.0.1", false).is_err());
        assert!(check_target("127.0.0.1:8080", false).is_err());
        assert!(check_target("http://[::1]:8080", false).unwrap().loopback);
    }

    #[test]
    fn percentiles_and_run_ids() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&d, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
        assert!(
            run_id_ok("r-1_A")
                && !run_id_ok("")
                && !run_id_ok("a b")
                && !run_id_ok(&"a".repeat(33))
        );
    }
}
