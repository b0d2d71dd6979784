//! `/console/mail`: the mail quarantine and the mail refused for its size (staff), and the
//! deliveries that failed (administrators).

use axum::extract::State;
use axum::response::Response;

use super::tables::{DetailPage, Table, fail, link, text};
use crate::actions::mail::review;
use crate::app::AppState;
use crate::web::page::render;
use crate::web::session::{Staff, WebResult};

/// `GET /console/mail`.
pub async fn show(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let ctx = staff.0.ctx.clone();
    let held = review::quarantine(&app, &staff.0.who, 100)
        .await
        .map_err(fail(&staff))?;
    let mut sections = vec![Table {
        title: "mail-quarantine".into(),
        headers: vec![
            "field-time",
            "field-from",
            "field-subject",
            "field-reason",
            "field-size",
        ],
        rows: held
            .iter()
            .map(|m| {
                vec![
                    text(ctx.time(m.received_at)),
                    text(&m.from_address),
                    link(&m.subject, format!("/console/mail/{}", m.id)),
                    text(ctx.mail_reason(&m.reason)),
                    text(ctx.size(m.size)),
                ]
            })
            .collect(),
    }];
    let refused = review::refused(&app, &staff.0.who, 100)
        .await
        .map_err(fail(&staff))?;
    sections.push(Table {
        title: "mail-refused".into(),
        headers: vec![
            "field-time",
            "field-from",
            "field-subject",
            "field-size",
            "field-mail-source",
            "field-reason",
        ],
        rows: refused
            .iter()
            .map(|r| {
                vec![
                    text(ctx.time(r.refused_at)),
                    text(&r.from_address),
                    text(&r.subject),
                    text(ctx.size(r.size)),
                    text(match r.source.strip_prefix("imap:") {
                        Some(mailbox) => ctx.t1("mail-source-imap", "mailbox", mailbox),
                        None => ctx.t("mail-source-pipe"),
                    }),
                    text(ctx.mail_reason(&r.reason)),
                ]
            })
            .collect(),
    });
    if ctx.is_admin() {
        let failed = review::failed_deliveries(&app, &staff.0.who, 100)
            .await
            .map_err(fail(&staff))?;
        sections.push(Table {
            title: "mail-failed".into(),
            headers: vec![
                "field-recipient",
                "field-subject",
                "field-attempts",
                "field-error",
            ],
            rows: failed
                .iter()
                .map(|f| {
                    vec![
                        text(&f.recipient),
                        text(&f.subject),
                        text(f.attempts),
                        text(&f.error),
                    ]
                })
                .collect(),
        });
    }
    let title = ctx.t("nav-mail");
    let actions = if ctx.is_admin() {
        vec![("mail-templates", "/console/mail/templates".to_owned())]
    } else {
        Vec::new()
    };
    Ok(render(&DetailPage {
        actions,
        ctx,
        title,
        fields: Vec::new(),
        sections,
    }))
}
