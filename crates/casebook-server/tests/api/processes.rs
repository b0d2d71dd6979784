//! The processes the tests start (chromedriver and its browser, dovecot, aiosmtpd, `casebook`
//! servers and commands), kept so that none outlives its test: each runs in a process group of
//! its own, and when its owner is dropped (at the end of the test, or while a panic unwinds) the
//! whole group is stopped: SIGTERM, a bounded wait, then SIGKILL for whatever is left. Each also
//! carries the run marker of `scripts/test` (`CASEBOOK_TEST_RUN`), also through `env_clear`, so
//! that the script can check at its end that nothing it started is still running.
//!
//! A process group ends with its members; a process that leaves the group (chromium's crash
//! handler starts a session of its own) must end by itself when its parent goes, which
//! `web/browser_teardown.rs` checks. Ctrl-C reaches only the terminal's foreground group, so
//! interrupting a bare `cargo test` can leave these groups running; `scripts/test` stops them.

use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

/// The variable `scripts/test` sets to a value of its own run; every process of the run has it.
pub const RUN_MARKER: &str = "CASEBOOK_TEST_RUN";

/// How long a group may take to end after SIGTERM (and again after SIGKILL).
pub const GRACE: Duration = Duration::from_secs(10);

/// Starting a command so that everything it starts can be stopped together.
pub trait Contained {
    /// Puts the command in a process group of its own and passes the run marker on. Call it
    /// after `env_clear`, which would drop the marker again.
    fn contained(&mut self) -> &mut Self;
}

impl Contained for std::process::Command {
    fn contained(&mut self) -> &mut Self {
        contain(self, std::env::var_os(RUN_MARKER))
    }
}

fn contain(
    command: &mut std::process::Command,
    marker: Option<std::ffi::OsString>,
) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    if let Some(marker) = marker {
        command.env(RUN_MARKER, marker);
    }
    command.process_group(0)
}

impl Contained for tokio::process::Command {
    fn contained(&mut self) -> &mut Self {
        contain(self.as_std_mut(), std::env::var_os(RUN_MARKER));
        self
    }
}

/// A command that runs `program` under a shell that stays beside it in its process group. For
/// daemons that overwrite their environment with their process title (dovecot): `scripts/test`
/// finds the group by the shell's run marker, the daemon's processes as its members. The shell
/// ends with the group.
pub fn beside_a_marked_shell(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command.args(["-c", "\"$@\" & wait $!", "sh"]).arg(program);
    command
}

/// A running process as `/proc` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    /// The kernel's short name of its program (`comm`).
    pub name: String,
}

/// Every process that runs now; zombies (ended, not yet reaped) do not count.
pub fn running() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (name) state ppid pgrp ...": the name may hold spaces and parentheses.
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_owned();
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            let pgid = fields.next()?.parse().ok()?;
            (state != "Z" && state != "X").then_some(Process {
                pid,
                ppid,
                pgid,
                name,
            })
        })
        .collect()
}

/// A process and all its descendants that run now.
pub fn family(pid: u32) -> Vec<Process> {
    let all = running();
    let mut family: Vec<Process> = all.iter().filter(|p| p.pid == pid).cloned().collect();
    let mut i = 0;
    while i < family.len() {
        let parent = family[i].pid;
        family.extend(all.iter().filter(|p| p.ppid == parent).cloned());
        i += 1;
    }
    family
}

/// The processes whose command line or environment mentions `text` (e.g. the profile folder of
/// a browser, which its processes get in one or the other).
pub fn mentioning(text: &str) -> Vec<Process> {
    let text = text.as_bytes();
    let holds = |raw: Vec<u8>| raw.windows(text.len()).any(|w| w == text);
    running()
        .into_iter()
        .filter(|p| {
            ["cmdline", "environ"]
                .into_iter()
                .any(|file| std::fs::read(format!("/proc/{}/{file}", p.pid)).is_ok_and(holds))
        })
        .collect()
}

/// Polls until `done` holds or `limit` has passed; returns whether it held.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The process group of a command started with [`Contained::contained`]; dropping it stops
/// every process still in it.
#[derive(Debug)]
pub struct Group {
    pgid: u32,
}

impl Group {
    /// The group a contained child leads (its id is the group's id).
    pub fn of(leader: u32) -> Group {
        Group { pgid: leader }
    }

    pub fn id(&self) -> u32 {
        self.pgid
    }

    /// The processes still in the group.
    pub fn members(&self) -> Vec<Process> {
        running()
            .into_iter()
            .filter(|p| p.pgid == self.pgid)
            .collect()
    }

    /// Asks every process of the group to end, and kills those that have not within the
    /// grace period. Returns once the group is empty (or, after SIGKILL too, the grace has
    /// passed again: a process in uninterruptible sleep cannot be waited for forever).
    pub fn stop(&self) {
        self.stop_within(GRACE);
    }

    /// Like [`Group::stop`], with another grace period.
    pub fn stop_within(&self, grace: Duration) {
        for signal in [Signal::TERM, Signal::KILL] {
            if self.members().is_empty() {
                return;
            }
            let Some(pgid) = Pid::from_raw(self.pgid as i32) else {
                return;
            };
            // ESRCH: the last member ended meanwhile.
            let _ = kill_process_group(pgid, signal);
            if eventually(grace, || self.members().is_empty()) {
                return;
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A child process in a group of its own, stopped with its group when dropped.
#[derive(Debug)]
pub struct Running {
    child: std::process::Child,
    group: Group,
}

impl Running {
    /// Starts the command contained (see [`Contained`]).
    pub fn spawn(command: &mut std::process::Command) -> std::io::Result<Running> {
        let child = command.contained().spawn()?;
        let group = Group::of(child.id());
        Ok(Running { child, group })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn child(&mut self) -> &mut std::process::Child {
        &mut self.child
    }

    pub fn group(&self) -> &Group {
        &self.group
    }

    /// Stops the whole group and reaps the child.
    pub fn stop(&mut self) {
        self.group.stop();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A shell that starts a grandchild in the background, then waits.
fn shell(script: &str) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", script])
        .stdout(std::process::Stdio::piped());
    command
}

/// Reads the pid the shell prints (its background grandchild's).
fn grandchild_of(running: &mut Running) -> u32 {
    use std::io::BufRead;
    let stdout = running.child().stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    line.trim().parse().expect("the shell prints a pid")
}

fn alive(pid: u32) -> bool {
    running().iter().any(|p| p.pid == pid)
}

#[test]
fn dropping_a_child_stops_its_grandchildren_too() {
    let mut sh = Running::spawn(&mut shell("sleep 600 & echo $!; wait")).unwrap();
    let grandchild = grandchild_of(&mut sh);
    let (child, group) = (sh.child().id(), sh.group().id());
    assert_eq!(group, child, "the child leads a group of its own");
    assert_ne!(
        group,
        rustix::process::getpgrp().as_raw_pid() as u32,
        "not the group of the tests"
    );
    assert!(alive(grandchild), "the grandchild runs");
    assert!(
        sh.group().members().iter().any(|p| p.pid == grandchild),
        "in the child's group"
    );
    drop(sh);
    assert!(!alive(child), "the child ended");
    assert!(!alive(grandchild), "the grandchild ended with it");
}

#[test]
fn what_ignores_sigterm_is_killed() {
    let mut sh = Running::spawn(&mut shell("trap '' TERM; sleep 600 & echo $!; wait")).unwrap();
    let grandchild = grandchild_of(&mut sh);
    let child = sh.child().id();
    let grace = Duration::from_millis(300);
    let started = Instant::now();
    sh.group().stop_within(grace);
    assert!(!alive(child) && !alive(grandchild), "both were killed");
    assert!(started.elapsed() >= grace, "SIGTERM came first");
    assert!(
        started.elapsed() < GRACE,
        "killed once the grace period had passed"
    );
}

#[test]
fn contained_commands_carry_the_run_marker_through_env_clear() {
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", &format!("printf %s \"${RUN_MARKER}\"")])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(std::process::Stdio::piped());
    let out = contain(&mut command, Some("run-42".into()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "run-42");
}

#[test]
fn a_daemon_runs_beside_a_shell_that_keeps_the_marker() {
    let mut command = beside_a_marked_shell("sleep");
    command.arg("600");
    let child = contain(&mut command, Some("run-43".into()))
        .spawn()
        .unwrap();
    let shell = child.id();
    let running = Running {
        group: Group::of(shell),
        child,
    };
    let pair = || running.group().members();
    assert!(
        eventually(GRACE, || pair().iter().any(|p| p.name == "sleep")),
        "the daemon runs in the shell's group: {:?}",
        pair()
    );
    let environ = std::fs::read(format!("/proc/{shell}/environ")).unwrap();
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|v| v == b"CASEBOOK_TEST_RUN=run-43"),
        "the shell keeps the marker"
    );
    let members = pair();
    drop(running);
    assert!(
        members.iter().all(|p| !alive(p.pid)),
        "both ended: {members:?}"
    );
}

/// `casebook serve` started by a test on a database, listening on a free loopback port; stopped
/// with its process group when dropped.
pub struct Served {
    _child: tokio::process::Child,
    _group: Group,
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub base: String,
    http: reqwest::Client,
}

impl Served {
    /// Starts the real binary on `database_url`, its search index under `dir`, with the
    /// configuration variables `env` besides; waits until it listens (at most a minute).
    pub async fn start(
        database_url: &str,
        dir: &std::path::Path,
        env: &[(&str, String)],
    ) -> Served {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_casebook"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CASEBOOK_DATABASE_URL", database_url)
            .env("CASEBOOK_SEARCH_INDEX_DIR", dir.join("index"))
            .env("CASEBOOK_LISTEN", "127.0.0.1:0")
            .env("CASEBOOK_LOG", "info")
            .env("NO_COLOR", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .contained()
            .spawn()
            .expect("start the casebook binary");
        let group = Group::of(child.id().expect("the server runs"));
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            child.stdout.take().unwrap(),
        ));
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.split("address=").nth(1) {
                    return rest.split_whitespace().next().unwrap().to_owned();
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server starts within a minute");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Served {
            _child: child,
            _group: group,
            base: format!("http://{address}"),
            http: crate::helpers::client(),
        }
    }

    /// Sends a request with a bearer token and maybe a JSON body to the server; the status
    /// and the JSON answer (`Null` when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let answer = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, answer)
    }
}
