//! `kill -9` of the server while cases are being created loses no case whose creation was
//! acknowledged, the search index of the restarted server finds every case, and the audit
//! chain stays intact.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use casebook_domain::policy::Role;
use casebook_server::actions::{accounts::tokens, accounts::users, directory::organizations};
use casebook_server::app::App;
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::audit::{self, Verification};
use casebook_store::on_both_backends;
use casebook_store::testing::{TestBackend, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{client, test_config};
use crate::processes::{Contained, Group};

on_both_backends!(acknowledged_cases_survive_kill_9);

/// A `casebook serve` process of a test, in a process group of its own; dropping it kills the
/// server and stops whatever else is left in its group.
pub struct Server {
    pub process: Child,
    _group: Group,
}

/// Starts `casebook serve` on the database with its search index in `dir`, and returns it with
/// its base URL.
pub async fn start_server(url: &str, dir: &std::path::Path) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CASEBOOK_DATABASE_URL", url)
        .env("CASEBOOK_SEARCH_INDEX_DIR", dir.join("search-index"))
        .env("CASEBOOK_LISTEN", "127.0.0.1:0")
        .env("CASEBOOK_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .contained()
        .spawn()
        .expect("start the casebook binary");
    let group = Group::of(child.id().expect("the server runs"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
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
    let server = Server {
        process: child,
        _group: group,
    };
    (server, format!("http://{address}"))
}

async fn acknowledged_cases_survive_kill_9(backend: TestBackend) {
    let test_db = TestDb::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::with_store(
        test_config(&test_db.url, dir.path()),
        test_db.store.clone(),
        Arc::new(SystemClock),
    );
    let system = Principal::system("test");
    let user = users::create(
        &app,
        &system,
        serde_json::from_value(
            json!({"email": "c@vendor.test", "name": "C", "role": Role::Coordinator}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let token = tokens::create(&app, &system, user.id, "crash")
        .await
        .unwrap()
        .secret;
    let org = organizations::create(
        &app,
        &system,
        serde_json::from_value(json!({"customer_number": "K9", "name": "Kill"})).unwrap(),
    )
    .await
    .unwrap();

    let (mut server, base) = start_server(&test_db.url, dir.path()).await;
    let (acknowledge, mut acknowledged_rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let mut clients = Vec::new();
    for worker in 0..8 {
        let (base, token, acknowledge) = (base.clone(), token.clone(), acknowledge.clone());
        let org = org.id.get();
        clients.push(tokio::spawn(async move {
            let http = client();
            for i in 0..2000 {
                let title = format!("crash {worker}-{i}");
                let body = json!({"title": title, "description": "d", "severity": 3, "organization_id": org});
                let Ok(response) = http.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&body).send().await else { return };
                if response.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(case) = response.json::<Value>().await else { return };
                let _ = acknowledge.send((case["number"].as_str().unwrap().to_owned(), title));
            }
        }));
    }
    drop(acknowledge);
    let mut acknowledged = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while acknowledged.len() < 200 {
            acknowledged.push(
                acknowledged_rx
                    .recv()
                    .await
                    .expect("the clients keep creating cases"),
            );
        }
    })
    .await
    .expect("200 cases are created within two minutes");
    // SIGKILL while the clients are still creating cases.
    server.process.start_kill().unwrap();
    server.process.wait().await.unwrap();
    for c in clients {
        c.await.unwrap();
    }
    while let Some(ack) = acknowledged_rx.recv().await {
        acknowledged.push(ack);
    }

    let (_restarted, base) = start_server(&test_db.url, dir.path()).await;
    let http = client();
    let mut numbers = std::collections::HashSet::new();
    for (number, title) in &acknowledged {
        assert!(
            numbers.insert(number.clone()),
            "{number} acknowledged twice"
        );
        let response = http
            .get(format!("{base}/api/v1/cases/{number}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged case {number} was lost"
        );
        let case: Value = response.json().await.unwrap();
        assert_eq!(case["title"], title.as_str());
    }
    // The search index was killed mid-stream too: the restarted server still finds every case
    // in the database, acknowledged or not, none twice.
    let mut db = test_db.store.read().await.unwrap();
    let in_database = casebook_store::cases::count(&mut db).await.unwrap();
    drop(db);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let found: Value = http
            .get(format!("{base}/api/v1/search?q=crash&types=case&limit=1"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if found["total"] == in_database {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search finds {} of {in_database} cases after the restart",
            found["total"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut db = test_db.store.read().await.unwrap();
    assert!(matches!(
        audit::verify(&mut db).await.unwrap(),
        Verification::Intact { .. }
    ));
}
