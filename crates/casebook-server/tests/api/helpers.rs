//! The test harness: a fresh application per test on a fresh database, served on loopback, with
//! staff of every role and two customer organisations (A and B) with their users and tokens.

use std::sync::Arc;

use casebook_domain::policy::Role;
use casebook_server::actions::{
    accounts::tokens, accounts::users, directory::contacts, directory::organizations,
};
use casebook_server::app::{App, AppState};
use casebook_server::clock::{Clock, SystemClock};
use casebook_server::config::Config;
use casebook_server::policy::Principal;
use casebook_store::testing::{TestBackend, TestDb};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Marker text planted in objects of organisation B; no response to A's users may contain it.
pub const FOREIGN_CANARY: &str = "CANARY-ORG-B";
/// Marker text planted in internal notes; no customer response may contain it.
pub const INTERNAL_CANARY: &str = "CANARY-INTERNAL-NOTE";

/// A customer organisation of the fixture.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub org_id: i64,
    pub contact_id: i64,
    pub user_id: i64,
    pub user_token: String,
    pub admin_token: String,
}

/// A running application.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub app: AppState,
    _db: TestDb,
    pub admin: String,
    pub coordinator: String,
    pub engineer: String,
    pub engineer_id: i64,
    pub manager: String,
    pub manager_id: i64,
    pub a: Tenant,
    pub b: Tenant,
    _files: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
    indexer: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        self.indexer.abort();
    }
}

pub fn client() -> reqwest::Client {
    casebook_server::app::outbound::install_crypto();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

async fn staff(app: &App, email: &str, role: Role) -> (i64, String) {
    let system = Principal::system("test");
    let draft =
        serde_json::from_value(json!({"email": email, "name": email, "role": role})).unwrap();
    let user = users::create(app, &system, draft).await.unwrap();
    let token = tokens::create(app, &system, user.id, "test").await.unwrap();
    (user.id.get(), token.secret)
}

async fn tenant(app: &App, number: &str, name: &str) -> Tenant {
    let system = Principal::system("test");
    let org = organizations::create(
        app,
        &system,
        serde_json::from_value(json!({"customer_number": number, "name": name})).unwrap(),
    )
    .await
    .unwrap();
    let lower = number.to_lowercase();
    let contact = contacts::create(
        app,
        &system,
        serde_json::from_value(json!({"organization_id": org.id, "name": format!("{name} contact"), "email": format!("contact@{lower}.test")})).unwrap(),
    )
    .await
    .unwrap();
    let user = users::create(
        app,
        &system,
        serde_json::from_value(json!({"email": format!("user@{lower}.test"), "name": format!("{name} user"), "role": "customer_user", "organization_id": org.id})).unwrap(),
    )
    .await
    .unwrap();
    let admin = users::create(
        app,
        &system,
        serde_json::from_value(json!({"email": format!("admin@{lower}.test"), "name": format!("{name} admin"), "role": "customer_admin", "organization_id": org.id})).unwrap(),
    )
    .await
    .unwrap();
    Tenant {
        org_id: org.id.get(),
        contact_id: contact.id.get(),
        user_id: user.id.get(),
        user_token: tokens::create(app, &system, user.id, "test")
            .await
            .unwrap()
            .secret,
        admin_token: tokens::create(app, &system, admin.id, "test")
            .await
            .unwrap()
            .secret,
    }
}

/// Test configuration on a database: attachments in files under `dir`.
pub fn test_config(url: &str, dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database.url = url.to_owned();
    config.database.acquire_timeout_secs = 2;
    config.database.sqlite_busy_timeout_secs = 1;
    config.attachments.dir = dir.join("attachments");
    config.search.index_dir = dir.join("search-index");
    config.search.refresh_millis = 100;
    config.search.writer_memory_mb = 16;
    config
}

/// Numbers the search indexes of second processes.
static SECOND_PROCESSES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl TestApp {
    /// A fresh application with the default test configuration.
    pub async fn spawn(backend: TestBackend) -> TestApp {
        Self::spawn_with(backend, |_| {}, Arc::new(SystemClock)).await
    }

    /// A fresh application with a changed configuration and a given clock.
    pub async fn spawn_with(
        backend: TestBackend,
        configure: impl FnOnce(&mut Config),
        clock: Arc<dyn Clock>,
    ) -> TestApp {
        let db = TestDb::create(backend).await;
        let files = tempfile::tempdir().unwrap();
        let mut config = test_config(&db.url, files.path());
        configure(&mut config);
        let app = App::with_store(config, db.store.clone(), clock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = casebook_server::router::router(app.clone());
        let indexer = tokio::spawn(casebook_server::search::follow(app.clone()));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let (_, admin) = staff(&app, "admin@vendor.test", Role::Admin).await;
        let (_, coordinator) = staff(&app, "coordinator@vendor.test", Role::Coordinator).await;
        let (engineer_id, engineer) = staff(&app, "engineer@vendor.test", Role::Engineer).await;
        let (manager_id, manager) = staff(&app, "manager@vendor.test", Role::Manager).await;
        let a = tenant(&app, "CN-A", "Alpha 阿尔法").await;
        let b = tenant(&app, "CN-B", &format!("Beta {FOREIGN_CANARY}")).await;
        TestApp {
            base,
            client: client(),
            app,
            _db: db,
            admin,
            coordinator,
            engineer,
            engineer_id,
            manager,
            manager_id,
            a,
            b,
            _files: files,
            server,
            indexer,
        }
    }

    /// A second application over the same database with its own connections and its own
    /// search index, as a second `casebook serve` process would have.
    pub async fn second_process(&self) -> AppState {
        self.second_process_with_clock(self.app.clock.clone()).await
    }

    /// [`Self::second_process`] with a clock of its own.
    pub async fn second_process_with_clock(&self, clock: Arc<dyn Clock>) -> AppState {
        let store =
            casebook_store::Store::open(&casebook_store::testing::test_options(&self._db.url))
                .await
                .expect("a second connection to the test database");
        let mut config = self.app.config.clone();
        let n = SECOND_PROCESSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        config.search.index_dir = self._files.path().join(format!("search-index-{n}"));
        App::with_store(config, store, clock)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a JSON request with a bearer token; returns the status and the JSON body (or Null).
    pub async fn call(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, token, path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, token, path, Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, token, path, Some(body)).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, token, path, Some(body)).await
    }

    /// Opens a case and returns its number, failing the test otherwise.
    pub async fn open_case(&self, token: &str, body: Value) -> String {
        let (status, case) = self.post(token, "/api/v1/cases", body).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        case["number"].as_str().unwrap().to_owned()
    }

    /// A case of A opened by A's customer user.
    pub async fn case_of_a(&self) -> String {
        self.open_case(&self.a.user_token, json!({"title": "数据库无法连接", "description": "应用报 connection refused", "severity": 2})).await
    }

    /// A case of B (with the foreign canary) opened by B's customer user.
    pub async fn case_of_b(&self) -> String {
        self.open_case(&self.b.user_token, json!({"title": format!("B problem {FOREIGN_CANARY}"), "description": "secret", "severity": 3})).await
    }

    /// Takes an article one review step (`submit`, `publish`, `retire`…) as `token`, failing the
    /// test otherwise.
    pub async fn review_step(&self, token: &str, id: i64, step: &str) {
        let path = format!("/api/v1/articles/{id}/{step}");
        let (status, body) = self.post(token, &path, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
    }

    /// Moves a case to `status` as staff along the lifecycle (assigning the engineer).
    pub async fn advance(&self, number: &str, statuses: &[&str]) {
        let path = format!("/api/v1/cases/{number}");
        let (status, body) = self
            .patch(
                &self.coordinator,
                &path,
                json!({"owner_id": self.engineer_id}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for target in statuses {
            let (status, body) = self
                .patch(&self.engineer, &path, json!({"status": target}))
                .await;
            assert_eq!(status, StatusCode::OK, "to {target}: {body}");
        }
    }
}

/// Asserts an error body of the documented shape with this code; returns its details.
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    expected_status: StatusCode,
    code: &str,
) -> Value {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"]["details"].clone()
}
