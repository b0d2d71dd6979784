//! The `casebook serve` process the search benchmark measures: started on the benchmark's
//! database and a copy of its index, and its memory read from `/proc`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Starts `casebook serve` on the database and index; returns it and its address.
pub async fn serve(url: &str, index: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CASEBOOK_DATABASE_URL", url)
        .env("CASEBOOK_SEARCH_INDEX_DIR", index)
        .env("CASEBOOK_LISTEN", "127.0.0.1:0")
        .env("CASEBOOK_LOG", "info")
        .env("NO_COLOR", "1")
        // The allocator's settings pass through (e.g. `MALLOC_ARENA_MAX=2`), to see how much of
        // a server's resident memory is kept by glibc's per-thread arenas.
        .envs(std::env::vars().filter(|(k, _)| k.starts_with("MALLOC_")))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the casebook binary");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(300), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("address=").nth(1) {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server starts within five minutes");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://{address}"))
}

/// A line of a process's `/proc/{pid}/status` in MB (`VmRSS`, `RssAnon`, `RssFile`, `VmHWM`).
pub fn status_mb(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.split(':').next() == Some(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A process's resident memory (`/proc/{pid}/smaps`) summed by what is mapped: anonymous memory,
/// the program itself, the index's files by extension, and the rest.
pub fn resident_by_mapping(pid: u32, index: &Path) -> String {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut sums: std::collections::BTreeMap<String, u64> = Default::default();
    let mut current = String::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if first.contains('-') && first.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            let path = words.nth(4).unwrap_or("");
            current = if path.is_empty() || path.starts_with('[') {
                "anonymous".into()
            } else if path.ends_with("/casebook") {
                "program".into()
            } else if Path::new(path).starts_with(index) {
                format!("index .{}", path.rsplit('.').next().unwrap_or(""))
            } else {
                "libraries and other files".into()
            };
        } else if first == "Rss:" {
            let kb: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            *sums.entry(current.clone()).or_default() += kb;
        }
    }
    let mut sums: Vec<(String, u64)> = sums.into_iter().filter(|(_, kb)| *kb >= 512).collect();
    sums.sort_by_key(|s| std::cmp::Reverse(s.1));
    sums.iter()
        .map(|(what, kb)| format!("{what} {:.0} MB", *kb as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}
