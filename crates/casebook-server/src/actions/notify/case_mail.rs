//! Mail about cases, queued in the outbox in the transaction of the change:
//! the acknowledgement with the case number when a case opens, every public reply of staff, a
//! proposed solution (with links to accept or reject it), the closure, and other status
//! changes. It goes to the user who opened the case and to the case's contact (once per
//! address), never to the person who made the change, in the language they chose (else the
//! desk's). Each mail gets its Message-ID when queued and answers the mail that opened the case,
//! so replies thread; its body ends with the case's signed reply token. SLA warnings,
//! breaches and escalations go to staff the same way, from their own templates.

use casebook_domain::case::Case;
use casebook_domain::ids::{CaseEventId, UserId};
use casebook_domain::sla::plan::Metric;
use casebook_domain::users::User;
use casebook_domain::{Named, Status, Timestamp};
use casebook_store::notifications::{self, CaseMail, NewNotification};
use casebook_store::{Db, contacts, mail, users};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::actions::ActionResult;
use crate::actions::notify::templates::{self, Rendered};
use crate::actions::notify::tokens::{self, Link, LinkAction};
use crate::app::App;
use crate::i18n::Lang;
use crate::policy::Principal;

/// How long the accept and reject links of a mail work.
const LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 30);

/// What happened to the case.
#[derive(Debug, Clone, Copy)]
pub enum CaseNews<'a> {
    /// It was opened, maybe by the mail with this Message-ID.
    Opened {
        /// The opening mail's Message-ID.
        in_reply_to: Option<&'a str>,
    },
    /// Staff replied in public.
    StaffReply {
        /// The reply's timeline entry.
        event: CaseEventId,
        /// Who wrote it.
        author: &'a str,
        /// What they wrote.
        body: &'a str,
    },
    /// Its status changed.
    Status {
        /// The change's timeline entry.
        event: CaseEventId,
        /// Before.
        from: Status,
        /// After.
        to: Status,
        /// The reason given, if any.
        reason: Option<&'a str>,
    },
}

/// Someone who gets mail about a case.
pub(crate) struct Recipient {
    /// The address.
    pub address: String,
    /// The name.
    pub name: String,
    /// The user, if they have an account.
    pub user: Option<UserId>,
    /// The language of their mail.
    pub lang: Lang,
}

/// The language of mail to a user: theirs, else the desk's.
pub(crate) async fn lang_of(app: &App, db: &mut Db, user: Option<&User>) -> ActionResult<Lang> {
    let chosen = match user {
        Some(u) => users::locale_of(db, u.id).await?,
        None => None,
    };
    Ok(chosen
        .as_deref()
        .or(Some(app.config.desk.language.tag()))
        .and_then(Lang::from_tag)
        .unwrap_or(Lang::Zh))
}

/// The customers told about a case: the user who opened it and the contact, not `except` (by
/// user or by address).
async fn recipients(
    app: &App,
    db: &mut Db,
    case: &Case,
    except: Option<&Principal>,
) -> ActionResult<Vec<Recipient>> {
    let except_user = except.and_then(Principal::user_id);
    let except_address = except
        .filter(|p| p.user_id().is_some())
        .map(|p| p.label.as_str());
    let mut people: Vec<Recipient> = Vec::new();
    let mut add = |r: Recipient| {
        let known = people
            .iter()
            .any(|p| p.address.eq_ignore_ascii_case(&r.address));
        let is_actor = (r.user.is_some() && r.user == except_user)
            || except_address.is_some_and(|a| a.eq_ignore_ascii_case(&r.address));
        if !known && !r.address.is_empty() && !is_actor {
            people.push(r);
        }
    };
    if let Some(opener) = &case.opened_by
        && let Some(user) = users::get(db, opener.id).await?
        && user.active
        && !user.role.is_staff()
    {
        let lang = lang_of(app, db, Some(&user)).await?;
        add(Recipient {
            address: user.email.clone(),
            name: user.name.clone(),
            user: Some(user.id),
            lang,
        });
    }
    if let Some(contact) = &case.contact
        && let Some(contact) = contacts::get(db, contact.id).await?
        && let Some(address) = contact.email.clone()
    {
        let user = users::of_contact(db, contact.id).await?;
        let lang = lang_of(app, db, user.as_ref()).await?;
        add(Recipient {
            address,
            name: contact.name.clone(),
            user: user.map(|u| u.id),
            lang,
        });
    }
    Ok(people)
}

fn status_label(lang: Lang, status: Status) -> String {
    lang.t(&format!("status-{}", status.as_str()))
}

async fn first_response_due(app: &App, db: &mut Db, case: &Case) -> ActionResult<Option<String>> {
    let clocks = casebook_store::sla::clocks_of_case(db, case.id).await?;
    Ok(clocks
        .iter()
        .filter(|c| c.metric == Metric::InitialResponse)
        .find_map(|c| c.deadline)
        .map(|at| {
            let tz = app.config.time_zone();
            format!(
                "{} ({})",
                at.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M"),
                tz.iana_name().unwrap_or("UTC")
            )
        }))
}

/// The kind of mail for a piece of news; `None` when customers are not told.
fn kind_of(news: &CaseNews<'_>) -> Option<&'static str> {
    match news {
        CaseNews::Opened { .. } => Some("case_opened"),
        CaseNews::StaffReply { .. } => Some("staff_reply"),
        CaseNews::Status { to, .. } => match to {
            Status::SolutionProposed => Some("solution_proposed"),
            Status::Closed => Some("case_closed"),
            // New → assigned is the case being taken: the acknowledgement said enough.
            Status::Assigned | Status::New => None,
            _ => Some("status_changed"),
        },
    }
}

fn links(
    app: &App,
    key: &[u8],
    case: &Case,
    proposal: CaseEventId,
    to: &Recipient,
    now: Timestamp,
) -> Value {
    let Some(user) = to.user else {
        return json!({});
    };
    let url = |action| {
        let token = tokens::link_token(
            key,
            &Link {
                case: case.number,
                user,
                action,
                proposal: proposal.get(),
                expires: now + LINK_LIFETIME,
            },
        );
        format!("{}/mail-links/{token}", app.config.desk.public_url)
    };
    json!({"accept": url(LinkAction::Accept), "reject": url(LinkAction::Reject)})
}

/// The values every mail about a case is rendered with.
/// The most of a reply (bytes of UTF-8) a mail carries: a reply may hold 100,000 characters,
/// more than a rendered mail may (`mail_templates`' output cap); the rest is on the case's
/// page, which every mail links.
const REPLY_IN_MAIL: usize = 32 * 1024;

fn excerpt(text: &str) -> String {
    if text.len() <= REPLY_IN_MAIL {
        return text.to_owned();
    }
    let mut end = REPLY_IN_MAIL;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[…]", &text[..end])
}

fn context(app: &App, case: &Case, to: &Recipient, due: Option<&str>) -> Value {
    let desk = &app.config.desk;
    json!({
        "desk": {"name": desk.name, "url": desk.public_url, "reopen_days": app.config.cases.reopen_days},
        "recipient": {"name": to.name},
        "case": {
            "number": case.number.to_string(), "title": case.title,
            "status": status_label(to.lang, case.status),
            "severity": to.lang.t(&format!("severity-{}", case.severity.level())),
            "organization": case.organization.name,
            "url": format!("{}/portal/cases/{}", desk.public_url, case.number),
            "console_url": format!("{}/console/cases/{}", desk.public_url, case.number),
            "first_response_due": due,
        },
    })
}

/// An escalation step of an SLA clock that fired: what staff are told about.
#[derive(Debug, Clone, Copy)]
pub struct SlaNews {
    /// The clock's metric.
    pub metric: Metric,
    /// The share of its target the step is at.
    pub percent: u16,
    /// When the target is due.
    pub due: Timestamp,
}

/// What a mail to staff about a case tells, beside the case: the name its values go under in
/// the template's context, and the values in a language.
pub trait StaffNews {
    /// (`name`, values).
    fn values(&self, app: &App, lang: Lang) -> (&'static str, Value);

    /// The in-app notification (title, body) of `kind` in a language.
    fn in_app(&self, app: &App, lang: Lang, kind: &str, case: &Case) -> (String, String);
}

impl StaffNews for SlaNews {
    /// The mail's `sla` values: the metric's name, the percent, the due time in the desk's time
    /// zone with its offset.
    fn values(&self, app: &App, lang: Lang) -> (&'static str, Value) {
        let values = json!({
            "metric": lang.t(&format!("metric-{}", self.metric.as_str())),
            "percent": self.percent,
            "due_at": app.config.desk_time(self.due),
        });
        ("sla", values)
    }

    fn in_app(&self, app: &App, lang: Lang, kind: &str, case: &Case) -> (String, String) {
        let what = lang.tn(
            &format!("sla-news-{kind}"),
            &[
                (
                    "metric",
                    lang.t(&format!("metric-{}", self.metric.as_str())),
                ),
                ("percent", self.percent.to_string()),
            ],
        );
        // The title has no people's text (the case's title is in the body), so a page can tell
        // the language it was written in.
        let title = format!("{} {what}", case.number);
        let body = lang.tn(
            "sla-news-body",
            &[
                ("number", case.number.to_string()),
                ("title", case.title.clone()),
                (
                    "severity",
                    lang.t(&format!("severity-{}", case.severity.level())),
                ),
                ("organization", case.organization.name.clone()),
                ("what", what),
                ("due", app.config.desk_time(self.due)),
            ],
        );
        (title, body)
    }
}

/// Tells a member of staff news about a case in their language, once per `dedupe_key`: an
/// in-app notification and a mail in the outbox (keyed `{dedupe_key}:mail`).
#[allow(clippy::too_many_arguments)]
pub async fn alert_staff(
    app: &App,
    db: &mut Db,
    user: &User,
    case: &Case,
    kind: &'static str,
    news: &(dyn StaffNews + Sync),
    dedupe_key: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let lang = lang_of(app, db, Some(user)).await?;
    let (title, body) = news.in_app(app, lang, kind, case);
    notifications::notify(
        db,
        &NewNotification {
            user: user.id,
            case: Some(case.id),
            kind,
            title: &title,
            body: &body,
            dedupe_key,
        },
        now,
    )
    .await?;
    let mail_key = format!("{dedupe_key}:mail");
    tell_staff(app, db, user, case, kind, news, &mail_key, now).await
}

/// Queues a mail about a case to a member of staff, in their language: SLA (`sla_warning`,
/// `sla_breach`, `sla_escalation`) and internal target (`ola_warning`, `ola_breach`) news.
#[allow(clippy::too_many_arguments)]
pub async fn tell_staff(
    app: &App,
    db: &mut Db,
    user: &User,
    case: &Case,
    kind: &'static str,
    news: &(dyn StaffNews + Sync),
    dedupe_key: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let lang = lang_of(app, db, Some(user)).await?;
    let (name, values) = news.values(app, lang);
    let extra = Value::Object(serde_json::Map::from_iter([(name.to_owned(), values)]));
    let (to, Rendered { subject, body }) = render_for(app, db, case, kind, user, extra).await?;
    let key = tokens::key(app, db).await?;
    let message_id = tokens::message_id(&key, dedupe_key, &app.config.smtp.message_id_domain);
    notifications::enqueue_case_mail(
        db,
        &CaseMail {
            kind,
            recipient: &to.address,
            subject: &subject,
            body: &body,
            dedupe_key,
            case: case.id,
            message_id: &message_id,
            in_reply_to: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Queues the mail that tells the case's customers the news, except `actor` (who made it).
pub async fn tell(
    app: &App,
    db: &mut Db,
    case: &Case,
    news: CaseNews<'_>,
    actor: &Principal,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(kind) = kind_of(&news) else {
        return Ok(());
    };
    // The one who opened a case still gets its acknowledgement, with the number.
    let except = if matches!(news, CaseNews::Opened { .. }) {
        None
    } else {
        Some(actor)
    };
    let people = recipients(app, db, case, except).await?;
    if people.is_empty() {
        return Ok(());
    }
    let key = tokens::key(app, db).await?;
    let in_reply_to = match news {
        CaseNews::Opened { in_reply_to } => in_reply_to.map(str::to_owned),
        _ => mail::opening_message(db, case.id).await?,
    };
    let due = match news {
        CaseNews::Opened { .. } => first_response_due(app, db, case).await?,
        _ => None,
    };
    let event = match news {
        CaseNews::Opened { .. } => "opened".to_owned(),
        CaseNews::StaffReply { event, .. } | CaseNews::Status { event, .. } => {
            event.get().to_string()
        }
    };
    for to in people {
        let mut ctx = context(app, case, &to, due.as_deref());
        let extra = match news {
            CaseNews::Opened { .. } => json!({}),
            CaseNews::StaffReply { author, body, .. } => {
                json!({"reply": {"author": author, "body": excerpt(body)}})
            }
            CaseNews::Status {
                event: proposal,
                from,
                to: after,
                reason,
            } => json!({
                "change": {"from": status_label(to.lang, from), "to": status_label(to.lang, after), "reason": reason},
                "links": if after == Status::SolutionProposed { links(app, &key, case, proposal, &to, now) } else { json!({}) },
            }),
        };
        if let (Some(ctx), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
            ctx.extend(extra);
        }
        let Rendered { subject, body } = templates::render(db, kind, to.lang, &ctx).await?;
        queue(
            app,
            db,
            case,
            kind,
            &to,
            (&subject, &body),
            &event,
            in_reply_to.as_deref(),
            &key,
            now,
        )
        .await?;
    }
    Ok(())
}

/// A mail of `kind` about a case rendered for one user, in their language, with `extra` values
/// beside the case's.
async fn render_for(
    app: &App,
    db: &mut Db,
    case: &Case,
    kind: &'static str,
    user: &User,
    extra: Value,
) -> ActionResult<(Recipient, Rendered)> {
    let to = Recipient {
        address: user.email.clone(),
        name: user.name.clone(),
        user: Some(user.id),
        lang: lang_of(app, db, Some(user)).await?,
    };
    let mut ctx = context(app, case, &to, None);
    if let (Some(ctx), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
        ctx.extend(extra);
    }
    let rendered = templates::render(db, kind, to.lang, &ctx).await?;
    Ok((to, rendered))
}

/// Queues a mail of `kind` about a case to one customer user, in their language, with `extra`
/// values beside the case's (e.g. a remote session and its approval link); once per `event`.
#[allow(clippy::too_many_arguments)]
pub async fn tell_customer(
    app: &App,
    db: &mut Db,
    case: &Case,
    kind: &'static str,
    user: &User,
    extra: Value,
    event: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let (to, Rendered { subject, body }) = render_for(app, db, case, kind, user, extra).await?;
    let key = tokens::key(app, db).await?;
    let in_reply_to = mail::opening_message(db, case.id).await?;
    queue(
        app,
        db,
        case,
        kind,
        &to,
        (&subject, &body),
        event,
        in_reply_to.as_deref(),
        &key,
        now,
    )
    .await?;
    Ok(())
}

/// The customer who signs for a case's visits and gets their service reports: the case's
/// contact (with an address), else the customer who opened it; with their language.
pub(crate) async fn signer_of(
    app: &App,
    db: &mut Db,
    case: &Case,
) -> ActionResult<Option<Recipient>> {
    Ok(recipients(app, db, case, None).await?.pop())
}

/// Everyone told about a case: the customer who opened it and the contact.
pub(crate) async fn customers_of(
    app: &App,
    db: &mut Db,
    case: &Case,
) -> ActionResult<Vec<Recipient>> {
    recipients(app, db, case, None).await
}

/// Queues a mail of `kind` to `to` with `extra` values beside the case's and maybe a case
/// attachment; once per `event`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn tell_one(
    app: &App,
    db: &mut Db,
    case: &Case,
    kind: &'static str,
    to: &Recipient,
    extra: Value,
    (event, attachment): (&str, Option<i64>),
    now: Timestamp,
) -> ActionResult<()> {
    let mut ctx = context(app, case, to, None);
    if let (Some(ctx), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
        ctx.extend(extra);
    }
    let Rendered { subject, body } = templates::render(db, kind, to.lang, &ctx).await?;
    let key = tokens::key(app, db).await?;
    let in_reply_to = mail::opening_message(db, case.id).await?;
    let dedupe_key = queue(
        app,
        db,
        case,
        kind,
        to,
        (&subject, &body),
        event,
        in_reply_to.as_deref(),
        &key,
        now,
    )
    .await?;
    if let Some(file) = attachment {
        notifications::attach_to_mail(db, &dedupe_key, file).await?;
    }
    Ok(())
}

/// Adds the case tag to a subject that lost it and the reply token to the body, then queues.
#[allow(clippy::too_many_arguments)]
async fn queue(
    app: &App,
    db: &mut Db,
    case: &Case,
    kind: &str,
    to: &Recipient,
    (subject, body): (&str, &str),
    event: &str,
    in_reply_to: Option<&str>,
    key: &[u8],
    now: Timestamp,
) -> ActionResult<String> {
    let tag = casebook_domain::mail::subject_tag(case.number);
    let subject = if casebook_domain::mail::case_in_subject(subject) == Some(case.number) {
        subject.to_owned()
    } else {
        format!("{tag} {subject}")
    };
    let body = format!("{body}\n{}\n", tokens::reply_token(key, case.number));
    let dedupe_key = format!(
        "case:{}:{kind}:{event}:{}",
        case.id.get(),
        to.address.to_lowercase()
    );
    let message_id = tokens::message_id(key, &dedupe_key, &app.config.smtp.message_id_domain);
    notifications::enqueue_case_mail(
        db,
        &CaseMail {
            kind,
            recipient: &to.address,
            subject: &subject,
            body: &body,
            dedupe_key: &dedupe_key,
            case: case.id,
            message_id: &message_id,
            in_reply_to,
        },
        now,
    )
    .await?;
    Ok(dedupe_key)
}
