//! `casebook reindex`: rebuilds this configuration's search index from the database, with a
//! progress bar (on a terminal) or a line per tenth (otherwise). The index must not be in use
//! by a running `casebook serve`; stop it first or give the command another `[search] index_dir`.

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::app::AppState;

/// Rebuilds the index and reports how many documents it holds.
pub async fn run(app: AppState) -> anyhow::Result<ExitCode> {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} objects ({per_sec}, {eta} left)",
        )
        .expect("a valid template"),
    );
    let hidden = bar.is_hidden();
    let tenth = Mutex::new(0u64);
    let started = Instant::now();
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
        if hidden && total > 0 {
            // Not a terminal (a log, CI): a line at each tenth instead of a bar.
            let mut last = tenth.lock().expect("progress");
            let now = done * 10 / total;
            if now > *last || done == 0 {
                *last = now;
                eprintln!("reindex: {done}/{total} objects");
            }
        }
    };
    let done = crate::search::rebuild(app.as_ref(), &progress).await?;
    bar.finish_and_clear();
    let engine = app.search.engine().await?;
    println!(
        "search index rebuilt in {}: {done} objects, {} documents, {:.1} s",
        app.search.dir().display(),
        engine.documents(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
