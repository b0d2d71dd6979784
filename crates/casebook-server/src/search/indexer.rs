//! Keeping the index in step with the database: [`catch_up`] applies the change feed since the
//! index's mark (each object's document deleted and made again from its current rows), and
//! [`rebuild`] makes the whole index from the tables. `casebook serve` runs [`follow`], which
//! catches up every `[search] refresh_millis`; `casebook reindex` runs [`rebuild`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use casebook_store::search::{self as feed, Kind, Mark};
use tantivy::{TantivyDocument, Term};

use super::Host;
use super::documents::{self, key};
use super::engine::{Engine, Payload, SearchError, State};
use super::schema::SCHEMA_VERSION;

/// Changes read from the feed at a time.
const FEED_BATCH: i64 = 1000;
/// Objects loaded from their tables at a time during a rebuild.
const SCAN_BATCH: i64 = 500;
/// A mark that moved without changes is written at least this often (ms), so that an idle
/// index does not look too old to catch up at the next start.
const IDLE_COMMIT_MS: i64 = 3_600_000;

/// Catches up every `refresh_millis` until the task is aborted; rebuilds first if the index is
/// new, of another schema, or older than the kept feed. Waits longer after failures.
pub async fn follow(app: Arc<dyn Host>) {
    let every = Duration::from_millis(app.search_config().refresh_millis);
    let mut failures = 0u32;
    loop {
        match catch_up(app.as_ref()).await {
            Ok(_) => failures = 0,
            Err(e) => {
                failures += 1;
                // Said once per run of failures, then every 100th.
                if failures == 1 || failures.is_multiple_of(100) {
                    tracing::warn!(error = %e, failures, "search index could not catch up");
                }
            }
        }
        let backoff = every * 2u32.pow(failures.min(6));
        tokio::time::sleep(backoff.min(Duration::from_secs(30)).max(every)).await;
    }
}

/// Applies the changes committed since the index's mark; returns how many objects changed.
/// Builds the whole index first when it has no usable mark. On a failure, what was added but
/// not committed is rolled back.
pub async fn catch_up(app: &dyn Host) -> Result<usize, SearchError> {
    let engine = app.index().engine().await?;
    let mut state = engine.state.lock().await;
    let result = catch_up_locked(app, &engine, &mut state).await;
    if result.is_err() {
        state.ahead.clear();
        roll_back(&engine).await;
    }
    result
}

async fn catch_up_locked(
    app: &dyn Host,
    engine: &Arc<Engine>,
    state: &mut State,
) -> Result<usize, SearchError> {
    let now = app.clock().now().as_millisecond();
    let keep_ms = i64::from(app.search_config().keep_changes_days) * 86_400_000;
    // A margin: a change is stamped when its transaction wrote it, before it committed.
    let usable_ms = keep_ms - (keep_ms / 2).min(86_400_000);
    let db = app.store().read().await?;
    let usable = state
        .mark
        .filter(|m| m.fits(&db) && now - state.committed_at < usable_ms);
    drop(db);
    if usable.is_none() {
        rebuild_locked(app, engine, state, &|_, _| {}).await?;
    }
    let start = state.mark.expect("built above");
    let (mut cursor, mut settled) = (start, start);
    let mut applied = 0;
    loop {
        let mut db = app.store().read().await?;
        let (changes, horizon) = feed::changes_after(&mut db, cursor, FEED_BATCH).await?;
        let mut by_kind: BTreeMap<&'static str, (Kind, Vec<i64>)> = BTreeMap::new();
        for change in &changes {
            let done = if change.settled {
                state.ahead.remove(&change.id)
            } else {
                !state.ahead.insert(change.id)
            };
            if let (false, Some(kind)) = (done, Kind::parse(&change.kind)) {
                by_kind
                    .entry(kind.as_str())
                    .or_insert((kind, Vec::new()))
                    .1
                    .push(change.object_id);
            }
        }
        for (kind, mut ids) in by_kind.into_values() {
            ids.sort_unstable();
            ids.dedup();
            let docs = documents::load(&mut db, &engine.fields, kind, &ids).await?;
            applied += ids.len();
            replace(engine, kind, ids, docs).await?;
        }
        drop(db);
        let full = changes.len() as i64 >= FEED_BATCH;
        if let Some(last) = changes.iter().rev().find(|c| c.settled) {
            settled = settled.later(last.position);
        }
        // Every settled change has been read once the page is short or reaches unsettled ones.
        if (!full || changes.last().is_some_and(|c| !c.settled))
            && let Some(horizon) = horizon
        {
            settled = settled.later(horizon);
        }
        if let Some(last) = changes.last() {
            cursor = last.position;
        }
        if !full {
            break;
        }
    }
    if applied > 0 || (settled != start && now - state.committed_at > IDLE_COMMIT_MS) {
        commit(engine, state, settled, now).await?;
    } else {
        state.mark = Some(settled);
    }
    Ok(applied)
}

async fn roll_back(engine: &Arc<Engine>) {
    let writer = engine.writer.clone();
    let result = blocking(move || {
        writer.lock().expect("index writer").rollback()?;
        Ok(())
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "search index: rolling back failed");
    }
}

/// Rebuilds the whole index from the database; `progress(done, total)` is told after each batch.
/// Searches keep the old index until the new one is committed.
pub async fn rebuild(
    app: &dyn Host,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<u64, SearchError> {
    let engine = app.index().engine().await?;
    let mut state = engine.state.lock().await;
    let result = rebuild_locked(app, &engine, &mut state, progress).await;
    if result.is_err() {
        roll_back(&engine).await;
    }
    result
}

async fn rebuild_locked(
    app: &dyn Host,
    engine: &Arc<Engine>,
    state: &mut State,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<u64, SearchError> {
    let mut db = app.store().read().await?;
    // The mark first: a change committed during the scan is applied again afterwards.
    let mark = feed::mark_now(&mut db).await?;
    state.ahead.clear();
    let mut total = 0u64;
    for kind in Kind::ALL {
        total += feed::count(&mut db, kind).await?.max(0) as u64;
    }
    drop(db);
    let writer = engine.writer.clone();
    blocking(move || {
        writer
            .lock()
            .expect("index writer")
            .delete_all_documents()?;
        Ok(())
    })
    .await?;
    let mut done = 0u64;
    progress(0, total);
    for kind in Kind::ALL {
        let mut after = 0;
        loop {
            let mut db = app.store().read().await?;
            let ids = feed::ids_after(&mut db, kind, after, SCAN_BATCH).await?;
            let Some(&last) = ids.last() else { break };
            after = last;
            let docs = documents::load(&mut db, &engine.fields, kind, &ids).await?;
            drop(db);
            done += ids.len() as u64;
            let writer = engine.writer.clone();
            blocking(move || {
                let w = writer.lock().expect("index writer");
                for (_, doc) in docs {
                    w.add_document(doc)?;
                }
                Ok(())
            })
            .await?;
            progress(done.min(total), total.max(done));
        }
    }
    let now = app.clock().now().as_millisecond();
    commit(engine, state, mark, now).await?;
    tracing::info!(documents = done, "search index rebuilt");
    Ok(done)
}

/// Deletes the documents of `ids` and adds the ones that still exist.
async fn replace(
    engine: &Arc<Engine>,
    kind: Kind,
    ids: Vec<i64>,
    docs: Vec<(i64, TantivyDocument)>,
) -> Result<(), SearchError> {
    let writer = engine.writer.clone();
    let key_field = engine.fields.key;
    blocking(move || {
        let w = writer.lock().expect("index writer");
        for id in ids {
            w.delete_term(Term::from_field_text(key_field, &key(kind, id)));
        }
        for (_, doc) in docs {
            w.add_document(doc)?;
        }
        Ok(())
    })
    .await
}

/// Commits what was added with the mark, and makes it searchable.
async fn commit(
    engine: &Arc<Engine>,
    state: &mut State,
    mark: Mark,
    now: i64,
) -> Result<(), SearchError> {
    let payload = serde_json::to_string(&Payload {
        schema: SCHEMA_VERSION,
        mark: mark.encode(),
        at: now,
    })
    .expect("a payload is JSON");
    let writer = engine.writer.clone();
    blocking(move || {
        let mut w = writer.lock().expect("index writer");
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    })
    .await?;
    engine.reader.reload()?;
    state.mark = Some(mark);
    state.committed_at = now;
    Ok(())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> tantivy::Result<T> + Send + 'static,
) -> Result<T, SearchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SearchError::Index(e.to_string()))?
        .map_err(SearchError::from)
}

/// Forgets feed rows older than `[search] keep_changes_days`; several servers may run it.
pub async fn prune(app: &dyn Host) -> Result<u64, SearchError> {
    let keep =
        jiff::SignedDuration::from_hours(24 * i64::from(app.search_config().keep_changes_days));
    let before = app.clock().now() - keep;
    let mut db = app.store().write().await?;
    let n = feed::prune_changes(&mut db, before).await?;
    db.commit().await?;
    Ok(n)
}
