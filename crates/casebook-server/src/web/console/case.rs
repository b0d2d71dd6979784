//! The console's case page: header (number, severity, status, owner, tier, organisation,
//! contract, entitlement), SLA clocks counting down, the timeline with public replies and
//! internal notes told apart, the reply box with files, the change form (status, severity,
//! owner, tier), escalation with a reason, and beside it the customer's units, contracts and
//! recent cases. A case a device opened or joined shows its fault (signature, occurrences,
//! first and last seen) and the device's events, marked as such. The knowledge articles linked
//! to the case are listed; a solved case offers "create an article from this case"
//! (`kb_review.rs`).

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::Named;
use casebook_domain::case::{Case, CasePatch};
use casebook_domain::contract::{Contract, Unit};
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::{CaseEvent, CommentDraft};
use casebook_domain::users::User;
use casebook_domain::{CaseNumber, Severity, Status, Tier};
use casebook_store::PageRequest;
use casebook_store::case_list::CaseFilter;
use casebook_store::units::UnitFilter;
use casebook_store::users::UserFilter;
use serde::Deserialize;
use serde_json::json;

use crate::actions::call_home::views::{self, CaseCallHome};
use crate::actions::cases::sla::ClockView;
use crate::actions::{
    ActionError, accounts::users, cases, cases::comments, cases::entitlement, cases::sla,
    contracts, directory::units, knowledge::from_case,
};
use crate::app::AppState;
use crate::web::forms::{Typed, opt, parse, read_checked, refusal};
use crate::web::page::{Ctx, render_status, user_html};
use crate::web::session::{Staff, Viewer, WebResult};

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    ctx: Ctx,
    case: Case,
    clocks: Vec<ClockView>,
    events: Vec<CaseEvent>,
    next_statuses: Vec<Status>,
    staff: Vec<User>,
    units: Vec<Unit>,
    contracts: Vec<Contract>,
    recent: Vec<Case>,
    call_home: CaseCallHome,
    articles: Vec<super::kb::Listed>,
    severities: [Severity; 4],
    tiers: &'static [Tier],
    errors: Vec<String>,
    typed: Typed,
}

impl CasePage {
    fn html(&self, text: &str) -> String {
        user_html(text)
    }

    fn is_internal(&self, event: &CaseEvent) -> bool {
        event.visibility == Visibility::Internal
    }

    fn is_owner(&self, user: &User) -> bool {
        self.case.owner.as_ref().is_some_and(|o| o.id == user.id)
    }

    /// Whether an article may grow from this case (its solution was proposed, or it is closed).
    fn is_solved(&self) -> bool {
        matches!(self.case.status, Status::SolutionProposed | Status::Closed)
    }
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    errors: Vec<String>,
    typed: Typed,
) -> Result<CasePage, ActionError> {
    let who = &viewer.who;
    let case = cases::get(app, who, number).await?;
    let clocks = sla::of_case(app, who, number).await?.clocks;
    let events = comments::timeline(
        app,
        who,
        number,
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await?
    .items;
    let next_statuses = cases::next_statuses(app, who, &case);
    let staff = users::list(
        app,
        who,
        UserFilter {
            staff: Some(true),
            ..UserFilter::default()
        },
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await?
    .items;
    let org = case.organization.id;
    let units = units::list(
        app,
        who,
        UnitFilter {
            organization: Some(org),
            ..UnitFilter::default()
        },
        None,
        &PageRequest {
            limit: Some(20),
            cursor: None,
        },
    )
    .await?
    .items;
    let contracts = contracts::list(
        app,
        who,
        Some(org),
        None,
        &PageRequest {
            limit: Some(20),
            cursor: None,
        },
    )
    .await?
    .items;
    let recent = cases::list(
        app,
        who,
        CaseFilter {
            organization: Some(org),
            ..CaseFilter::default()
        },
        &PageRequest {
            limit: Some(8),
            cursor: None,
        },
    )
    .await?
    .items
    .into_iter()
    .filter(|c| c.number != number)
    .collect();
    let call_home = views::of_case(app, who, case.id).await?;
    let articles = from_case::of_case(
        app,
        who,
        number,
        &PageRequest {
            limit: Some(50),
            cursor: None,
        },
    )
    .await?
    .items;
    Ok(CasePage {
        articles: super::kb::listed(viewer.ctx.lang, articles),
        ctx: viewer.ctx.clone(),
        case,
        clocks,
        events,
        next_statuses,
        staff,
        units,
        contracts,
        recent,
        call_home,
        severities: Severity::ALL,
        tiers: Tier::ALL,
        errors,
        typed,
    })
}

/// `GET /console/cases/{number}`.
pub async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
) -> WebResult<Response> {
    let number = viewer.case_number(&raw)?;
    let page = page(&app, &viewer, number, Vec::new(), Typed::default())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(StatusCode::OK, &page))
}

/// Shows the case again with the refusal and the text that was typed, so nothing is lost.
pub(super) async fn refused(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    err: ActionError,
    typed: Typed,
) -> WebResult<Response> {
    let (status, errors) = refusal(viewer, err)?;
    let page = page(app, viewer, number, errors, typed)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(status, &page))
}

/// `POST /console/cases/{number}/reply`: a public reply or an internal note, with files.
pub async fn reply(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    multipart: Multipart,
) -> WebResult<Response> {
    let number = viewer.case_number(&raw)?;
    let (mut form, refusal) =
        read_checked(&viewer, &app, multipart, &["body", "visibility"]).await?;
    let body = form.text("body").unwrap_or_default().to_owned();
    let visibility = if form.text("visibility") == Some("internal") {
        "internal"
    } else {
        "public"
    };
    if let Some(err) = refusal {
        let typed = Typed {
            body,
            internal: visibility == "internal",
            ..Typed::default()
        };
        return refused(&app, &viewer, number, err, typed).await;
    }
    let result = match parse::<CommentDraft>(json!({"body": body, "visibility": visibility})) {
        Ok(draft) => {
            comments::add_or_attach(
                &app,
                &viewer.who,
                number,
                draft,
                std::mem::take(&mut form.files),
                None,
            )
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/cases/{number}#timeline")).into_response()),
        Err(err) => {
            let typed = Typed {
                body,
                internal: visibility == "internal",
                ..Typed::default()
            };
            refused(&app, &viewer, number, err, typed).await
        }
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    version: Option<i64>,
    status: Option<String>,
    severity: Option<String>,
    owner: Option<String>,
    tier: Option<String>,
    reason: Option<String>,
}

/// `POST /console/cases/{number}/change`: status, severity, owner and tier in one form; only
/// what differs from the case is sent to the action.
pub async fn change(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    Form(form): Form<ChangeForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let number = viewer.case_number(&raw)?;
    let case = cases::get(&app, &viewer.who, number)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut patch = serde_json::Map::new();
    patch.insert("version".into(), json!(form.version));
    if let Some(status) = form
        .status
        .as_deref()
        .filter(|s| !s.is_empty() && *s != case.status.to_string())
    {
        patch.insert("status".into(), json!(status));
    }
    if let Some(sev) = form
        .severity
        .as_deref()
        .and_then(|s| s.parse::<u8>().ok())
        .filter(|s| *s != case.severity.level())
    {
        patch.insert("severity".into(), json!(sev));
    }
    let owner_now = case
        .owner
        .as_ref()
        .map(|o| o.id.get().to_string())
        .unwrap_or_default();
    if let Some(owner) = form.owner.as_deref().filter(|o| *o != owner_now) {
        patch.insert(
            "owner_id".into(),
            opt(Some(owner))
                .as_str()
                .map_or(json!(null), |o| json!(o.parse::<i64>().unwrap_or(0))),
        );
    }
    let tier_now = case.tier.map(|t| t.to_string()).unwrap_or_default();
    if let Some(tier) = form
        .tier
        .as_deref()
        .filter(|t| !t.is_empty() && *t != tier_now)
    {
        patch.insert("tier".into(), json!(tier));
    }
    patch.insert("reason".into(), opt(form.reason.as_deref()));
    let reason = form.reason.clone().unwrap_or_default();
    let result = match parse::<CasePatch>(serde_json::Value::Object(patch)) {
        Ok(patch) => cases::update(&app, &viewer.who, number, patch, None)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/cases/{number}")).into_response()),
        Err(err) => {
            refused(
                &app,
                &viewer,
                number,
                err,
                Typed {
                    reason,
                    ..Typed::default()
                },
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct EscalateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    version: Option<i64>,
    tier: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/cases/{number}/escalate`: moves the case to L2 or engineering; a reason is
/// required and goes onto the timeline with the change.
pub async fn escalate(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    Form(form): Form<EscalateForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let number = viewer.case_number(&raw)?;
    let result = if form.reason.trim().is_empty() {
        Err(ActionError::field(
            "reason",
            "required",
            viewer.ctx.t("escalate-reason-required"),
        ))
    } else if !matches!(form.tier.as_str(), "l2" | "engineering") {
        Err(ActionError::field(
            "tier",
            "invalid",
            "escalate to l2 or engineering",
        ))
    } else {
        match parse::<CasePatch>(
            json!({"version": form.version, "tier": form.tier, "reason": form.reason.trim()}),
        ) {
            Ok(patch) => cases::update(&app, &viewer.who, number, patch, None)
                .await
                .map(|_| ()),
            Err(err) => Err(err),
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/cases/{number}")).into_response()),
        Err(err) => {
            let typed = Typed {
                reason: form.reason,
                ..Typed::default()
            };
            refused(&app, &viewer, number, err, typed).await
        }
    }
}

#[derive(Deserialize)]
pub struct EntitlementForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    contract_number: String,
    #[serde(default)]
    plan: String,
}

/// `POST /console/cases/{number}/entitlement`: a coordinator overrides a refused entitlement
/// with a reason (optionally naming the contract and plan), or re-checks it after a renewal.
pub async fn entitlement(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    Form(form): Form<EntitlementForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let number = viewer.case_number(&raw)?;
    let result = if form.action == "recheck" {
        entitlement::recheck_case(&app, &viewer.who, number)
            .await
            .map(|_| ())
    } else {
        let input = json!({
            "reason": form.reason,
            "contract_number": opt(Some(&form.contract_number)),
            "plan": opt(Some(&form.plan)),
        });
        match parse::<entitlement::OverrideInput>(input) {
            Ok(input) => entitlement::override_case(&app, &viewer.who, number, input)
                .await
                .map(|_| ()),
            Err(err) => Err(err),
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/cases/{number}")).into_response()),
        Err(err) => {
            let typed = Typed {
                reason: form.reason,
                ..Typed::default()
            };
            refused(&app, &viewer, number, err, typed).await
        }
    }
}
