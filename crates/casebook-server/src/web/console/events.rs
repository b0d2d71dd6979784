//! `GET /console/events`: a server-sent event stream that says "changed" whenever any case
//! changed (its mark is the newest timeline entry's id, read every two seconds from the
//! database, so changes made through another server sharing the database are seen too).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};

use crate::actions::cases;
use crate::app::AppState;
use crate::web::session::{Staff, WebResult};

/// How often the stream looks for changes.
const POLL: Duration = Duration::from_secs(2);

pub async fn stream(
    State(app): State<AppState>,
    Staff(viewer): Staff,
) -> WebResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let start = cases::change_mark(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let who = viewer.who;
    let events = stream::unfold((app, who, start), |(app, who, last)| async move {
        loop {
            tokio::time::sleep(POLL).await;
            match cases::change_mark(&app, &who).await {
                Ok(mark) if mark != last => {
                    let event = Event::default().event("changed").data(mark.to_string());
                    return Some((Ok(event), (app, who, mark)));
                }
                Ok(_) => {}
                // A database hiccup ends the stream; the browser reconnects by itself.
                Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
