//! Mail ingest benchmark (not a test): typical messages of about 20 KB (Chinese text in GBK or
//! in UTF-8 base64, a quoted history, one small attachment) from known contacts, half of them
//! opening new cases and half answering cases opened by mail before (by In-Reply-To or by the
//! case tag in the subject), taken in by the `ingest::ingest` action from concurrent tasks over
//! a database already holding cases, on SQLite and PostgreSQL. Run with
//! `cargo bench -p casebook-server --bench mail_ingest`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_CASES (cases in the database beforehand, default 100000),
//! CASEBOOK_BENCH_MAILS (messages timed, default 2000), CASEBOOK_BENCH_MAIL_TASKS (concurrent
//! ingests, default 8). Each contact opens about CASEBOOK_BENCH_MAILS / 400 cases: above 7,600
//! messages raise CASEBOOK_MAIL_MAX_NEW_CASES_PER_SENDER_HOUR too.

mod common;

use common::{app_on, backend_name, env_usize, fill_cases, run_on_backends};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use casebook_server::actions::{
    accounts::users, directory::contacts, directory::organizations, mail::ingest, mail::limits,
};
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::testing::TestBackend;
use hdrhistogram::Histogram;
use serde_json::json;

const ORGANIZATIONS: usize = 50;
const CONTACTS_PER_ORGANIZATION: usize = 4;

/// Base64 in lines of 76 characters, as mail carries it.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let flat = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = flat
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).expect("base64 is ASCII"))
        .collect();
    lines.join("\r\n")
}

fn contact_address(k: usize) -> String {
    format!(
        "c{}@org{}.test",
        k % CONTACTS_PER_ORGANIZATION,
        k / CONTACTS_PER_ORGANIZATION
    )
}

/// What a message answers, if anything.
enum Answers<'a> {
    Nothing,
    /// The Message-ID of the mail that opened the case.
    Reference(&'a str),
    /// The case number, for the subject's tag.
    Tag(&'a str),
}

/// The new part of a message: a problem report in Chinese with some English terms.
fn new_text(i: usize) -> String {
    let mut text = format!("您好，第 {i} 号问题：\n");
    for line in 0..12 {
        text.push_str(&format!(
            "{line}. 存储控制器 B 在固件升级到 FW 5.4 之后每天发生两到三次切换（controller failover），业务短暂中断，数据库连接池报错 ORA-{:05}。\n",
            (i * 7 + line) % 100_000
        ));
    }
    text.push_str("请尽快安排工程师分析日志并回复处理意见。\n谢谢！\n王工 运维部\n");
    text
}

/// The quoted history a mail client appends to a reply.
fn history(i: usize) -> String {
    let mut text = format!("\n在 2026年11月28日 09:{:02}，技术支持 写道：\n", i % 60);
    for line in 0..40 {
        text.push_str(&format!(
            "> 第 {line} 行：已收到您的问题，我们正在分析控制器日志，请提供 support bundle。\n"
        ));
    }
    text
}

fn text_part(i: usize) -> String {
    let text = new_text(i) + &history(i);
    if i.is_multiple_of(2) {
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        format!(
            "Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(&gbk)
        )
    } else {
        format!(
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(text.as_bytes())
        )
    }
}

/// A small log file, different in every message (so every attachment is a new blob).
fn log_part(i: usize) -> String {
    let mut log = String::new();
    for line in 0..120 {
        log.push_str(&format!(
            "2026-11-28T09:{:02}:{:02}Z ctrl-b kernel: failover event {i}.{line} path state changed\n",
            line % 60,
            (i + line) % 60
        ));
    }
    format!(
        "Content-Type: text/plain; name=\"ctrl-b-{i}.log\"\r\nContent-Disposition: attachment; filename=\"ctrl-b-{i}.log\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64(log.as_bytes())
    )
}

/// Message `i` from contact `k`.
fn message(i: usize, k: usize, answers: Answers<'_>) -> Vec<u8> {
    let subject = format!("存储控制器切换 第 {i} 号");
    let (subject, threading) = match answers {
        Answers::Nothing => (subject, String::new()),
        Answers::Reference(id) => (
            format!("回复: {subject}"),
            format!("In-Reply-To: {id}\r\nReferences: {id}\r\n"),
        ),
        Answers::Tag(number) => (format!("Re: [Case {number}] {subject}"), String::new()),
    };
    format!(
        "From: =?UTF-8?B?{}?= <{}>\r\nTo: support@vendor.test\r\nSubject: =?UTF-8?B?{}?=\r\nMessage-ID: <bench-{i}@org.test>\r\n{threading}Date: Sat, 28 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"part-{i}\"\r\n\r\n--part-{i}\r\n{}--part-{i}\r\n{}--part-{i}--\r\n",
        base64("王工".as_bytes()),
        contact_address(k),
        base64(subject.as_bytes()),
        text_part(i),
        log_part(i),
    )
    .into_bytes()
}

/// Organisations, their contacts, and the cases of the database before the run.
async fn fill(app: &casebook_server::app::App, db: &casebook_store::testing::TestDb, cases: usize) {
    let system = Principal::system("bench");
    let mut orgs = Vec::new();
    for o in 0..ORGANIZATIONS {
        let draft = serde_json::from_value(
            json!({"customer_number": format!("M-{o:04}"), "name": format!("客户 {o}")}),
        )
        .unwrap();
        let org = organizations::create(app, &system, draft).await.unwrap();
        for c in 0..CONTACTS_PER_ORGANIZATION {
            let draft = serde_json::from_value(json!({"organization_id": org.id, "name": format!("联系人 {o}-{c}"), "email": format!("c{c}@org{o}.test")})).unwrap();
            contacts::create(app, &system, draft).await.unwrap();
        }
        orgs.push(org.id);
    }
    let engineer = users::create(
        app,
        &system,
        serde_json::from_value(
            json!({"email": "eng@vendor.test", "name": "工程师", "role": "engineer"}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    fill_cases(
        &db.store,
        &orgs,
        engineer.id,
        cases,
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 400),
    )
    .await;
    if db.backend == TestBackend::Postgres {
        db.execute_raw("ANALYZE").await.unwrap();
    }
}

/// The checks and the parse alone, on one core, for comparison.
fn parse_alone(name: &str, config: &casebook_server::config::Config, batch: &[(Vec<u8>, &str)]) {
    let t0 = Instant::now();
    for (raw, _) in batch {
        limits::before_parsing(raw, &config.mail).unwrap();
        let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
        limits::after_parsing(&msg, config).unwrap();
        assert!(msg.body_text(0).is_some_and(|text| text.contains("FW 5.4")));
    }
    let each = t0.elapsed().as_secs_f64() / batch.len() as f64;
    println!(
        "| {name} | limits checked and parsed alone, one task | {:.0} messages/s | {:.1} µs each |",
        1.0 / each,
        each * 1e6
    );
}

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let cases = env_usize("CASEBOOK_BENCH_CASES", 100_000);
    let mails = env_usize("CASEBOOK_BENCH_MAILS", 2_000);
    let tasks = env_usize("CASEBOOK_BENCH_MAIL_TASKS", 8);
    let (db, app) = app_on(backend, Arc::new(SystemClock)).await;
    let t0 = Instant::now();
    fill(&app, &db, cases).await;
    // Every contact opens one case by mail first (this also makes their customer user).
    let contacts = ORGANIZATIONS * CONTACTS_PER_ORGANIZATION;
    let mut earlier = Vec::new();
    for k in 0..contacts {
        let i = mails + k;
        let done = ingest::ingest(&app, &message(i, k, Answers::Nothing))
            .await
            .unwrap();
        assert_eq!(done.disposition, "opened", "{done:?}");
        earlier.push((format!("<bench-{i}@org.test>"), done.case.unwrap()));
    }
    eprintln!(
        "{name}: {cases} cases and {contacts} cases opened by mail in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // Even messages open cases; odd ones answer an earlier case, by reference or by tag.
    let batch: Vec<(Vec<u8>, &str)> = (0..mails)
        .map(|i| {
            let k = (i / 2) % contacts;
            let (id, number) = &earlier[k];
            match i % 4 {
                0 | 2 => (
                    message(i, (i / 2 * 7) % contacts, Answers::Nothing),
                    "opened",
                ),
                1 => (message(i, k, Answers::Reference(id)), "threaded"),
                _ => (message(i, k, Answers::Tag(number)), "threaded"),
            }
        })
        .collect();
    let bytes: usize = batch.iter().map(|(raw, _)| raw.len()).sum();
    parse_alone(name, &app.config, &batch);
    let batch = Arc::new(batch);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (app, batch, next) = (app.clone(), batch.clone(), next.clone());
            tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new(3).unwrap();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((raw, expected)) = batch.get(i) else {
                        return hist;
                    };
                    let started = Instant::now();
                    let done = ingest::ingest(&app, raw).await.unwrap();
                    hist.record(started.elapsed().as_micros() as u64).unwrap();
                    assert_eq!(done.disposition, *expected, "message {i}: {done:?}");
                }
            })
        })
        .collect();
    let mut hist = Histogram::<u64>::new(3).unwrap();
    for worker in workers {
        hist.add(worker.await.unwrap()).unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {name} | {cases} cases | {mails} messages of {:.1} KB on average, half new cases, half replies, {tasks} tasks | {:.0} messages/s | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
        bytes as f64 / mails as f64 / 1024.0,
        mails as f64 / secs,
        ms(0.5),
        ms(0.95),
        ms(0.99),
        hist.max() as f64 / 1000.0
    );
}

fn main() {
    run_on_backends(run);
}
