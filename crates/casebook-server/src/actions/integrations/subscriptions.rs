//! Subscriptions as administrators manage them (API and console): create, change, remove,
//! read (their delivery log, redelivery and tests are in `log.rs`). A webhook gets a signing
//! secret made here (shown once, when it is made or replaced); robots take the secret their
//! platform shows. Every change is audited; secrets
//! never appear in reads or in the audit log.

use casebook_domain::events::{self, Filters};
use casebook_domain::ids::Id;
use casebook_domain::integrations::{TargetKind, TargetUrl, redact_url};
use casebook_domain::policy::Permission;
use casebook_domain::{FieldError, Named, Timestamp};
use casebook_store::deliveries;
use casebook_store::subscriptions::{self, Subscription, SubscriptionDraft};
use casebook_store::{AuditEntry, Db, Page, PageRequest, organizations, products};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// A subscription as an administrator writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// A name for people (1–100 characters).
    pub name: String,
    /// `webhook`, `dingtalk`, `wecom` or `feishu`.
    pub kind: TargetKind,
    /// The target URL (http or https; for robots the address the platform shows).
    pub url: String,
    /// The signing secret. Webhooks: omit it to have one made (16–200 characters otherwise).
    /// DingTalk and Feishu: the secret of their "signature" security setting, if used. WeCom:
    /// none (its key is in the URL). On a change, omit it to keep the current one.
    #[serde(default)]
    pub secret: Option<String>,
    /// DingTalk's keyword security setting: the word put into every message, if used.
    #[serde(default)]
    pub keyword: String,
    /// The language of robot messages: `zh-CN` (default) or `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// The event types, e.g. `["case.opened", "sla.breach"]`.
    pub events: Vec<String>,
    /// Which events of those types (empty lists let every value pass).
    #[serde(default)]
    pub filters: Filters,
    /// Whether robot messages @-mention the engineer on duty.
    #[serde(default)]
    pub mention_duty: bool,
    /// Whether it is on (default on). Turning a disabled one on clears its failures.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// On a change: the version read (optimistic locking).
    #[serde(default)]
    pub version: Option<i64>,
}

fn default_language() -> String {
    "zh-CN".into()
}

fn yes() -> bool {
    true
}

/// A subscription as administrators read it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Target kind.
    pub kind: TargetKind,
    /// Target URL; a robot's token (DingTalk `access_token`, WeCom `key`, Feishu's hook id) is
    /// shown as `****`. Sending this form back in a change keeps the stored address.
    pub url: String,
    /// Whether a signing secret is set.
    pub secret_set: bool,
    /// DingTalk keyword.
    pub keyword: String,
    /// Robot language.
    pub language: String,
    /// Event types.
    pub events: Vec<String>,
    /// Filters.
    pub filters: Filters,
    /// Whether robot messages mention the engineer on duty.
    pub mention_duty: bool,
    /// Whether it is on.
    pub enabled: bool,
    /// Failed attempts in a row.
    pub failures: i64,
    /// Why it was switched off automatically.
    pub disabled_reason: Option<String>,
    /// When.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<Timestamp>,
    /// Deliveries waiting.
    pub pending: i64,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last saved.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Send it back as `version` when changing it.
    pub version: i64,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        let d = s.draft;
        SubscriptionView {
            id: s.id,
            name: d.name,
            kind: d.kind,
            url: redact_url(d.kind, &d.url),
            secret_set: !d.secret.is_empty(),
            keyword: d.keyword,
            language: d.language,
            events: d.events.iter().map(|k| k.as_str().to_owned()).collect(),
            filters: d.filters,
            mention_duty: d.mention_duty,
            enabled: d.enabled,
            failures: s.failures,
            disabled_reason: s.disabled_reason,
            disabled_at: s.disabled_at,
            pending: s.pending,
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// A saved subscription, with the secret when this save made or replaced it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Saved {
    /// The subscription.
    pub subscription: SubscriptionView,
    /// The webhook's signing secret, shown this once; absent when unchanged.
    pub secret: Option<String>,
}

/// The audit log's view of a subscription (no secret).
#[derive(Serialize)]
struct Audited {
    name: String,
    kind: &'static str,
    url: String,
    events: Vec<&'static str>,
    filters: Filters,
    enabled: bool,
    secret_set: bool,
}

fn audited(d: &SubscriptionDraft) -> Audited {
    Audited {
        name: d.name.clone(),
        kind: d.kind.as_str(),
        url: redact_url(d.kind, &d.url),
        events: d.events.iter().map(|k| k.as_str()).collect(),
        filters: d.filters.clone(),
        enabled: d.enabled,
        secret_set: !d.secret.is_empty(),
    }
}

fn new_secret() -> String {
    format!("whsec_{:032x}", rand::random::<u128>())
}

/// Checks the input into a draft; `current` is the stored secret on a change. Returns the
/// draft and the secret to show (made or replaced for a webhook).
async fn check(
    app: &App,
    db: &mut Db,
    input: SubscriptionInput,
    current: Option<&str>,
) -> ActionResult<(SubscriptionDraft, Option<String>)> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "invalid",
            "a name of 1 to 100 characters",
        ));
    }
    let url = input.url.trim().to_owned();
    match TargetUrl::parse(&url) {
        Err(e) => errors.push(e),
        Ok(_) => {
            if let Err(why) = app.outbound.check_url(&url) {
                errors.push(FieldError::new("url", "refused", why));
            }
        }
    }
    let events = match events::parse_kinds(&input.events) {
        Ok(kinds) => kinds,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    if let Err(mut found) = input.filters.check() {
        errors.append(&mut found);
    }
    for (i, org) in input.filters.organizations.iter().enumerate() {
        if organizations::get(db, Id::new(*org)).await?.is_none() {
            errors.push(FieldError::new(
                format!("filters.organizations[{i}]"),
                "unknown",
                format!("no organisation {org}"),
            ));
        }
    }
    for (i, product) in input.filters.products.iter().enumerate() {
        if products::get(db, Id::new(*product)).await?.is_none() {
            errors.push(FieldError::new(
                format!("filters.products[{i}]"),
                "unknown",
                format!("no product {product}"),
            ));
        }
    }
    if !matches!(input.language.as_str(), "zh-CN" | "en") {
        errors.push(FieldError::new("language", "invalid", "zh-CN or en"));
    }
    let keyword = input.keyword.trim().to_owned();
    if keyword.chars().count() > 50 || keyword.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "keyword",
            "invalid",
            "a keyword of at most 50 characters on one line",
        ));
    }
    if !keyword.is_empty() && input.kind != TargetKind::Dingtalk {
        errors.push(FieldError::new(
            "keyword",
            "invalid",
            "only DingTalk robots have a keyword",
        ));
    }
    let given = input.secret.map(|s| s.trim().to_owned());
    let (secret, shown) = match (input.kind, given) {
        (TargetKind::Wecom, Some(s)) if !s.is_empty() => {
            errors.push(FieldError::new(
                "secret",
                "invalid",
                "WeCom robots are not signed; their key is in the URL",
            ));
            (String::new(), None)
        }
        (TargetKind::Wecom, _) => (String::new(), None),
        (_, Some(s))
            if !s.is_empty()
                && (s.len() < 16
                    || s.len() > 200
                    || s.chars().any(|c| c.is_control() || c.is_whitespace())) =>
        {
            errors.push(FieldError::new(
                "secret",
                "invalid",
                "a secret of 16 to 200 characters without spaces",
            ));
            (String::new(), None)
        }
        (TargetKind::Webhook, Some(s)) if !s.is_empty() => (s.clone(), Some(s)),
        (TargetKind::Webhook, _) => match current.filter(|c| !c.is_empty()) {
            Some(kept) => (kept.to_owned(), None),
            None => {
                let made = new_secret();
                (made.clone(), Some(made))
            }
        },
        (_, Some(s)) => (s, None),
        (_, None) => (current.unwrap_or_default().to_owned(), None),
    };
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let draft = SubscriptionDraft {
        name,
        kind: input.kind,
        url,
        secret,
        keyword,
        language: input.language,
        events,
        filters: input.filters,
        mention_duty: input.mention_duty,
        enabled: input.enabled,
    };
    Ok((draft, shown))
}

pub(super) async fn view(db: &mut Db, id: i64) -> ActionResult<SubscriptionView> {
    subscriptions::get(db, id)
        .await?
        .map(Into::into)
        .ok_or(ActionError::NotFound("subscription"))
}

/// Creates a subscription (administrators).
pub async fn create(app: &App, who: &Principal, input: SubscriptionInput) -> ActionResult<Saved> {
    require(who, Permission::ManageIntegrations)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (draft, secret) = check(app, &mut db, input, None).await?;
    let id = subscriptions::insert(&mut db, &draft, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "subscription.created",
        "subscription",
        id,
        None,
        Some(&audited(&draft)),
    ));
    let subscription = view(&mut db, id).await?;
    db.commit().await?;
    Ok(Saved {
        subscription,
        secret,
    })
}

/// Replaces a subscription at the version read (administrators).
pub async fn update(
    app: &App,
    who: &Principal,
    id: i64,
    input: SubscriptionInput,
) -> ActionResult<Saved> {
    require(who, Permission::ManageIntegrations)?;
    let version = input.version.ok_or_else(|| {
        ActionError::Validation(vec![FieldError::new(
            "version",
            "required",
            "send the version you read",
        )])
    })?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let before = subscriptions::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("subscription"))?;
    let mut input = input;
    if input.url.trim() == redact_url(before.draft.kind, &before.draft.url) {
        // The address as reads show it (its token hidden): unchanged.
        input.url = before.draft.url.clone();
    }
    let (draft, secret) = check(app, &mut db, input, Some(&before.draft.secret)).await?;
    crate::actions::check_version(Some(version), before.version)?;
    if !subscriptions::update(&mut db, id, version, &draft, now).await? {
        return Err(ActionError::StaleVersion);
    }
    if draft.enabled && !before.draft.enabled {
        // Its queue waited for a retry that may be an hour away: it goes out now, in order.
        deliveries::due_now(&mut db, id, now).await?;
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "subscription.updated",
        "subscription",
        id,
        Some(&audited(&before.draft)),
        Some(&audited(&draft)),
    ));
    let subscription = view(&mut db, id).await?;
    let wake = app.outbound.wake.clone();
    db.after_commit(move || wake.notify_one());
    db.commit().await?;
    Ok(Saved {
        subscription,
        secret,
    })
}

/// Removes a subscription with its queue and log (administrators); one that is gone already
/// changes nothing.
pub async fn delete(app: &App, who: &Principal, id: i64) -> ActionResult<()> {
    require(who, Permission::ManageIntegrations)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let Some(before) = subscriptions::get(&mut db, id).await? else {
        return Ok(());
    };
    subscriptions::delete(&mut db, id).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "subscription.deleted",
        "subscription",
        id,
        Some(&audited(&before.draft)),
        None,
    ));
    db.commit().await?;
    Ok(())
}

/// One subscription (administrators).
pub async fn get(app: &App, who: &Principal, id: i64) -> ActionResult<SubscriptionView> {
    require(who, Permission::ManageIntegrations)?;
    let mut db = app.store.read().await?;
    view(&mut db, id).await
}

/// The subscriptions, oldest first (administrators).
pub async fn list(
    app: &App,
    who: &Principal,
    page: &PageRequest,
) -> ActionResult<Page<SubscriptionView>> {
    require(who, Permission::ManageIntegrations)?;
    let mut db = app.store.read().await?;
    Ok(subscriptions::list(&mut db, page).await?.map(Into::into))
}
