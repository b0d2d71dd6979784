//! The database becomes unreachable or busy: requests get 503 with a clear message, nothing is
//! half-written, and the server recovers by itself when the database is back.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use casebook_domain::policy::Role;
use casebook_server::actions::{accounts::tokens, accounts::users, directory::organizations};
use casebook_server::app::App;
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::testing::{TestBackend, TestDb, test_options};
use casebook_store::{Store, cases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{assert_error, client, test_config};

/// A TCP proxy in front of PostgreSQL that can be unplugged: while down it cuts every open
/// connection and refuses new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    pipes: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let pipes: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (up2, pipes2) = (up.clone(), pipes.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                pipes2.lock().unwrap().push(pipe);
            }
        });
        Proxy {
            port,
            up,
            pipes,
            accept,
        }
    }

    fn unplug(&self) {
        self.up.store(false, Ordering::SeqCst);
        for pipe in self.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    fn plug_in(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.unplug();
        self.accept.abort();
    }
}

struct Served {
    base: String,
    token: String,
    org: i64,
    _server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn serve(db_url: &str, store: Store) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let app = App::with_store(
        test_config(db_url, dir.path()),
        store,
        Arc::new(SystemClock),
    );
    let system = Principal::system("test");
    let user = users::create(
        &app,
        &system,
        serde_json::from_value(
            json!({"email": "e@vendor.test", "name": "E", "role": Role::Engineer}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let token = tokens::create(&app, &system, user.id, "t")
        .await
        .unwrap()
        .secret;
    let org = organizations::create(
        &app,
        &system,
        serde_json::from_value(json!({"customer_number": "F1", "name": "Faults"})).unwrap(),
    )
    .await
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = casebook_server::router::router(app);
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Served {
        base,
        token,
        org: org.id.get(),
        _server: server,
        _dir: dir,
    }
}

async fn open_case(s: &Served, title: &str) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}/api/v1/cases", s.base))
        .bearer_auth(&s.token)
        .json(&json!({"title": title, "description": "d", "severity": 2, "organization_id": s.org}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn count(store: &Store) -> i64 {
    let mut db = store.read().await.unwrap();
    cases::count(&mut db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_then_back() {
    let test_db = TestDb::create(TestBackend::Postgres).await;
    let direct = PgConnectOptions::from_str(&test_db.url).unwrap();
    let proxy = Proxy::start(format!("{}:{}", direct.get_host(), direct.get_port())).await;
    let proxied = direct
        .clone()
        .host("127.0.0.1")
        .port(proxy.port)
        .to_url_lossy()
        .to_string();
    let store = Store::open(&test_options(&proxied)).await.unwrap();
    let s = serve(&proxied, store).await;

    let (status, _) = open_case(&s, "before").await;
    assert_eq!(status, StatusCode::CREATED);
    proxy.unplug();
    let (status, body) = open_case(&s, "during").await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    );
    let health = client()
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        count(&test_db.store).await,
        1,
        "the refused case left nothing behind"
    );

    proxy.plug_in();
    let (status, body) = open_case(&s, "after").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the server recovers by itself: {body}"
    );
    assert_eq!(count(&test_db.store).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_by_another_process_then_free() {
    let test_db = TestDb::create(TestBackend::Sqlite).await;
    let s = serve(&test_db.url, test_db.store.clone()).await;
    let (status, _) = open_case(&s, "before").await;
    assert_eq!(status, StatusCode::CREATED);

    let mut other = sqlx::SqliteConnection::connect(&test_db.url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let (status, body) = open_case(&s, "during").await;
    let details = assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    );
    assert!(details.is_object());
    let list = client()
        .get(format!("{}/api/v1/cases", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        list.status(),
        StatusCode::OK,
        "readers are not blocked by a writer in WAL mode"
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();

    let (status, body) = open_case(&s, "after").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(count(&test_db.store).await, 2);
}
