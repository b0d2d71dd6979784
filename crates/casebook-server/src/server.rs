//! Running the HTTP server: listen, serve until a shutdown signal, keep sessions tidy, fire due
//! SLA escalations, deliver the mail outbox and the webhook and robot deliveries, watch the IMAP
//! mailboxes, flag silent call-home devices, count refused device requests, and keep the search
//! index in step.

use std::time::Duration;

use casebook_store::credentials;
use tokio::net::TcpListener;

use crate::app::AppState;

/// Serves the API on `listener` until Ctrl-C or SIGTERM.
pub async fn run(app: AppState, listener: TcpListener) -> anyhow::Result<()> {
    let cleaner = tokio::spawn(clean_sessions(app.clone()));
    let sweeper = tokio::spawn(sweep_sla(app.clone()));
    let sender = tokio::spawn(send_mail(app.clone()));
    let devices = tokio::spawn(watch_devices(app.clone()));
    let deliverer = tokio::spawn(deliver_events(app.clone()));
    let indexer = tokio::spawn(crate::search::follow(app.clone()));
    let watchers = watch_mailboxes(&app);
    let router = crate::router::router(app.clone());
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    cleaner.abort();
    sweeper.abort();
    sender.abort();
    devices.abort();
    deliverer.abort();
    indexer.abort();
    for watcher in &watchers {
        watcher.abort();
    }
    if let Err(e) = crate::actions::call_home::watch::flush_refusals(&app).await {
        tracing::warn!(error = %e, "could not count refused call-home requests");
    }
    Ok(result?)
}

/// Every hour: removes expired sessions, tells admins about calendars without next year's
/// holidays, and sends contract renewal reminders. Idempotent; several servers may run it at
/// once.
async fn clean_sessions(app: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        let now = app.clock.now();
        let result = async {
            let mut db = app.store.write().await?;
            let removed = credentials::delete_expired_sessions(&mut db, now).await?;
            db.commit().await?;
            Ok::<u64, casebook_store::StoreError>(removed)
        }
        .await;
        match result {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
        match crate::search::prune(app.as_ref()).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "old search changes removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove old search changes"),
        }
        match crate::actions::contracts::calendars::notify_missing_holidays(&app).await {
            Ok(n) if n > 0 => tracing::warn!(notified = n, "a calendar in use lacks holiday data"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not check calendars for holiday data"),
        }
        match crate::actions::contracts::renewals::remind(&app).await {
            Ok(n) if n > 0 => tracing::info!(notified = n, "contract renewal reminders sent"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not send contract renewal reminders"),
        }
    }
}

/// Every few seconds, adds the refused call-home requests counted here to the database; every
/// `call_home.sweep_interval_secs`, flags devices whose heartbeats stopped (each once, also with
/// several servers on one database).
async fn watch_devices(app: AppState) {
    const COUNT_EVERY: Duration = Duration::from_secs(5);
    let sweep_every = Duration::from_secs(app.config.call_home.sweep_interval_secs.max(1));
    let mut every = tokio::time::interval(COUNT_EVERY.min(sweep_every));
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        every.tick().await;
        if let Err(e) = crate::actions::call_home::watch::flush_refusals(&app).await {
            tracing::warn!(error = %e, "could not count refused call-home requests");
        }
        if last_sweep.is_some_and(|at| at.elapsed() < sweep_every) {
            continue;
        }
        last_sweep = Some(tokio::time::Instant::now());
        match crate::actions::call_home::watch::sweep(&app, 200).await {
            Ok(n) if n > 0 => tracing::warn!(flagged = n, "call-home devices fell silent"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not check call-home devices"),
        }
    }
}

/// Fires due SLA warnings and escalations, then the warnings and breaches of internal targets
/// per tier, then the reminders of overdue survey follow-ups, duty pages' escalations, and the
/// end of remote sessions whose window closed. Each fires once: it is claimed in
/// the transaction that delivers it, so a crash or a second server neither loses nor repeats
/// one.
async fn sweep_sla(app: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(
        app.config.sla.sweep_interval_secs.max(1),
    ));
    loop {
        every.tick().await;
        loop {
            match crate::actions::cases::sla::sweep(&app, 200).await {
                Ok(200) => continue,
                Ok(n) if n > 0 => tracing::info!(fired = n, "SLA escalations fired"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "SLA sweep failed"),
            }
            break;
        }
        // Internal targets per tier: up to 200 warnings and 200 breaches per round.
        loop {
            match crate::actions::cases::ola::sweep(&app, 200).await {
                Ok(n) if n >= 200 => continue,
                Ok(n) if n > 0 => {
                    tracing::info!(told = n, "internal target warnings and breaches told")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "internal target sweep failed"),
            }
            break;
        }
        match crate::actions::surveys::follow_ups::remind_overdue(&app, 200).await {
            Ok(n) if n > 0 => tracing::info!(reminded = n, "overdue survey follow-ups"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remind overdue survey follow-ups"),
        }
        match crate::actions::duty::pages::sweep(&app, 200).await {
            Ok(n) if n > 0 => tracing::info!(escalated = n, "unacknowledged duty pages escalated"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not escalate duty pages"),
        }
        match crate::actions::field::remote::sweep(&app).await {
            Ok(n) if n > 0 => {
                tracing::info!(ended = n, "remote sessions ended at their window's close")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not end overrun remote sessions"),
        }
    }
}

/// Delivers the mail outbox through the configured SMTP server (nothing when none is set).
async fn send_mail(app: AppState) {
    if app.config.smtp.host.is_empty() {
        tracing::info!("no smtp.host: notification mail stays in the outbox");
        return;
    }
    let mut every = tokio::time::interval(Duration::from_secs(
        app.config.smtp.send_interval_secs.max(1),
    ));
    loop {
        every.tick().await;
        match crate::actions::mail::delivery::send_due(&app, 100).await {
            Ok(d) if d.sent + d.failed > 0 => {
                tracing::info!(sent = d.sent, failed = d.failed, "outbox delivered")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox delivery failed"),
        }
    }
}

/// Delivers events to webhooks and chat robots: at once when a change on this server queued
/// some, else every `integrations.poll_millis`; again without waiting while there is work.
async fn deliver_events(app: AppState) {
    let poll = Duration::from_millis(app.config.integrations.poll_millis);
    loop {
        match crate::actions::integrations::send::deliver_due(&app, 32).await {
            Ok(p) if p.delivered + p.failed > 0 => {
                tracing::debug!(
                    delivered = p.delivered,
                    failed = p.failed,
                    "events delivered"
                );
                if p.delivered > 0 {
                    continue;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "event delivery failed"),
        }
        tokio::select! {
            () = app.outbound.wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// One task per configured IMAP mailbox, taking its new mail in until the server stops.
fn watch_mailboxes(app: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    app.config
        .imap
        .mailboxes
        .iter()
        .map(|mailbox| {
            let (app, mailbox) = (app.clone(), mailbox.clone());
            tokio::spawn(async move { crate::actions::mail::imap::watch(&app, &mailbox).await })
        })
        .collect()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
