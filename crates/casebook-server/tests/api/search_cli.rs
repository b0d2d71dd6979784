//! `casebook reindex` on SQLite and PostgreSQL: the real binary rebuilds an index from the
//! database with its progress, the rebuilt index holds every object and is used as it is by the
//! next process, and an index held by a running process is refused with a reason; an index an
//! older Casebook wrote with another schema is replaced and rebuilt.

use casebook_server::actions::search;
use casebook_server::app::App;
use casebook_server::policy::Principal;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use serde_json::json;

use crate::cli::casebook_with;
use crate::helpers::TestApp;

on_both_backends!(
    reindex_rebuilds_and_refuses_an_index_in_use,
    an_index_of_another_schema_is_rebuilt
);

async fn reindex_rebuilds_and_refuses_an_index_in_use(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mut numbers = Vec::new();
    for i in 0..3 {
        let body =
            json!({"title": format!("重建索引 reindex {i}"), "description": "d", "severity": 3});
        numbers.push(t.open_case(&t.a.user_token, body).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let url = t.app.store.url().to_owned();
    let index_text = index.display().to_string();
    let env = [
        ("CASEBOOK_DATABASE_URL", url.as_str()),
        ("CASEBOOK_SEARCH_INDEX_DIR", index_text.as_str()),
        ("CASEBOOK_LOG", "warn"),
    ];
    let out = casebook_with(&["reindex"], &env, b"").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("search index rebuilt"), "{stdout}");
    // Not a terminal: progress as lines, ending with everything done.
    assert!(stderr.contains("reindex: 0/"), "{stderr}");
    let objects: u64 = stdout
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of objects in {stdout:?}"));
    // 3 cases, 2 organisations, 2 contacts at least.
    assert!(objects >= 7, "{stdout}");
    assert!(
        stderr.contains(&format!("reindex: {objects}/{objects}")),
        "{stderr}"
    );

    // The next process uses the rebuilt index as it is.
    let mut config = t.app.config.clone();
    config.search.index_dir = index.clone();
    let next = App::with_store(config, t.app.store.clone(), t.app.clock.clone());
    let engine = next.search.engine().await.unwrap();
    assert_eq!(engine.documents(), objects);
    let found = search::search(
        &next,
        &Principal::system("test"),
        casebook_server::search::Request {
            q: "重建索引".into(),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut seen: Vec<String> = found.hits.into_iter().filter_map(|h| h.number).collect();
    seen.sort();
    assert_eq!(seen, numbers);

    // An index held by a running process is refused, and nothing is changed.
    let held = t.app.config.search.index_dir.display().to_string();
    t.app.search.engine().await.unwrap();
    let env = [
        ("CASEBOOK_DATABASE_URL", url.as_str()),
        ("CASEBOOK_SEARCH_INDEX_DIR", held.as_str()),
    ];
    let out = casebook_with(&["reindex"], &env, b"").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("in use by another casebook process"),
        "{stderr}"
    );
}

async fn an_index_of_another_schema_is_rebuilt(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let body = json!({"title": "旧索引 oldschema", "description": "d", "severity": 3});
    let number = t.open_case(&t.a.user_token, body).await;
    // An index as an older Casebook left it: another schema, another document.
    let dir = tempfile::tempdir().unwrap();
    let mut builder = tantivy::schema::Schema::builder();
    let old = builder.add_text_field("old", tantivy::schema::TEXT | tantivy::schema::STORED);
    let index = tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap();
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    writer
        .add_document(tantivy::doc!(old => "oldschema stale"))
        .unwrap();
    writer.commit().unwrap();
    drop((writer, index));

    let mut config = t.app.config.clone();
    config.search.index_dir = dir.path().to_path_buf();
    let next = App::with_store(config, t.app.store.clone(), t.app.clock.clone());
    casebook_server::search::catch_up(&next).await.unwrap();
    let found = search::search(
        &next,
        &Principal::system("test"),
        casebook_server::search::Request {
            q: "oldschema".into(),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let seen: Vec<String> = found.hits.into_iter().filter_map(|h| h.number).collect();
    assert_eq!(seen, [number]);
    assert!(found.total_exact && found.total == 1);
}
