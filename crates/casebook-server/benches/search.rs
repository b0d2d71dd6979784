//! Search benchmark (not a test): 1,000,000 generated cases and 100,000 knowledge articles in
//! Chinese and English, on SQLite and PostgreSQL. Reports the full rebuild's indexing
//! throughput, the change feed's throughput (new cases applied by a catch-up), the latency of
//! searches over HTTP for staff and for a customer (p50/p99), how long a new case takes to become
//! searchable with the default refresh, the index size, and the memory of the `casebook serve`
//! process that answers the searches (by mapping: anonymous, the program, the index's files).
//! Run with `cargo bench -p casebook-server --bench search`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_CASES (default 1000000), CASEBOOK_BENCH_ARTICLES (default 100000),
//! CASEBOOK_BENCH_SEARCHES (searches per caller, default 1000), CASEBOOK_BENCH_NEW_CASES (cases
//! added for the change feed, default 20000), CASEBOOK_BENCH_INDEX_DIR (keep the index there
//! instead of in a temporary directory, to study it afterwards).

mod common;
mod served;

use std::sync::Arc;
use std::time::{Duration, Instant};

use casebook_domain::case::NamedRef;
use casebook_domain::ids::{OrganizationId, UserId};
use casebook_domain::knowledge::{
    ArticleContent, ArticleProduct, ArticleStatus, ArticleText, ArticleVisibility, Language,
};
use casebook_domain::policy::Role;
use casebook_domain::{Category, Channel, Named, Severity, Status, Tier};
use casebook_server::actions::{
    accounts::tokens, accounts::users, directory::organizations, directory::products,
};
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::articles::{self, Review};
use casebook_store::cases::{self, CaseColumns};
use casebook_store::testing::TestBackend;
use casebook_store::{Store, timeline};
use common::{app_with_index, backend_name, env_usize, run_on_backends};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use served::{copy_dir, resident_by_mapping, serve, status_mb};

const ZH_PARTS: &[&str] = &[
    "数据库",
    "控制器",
    "存储阵列",
    "交换机",
    "中间件",
    "备份软件",
    "集群节点",
    "负载均衡",
    "磁盘",
    "内存",
    "电源模块",
    "光纤通道",
    "虚拟机",
    "操作系统",
    "监听器",
    "应用服务器",
    "缓存",
    "消息队列",
    "防火墙",
    "路由器",
];
const ZH_SYMPTOMS: &[&str] = &[
    "连接失败",
    "无法启动",
    "性能下降",
    "反复重启",
    "响应超时",
    "告警频繁",
    "数据丢失",
    "无法连接",
    "升级后异常",
    "日志报错",
    "占用率过高",
    "同步中断",
];
const EN_PARTS: &[&str] = &[
    "database",
    "controller",
    "storage array",
    "switch",
    "middleware",
    "backup job",
    "cluster node",
    "load balancer",
    "disk",
    "memory",
    "power supply",
    "fibre channel",
    "virtual machine",
    "listener",
    "application server",
    "cache",
    "message queue",
    "firewall",
    "router",
    "license server",
];
const EN_SYMPTOMS: &[&str] = &[
    "connection refused",
    "fails to start",
    "performance degradation",
    "keeps rebooting",
    "request timeout",
    "frequent alarms",
    "data loss",
    "cannot connect",
    "error after upgrade",
    "high CPU usage",
    "replication stopped",
    "certificate expired",
];
const QUERIES: &[&str] = &[
    "数据库连接失败",
    "控制器 反复重启",
    "存储阵列性能下降",
    "connection refused",
    "database timeout",
    "firewall certificate expired",
    "升级后 error",
    "ORA-12541",
    "backup job replication stopped",
    "交换机告警",
    "virtual machine fails to start",
    "内存 占用率过高",
    "message queue 同步中断",
    "数据库",
    "disk",
    "监听器无法连接",
    "load balancer keeps rebooting",
    "电源模块 告警频繁",
    "光纤通道 data loss",
    "缓存响应超时",
];

/// A small deterministic generator (no dependency): the same data every run.
struct Words(u64);

impl Words {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.next() % list.len()]
    }
    fn title(&mut self) -> String {
        match self.next() % 3 {
            0 => format!("{}{}", self.pick(ZH_PARTS), self.pick(ZH_SYMPTOMS)),
            1 => format!("{} {}", self.pick(EN_PARTS), self.pick(EN_SYMPTOMS)),
            _ => format!(
                "{}{} {} {}",
                self.pick(ZH_PARTS),
                self.pick(ZH_SYMPTOMS),
                self.pick(EN_PARTS),
                self.pick(EN_SYMPTOMS)
            ),
        }
    }
    fn description(&mut self) -> String {
        format!(
            "升级到 V{}.{} 后，{}{}，日志中出现 ORA-{} 错误。After the upgrade the {} shows {} \
             about {} times a day; 客户已重启{}但问题依旧。",
            self.next() % 9 + 1,
            self.next() % 10,
            self.pick(ZH_PARTS),
            self.pick(ZH_SYMPTOMS),
            12500 + self.next() % 100,
            self.pick(EN_PARTS),
            self.pick(EN_SYMPTOMS),
            self.next() % 20 + 1,
            self.pick(ZH_PARTS),
        )
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn dir_mb(dir: &std::path::Path) -> f64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>() as f64
                / 1_048_576.0
        })
        .unwrap_or(0.0)
}

/// Adds `count` generated cases (with a public reply on every third and an internal note on
/// every fifth) directly through the store, in transactions of `batch`.
async fn add_cases(
    store: &Store,
    words: &mut Words,
    orgs: &[OrganizationId],
    engineer: UserId,
    count: usize,
    batch: usize,
) {
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 400);
    let mut done = 0;
    while done < count {
        let mut db = store.write().await.unwrap();
        for _ in 0..batch.min(count - done) {
            let i = words.next();
            let status = Status::ALL[i % Status::ALL.len()];
            let columns = CaseColumns {
                title: words.title(),
                description: words.description(),
                organization_id: orgs[i % orgs.len()],
                contact_id: None,
                product_id: None,
                product_version: None,
                patch_level: None,
                operating_system: Some("Kylin V10".into()),
                environment: String::new(),
                category: Category::ALL[i % Category::ALL.len()],
                severity: Severity::ALL[i % 4],
                channel: Channel::ALL[i % Channel::ALL.len()],
                tier: Tier::ALL[i % Tier::ALL.len()],
                status,
                owner_id: Some(engineer),
                closed_at: None,
                closure_confirmed_by: None,
                closure_confirmed_at: None,
            };
            let number = cases::next_number(&mut db, 2026).await.unwrap();
            let at = start + jiff::SignedDuration::from_secs(done as i64);
            let id = cases::insert(&mut db, number, &columns, None, at)
                .await
                .unwrap();
            if done % 3 == 0 || done % 5 == 0 {
                let internal = done % 5 == 0;
                let body = if internal {
                    format!("内部：怀疑{}问题 internal suspicion", words.pick(ZH_PARTS))
                } else {
                    format!(
                        "请检查{}配置 please check the {}",
                        words.pick(ZH_PARTS),
                        words.pick(EN_PARTS)
                    )
                };
                use casebook_domain::policy::Visibility;
                use casebook_domain::timeline::EventKind;
                timeline::insert(
                    &mut db,
                    &timeline::NewEvent {
                        case_id: id,
                        kind: if internal {
                            EventKind::Note
                        } else {
                            EventKind::Reply
                        },
                        visibility: if internal {
                            Visibility::Internal
                        } else {
                            Visibility::Public
                        },
                        actor: Some(engineer),
                        at,
                        body: Some(&body),
                        change: None,
                    },
                )
                .await
                .unwrap();
            }
            done += 1;
        }
        db.commit().await.unwrap();
    }
}

/// Adds `count` published articles (a third in Chinese, a third in English, a third in both).
async fn add_articles(
    store: &Store,
    words: &mut Words,
    author: UserId,
    product: NamedRef<casebook_domain::ids::ProductId>,
    count: usize,
) {
    let now = jiff::Timestamp::now();
    let mut done = 0;
    while done < count {
        let mut db = store.write().await.unwrap();
        for _ in 0..500.min(count - done) {
            let text = |language: Language, words: &mut Words| ArticleText {
                language,
                title: words.title(),
                symptom: words.description(),
                cause: format!(
                    "{}配置错误 misconfigured {}",
                    words.pick(ZH_PARTS),
                    words.pick(EN_PARTS)
                ),
                resolution: format!(
                    "重启{}并升级补丁 restart the {} and apply the patch",
                    words.pick(ZH_PARTS),
                    words.pick(EN_PARTS)
                ),
                body: format!(
                    "## 步骤 Steps\n\n1. 检查{}\n2. run `diag {}`\n",
                    words.pick(ZH_PARTS),
                    done
                ),
                body_html: String::new(),
            };
            let texts = match done % 3 {
                0 => vec![text(Language::ZhCn, words)],
                1 => vec![text(Language::En, words)],
                _ => vec![text(Language::En, words), text(Language::ZhCn, words)],
            };
            let content = ArticleContent {
                visibility: if done % 10 == 0 {
                    ArticleVisibility::Internal
                } else {
                    ArticleVisibility::Customers
                },
                alert: false,
                tags: vec![words.pick(EN_PARTS).replace(' ', "-")],
                texts,
                products: vec![ArticleProduct {
                    product: product.clone(),
                    versions: vec![],
                }],
            };
            let id = articles::insert(&mut db, &content, author, now)
                .await
                .unwrap();
            let review = Review {
                status: ArticleStatus::Published,
                reviewer: Some(author),
                note: String::new(),
                submitted_at: Some(now),
                approved_at: Some(now),
                published_at: Some(now),
                retired_at: None,
                alert_sent_at: None,
            };
            articles::set_review(&mut db, id, 1, &review, now)
                .await
                .unwrap();
            done += 1;
        }
        db.commit().await.unwrap();
    }
}

/// `n` searches cycling through [`QUERIES`]: all of them, and each query's own.
async fn searches(base: &str, token: &str, n: usize) -> (Histogram<u64>, Vec<Histogram<u64>>) {
    casebook_server::app::outbound::install_crypto();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut h = Histogram::<u64>::new(3).unwrap();
    let mut each = vec![Histogram::<u64>::new(3).unwrap(); QUERIES.len()];
    for i in 0..n {
        let q = QUERIES[i % QUERIES.len()];
        let url = format!("{base}/api/v1/search?q={}", url_encode(q));
        let started = Instant::now();
        let response = http.get(&url).bearer_auth(token).send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let _: Value = response.json().await.unwrap();
        let micros = started.elapsed().as_micros() as u64;
        h.record(micros).unwrap();
        each[i % QUERIES.len()].record(micros).unwrap();
    }
    (h, each)
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn bench(backend: TestBackend) {
    let cases_wanted = env_usize("CASEBOOK_BENCH_CASES", 1_000_000);
    let articles_wanted = env_usize("CASEBOOK_BENCH_ARTICLES", 100_000);
    let searches_per_caller = env_usize("CASEBOOK_BENCH_SEARCHES", 1000);
    let new_cases = env_usize("CASEBOOK_BENCH_NEW_CASES", 20_000);
    let name = backend_name(backend);
    let temporary = tempfile::tempdir().unwrap();
    let index_dir = std::env::var_os("CASEBOOK_BENCH_INDEX_DIR")
        .map(|d| std::path::PathBuf::from(d).join(name))
        .unwrap_or_else(|| temporary.path().to_path_buf());
    let (db, app) = app_with_index(backend, Arc::new(SystemClock), &index_dir).await;
    let system = Principal::system("bench");
    let staff = users::create(
        &app,
        &system,
        serde_json::from_value(
            json!({"email": "e@vendor.test", "name": "E", "role": Role::Engineer}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let mut orgs = Vec::new();
    for i in 0..200 {
        let org = organizations::create(&app, &system, serde_json::from_value(json!({"customer_number": format!("CN-{i:04}"), "name": format!("客户 {i} Customer")})).unwrap()).await.unwrap();
        orgs.push(org.id);
    }
    let customer = users::create(&app, &system, serde_json::from_value(json!({"email": "admin@cn-0000.test", "name": "C", "role": "customer_admin", "organization_id": orgs[0]})).unwrap()).await.unwrap();
    let product = products::create(
        &app,
        &system,
        serde_json::from_value(json!({"name": "Array 9000", "vendor": "Vendor"})).unwrap(),
    )
    .await
    .unwrap();
    let staff_token = tokens::create(&app, &system, staff.id, "bench")
        .await
        .unwrap()
        .secret;
    let customer_token = tokens::create(&app, &system, customer.id, "bench")
        .await
        .unwrap()
        .secret;

    let mut words = Words(7);
    let started = Instant::now();
    add_cases(&app.store, &mut words, &orgs, staff.id, cases_wanted, 2000).await;
    add_articles(
        &app.store,
        &mut words,
        staff.id,
        NamedRef {
            id: product.id,
            name: product.name.clone(),
        },
        articles_wanted,
    )
    .await;
    println!(
        "{name}: {cases_wanted} cases and {articles_wanted} articles loaded in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // The full rebuild (what `casebook reindex` and a first start do).
    let started = Instant::now();
    let documents = casebook_server::search::rebuild(&app, &|_, _| {})
        .await
        .unwrap();
    let rebuild = started.elapsed().as_secs_f64();
    println!(
        "{name}: rebuild: {documents} documents in {rebuild:.1} s = {:.0} documents/s; index {:.0} MB",
        documents as f64 / rebuild,
        dir_mb(&index_dir)
    );

    // The change feed: new cases applied by one catch-up.
    add_cases(&app.store, &mut words, &orgs, staff.id, new_cases, 500).await;
    let started = Instant::now();
    let applied = casebook_server::search::catch_up(&app).await.unwrap();
    let feed = started.elapsed().as_secs_f64();
    println!(
        "{name}: change feed: {applied} objects in {feed:.2} s = {:.0} objects/s",
        applied as f64 / feed
    );

    // Searches over HTTP against a `casebook serve` of its own, on a copy of the index (as a
    // server started after a reindex finds it), so that its memory is the server's alone.
    let served = temporary.path().join("served-index");
    copy_dir(&index_dir, &served);
    let (mut server, base) = serve(&db.url, &served).await;
    let pid = server.id().expect("the server runs");
    let started_mb = status_mb(pid, "VmRSS");
    searches(&base, &staff_token, 50).await; // warm-up
    for (who, token) in [("staff", &staff_token), ("customer", &customer_token)] {
        let (h, each) = searches(&base, token, searches_per_caller).await;
        println!(
            "{name}: search as {who}: {} queries, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            h.len(),
            ms(&h, 0.5),
            ms(&h, 0.99),
            h.max() as f64 / 1000.0
        );
        let mut slowest: Vec<(f64, &str)> = each
            .iter()
            .zip(QUERIES)
            .map(|(h, q)| (ms(h, 0.5), *q))
            .collect();
        slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        let listed: Vec<String> = slowest
            .iter()
            .take(5)
            .map(|(t, q)| format!("{q} {t:.1} ms"))
            .collect();
        println!(
            "{name}: slowest queries as {who} (p50): {}",
            listed.join(", ")
        );
    }
    // How long a new case takes to be found (refresh every [search] refresh_millis).
    casebook_server::app::outbound::install_crypto();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut visible = Histogram::<u64>::new(3).unwrap();
    for i in 0..20 {
        let marker = format!("visibilitymarker{i}x");
        let started = Instant::now();
        let response = http.post(format!("{base}/api/v1/cases")).bearer_auth(&staff_token)
            .json(&json!({"title": format!("新问题 {marker}"), "description": "d", "severity": 3, "organization_id": orgs[1]}))
            .send().await.unwrap();
        assert!(response.status().is_success());
        loop {
            let found: Value = http
                .get(format!("{base}/api/v1/search?q={marker}"))
                .bearer_auth(&staff_token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if found["total"] == 1 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "not visible in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        visible
            .record(started.elapsed().as_micros() as u64)
            .unwrap();
    }
    println!(
        "{name}: a new case is found after p50 {:.0} ms, max {:.0} ms (refresh {} ms)",
        ms(&visible, 0.5),
        visible.max() as f64 / 1000.0,
        app.config.search.refresh_millis,
    );
    println!(
        "{name}: the server's memory: {started_mb:.0} MB resident when started; after the searches {:.0} MB resident ({:.0} MB anonymous, {:.0} MB of mapped index files), peak {:.0} MB",
        status_mb(pid, "VmRSS"),
        status_mb(pid, "RssAnon"),
        status_mb(pid, "RssFile"),
        status_mb(pid, "VmHWM"),
    );
    println!(
        "{name}: the server's resident memory by mapping: {}",
        resident_by_mapping(pid, &served)
    );
    server.kill().await.unwrap();
}

fn main() {
    run_on_backends(bench);
}
