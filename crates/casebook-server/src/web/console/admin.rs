//! The forms of the reference records the console creates and edits (`edit_pages.rs`):
//! organisations and their contacts, users (administrators only, as the actions decide),
//! products, their versions with the lifecycle dates (GA, end of marketing, end of support),
//! and the sites of an organisation where its units are installed. What they save goes through
//! the same action as the API.

use casebook_domain::Named;
use casebook_domain::contract::Site;
use casebook_domain::directory::{Contact, Organization, Product, ProductVersion};
use casebook_domain::policy::Role;
use casebook_domain::users::User;

use super::edit::{Field, Kind};
use super::editor::Cx;
use crate::actions::ActionResult;
use crate::web::choices;

/// The support plans, after the default plan.
pub(super) async fn plan_options(cx: Cx<'_>) -> ActionResult<Vec<(String, String)>> {
    choices::plan_options(cx.app, cx.who, cx.ctx).await
}

/// An organisation's fields.
pub(super) async fn organization_fields(
    cx: Cx<'_>,
    org: Option<&Organization>,
) -> ActionResult<Vec<Field>> {
    let value = |f: fn(&Organization) -> String| org.map(f).unwrap_or_default();
    Ok(vec![
        Field::new(
            "customer_number",
            "field-customer-number",
            Kind::Text,
            value(|o| o.customer_number.clone()),
        ),
        Field::new("name", "field-name", Kind::Text, value(|o| o.name.clone())),
        Field::new(
            "address",
            "field-address",
            Kind::Area,
            value(|o| o.address.clone()),
        ),
        Field::new(
            "notes",
            "field-notes",
            Kind::Area,
            value(|o| o.notes.clone()),
        ),
        Field::new(
            "support_plan",
            "field-plan",
            Kind::Select(plan_options(cx).await?),
            value(|o| {
                o.support_plan
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            }),
        ),
    ])
}

/// A contact's fields; a new one's with its organisation.
pub(super) fn contact_fields(c: Option<&Contact>, org: Option<i64>) -> Vec<Field> {
    let mut fields = vec![
        Field::new(
            "name",
            "field-name",
            Kind::Text,
            c.map(|c| c.name.clone()).unwrap_or_default(),
        ),
        Field::new(
            "email",
            "field-email",
            Kind::OptText,
            c.and_then(|c| c.email.clone()).unwrap_or_default(),
        ),
        Field::new(
            "phone",
            "field-phone",
            Kind::OptText,
            c.and_then(|c| c.phone.clone()).unwrap_or_default(),
        ),
        Field::new(
            "can_open_cases",
            "field-can-open-cases",
            Kind::Check,
            c.is_none_or(|c| c.can_open_cases).to_string(),
        ),
    ];
    fields.extend(org.map(Field::organization));
    fields
}

fn role_options(cx: Cx<'_>) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_owned(), cx.ctx.role(r)))
        .collect()
}

fn tier_options(cx: Cx<'_>) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "–".to_owned())];
    options.extend(
        casebook_domain::Tier::ALL
            .iter()
            .map(|t| (t.as_str().to_owned(), cx.ctx.tier(t))),
    );
    options
}

/// The fields of a new user.
pub(super) async fn user_new_fields(cx: Cx<'_>) -> ActionResult<Vec<Field>> {
    let mut orgs = vec![(String::new(), cx.t("staff-no-organization"))];
    orgs.extend(choices::organization_options(cx.app, cx.who).await?);
    Ok(vec![
        Field::new("email", "field-email", Kind::Text, ""),
        Field::new("name", "field-name", Kind::Text, ""),
        Field::new(
            "role",
            "field-role",
            Kind::Select(role_options(cx)),
            "engineer",
        ),
        Field::new(
            "organization_id",
            "field-organization-of-customer",
            Kind::SelectNumber(orgs),
            "",
        ),
        Field::new("password", "field-password", Kind::Password, ""),
    ])
}

/// A user's fields (a staff member's with the tier led and duty manager).
pub(super) fn user_fields(cx: Cx<'_>, u: &User) -> Vec<Field> {
    let mut fields = vec![
        Field::new("name", "field-name", Kind::Text, u.name.clone()),
        Field::new(
            "role",
            "field-role",
            Kind::Select(role_options(cx)),
            u.role.as_str(),
        ),
        Field::new("active", "field-active", Kind::Check, u.active.to_string()),
        Field::new("password", "field-new-password", Kind::Password, ""),
    ];
    if u.role.is_staff() {
        fields.push(Field::new(
            "leads_tier",
            "field-leads-tier",
            Kind::Select(tier_options(cx)),
            u.leads_tier.map(|t| t.as_str()).unwrap_or_default(),
        ));
        fields.push(Field::new(
            "duty_manager",
            "field-duty-manager",
            Kind::Check,
            u.duty_manager.to_string(),
        ));
        fields.push(Field::new(
            "team",
            "field-team",
            Kind::OptText,
            u.team.clone().unwrap_or_default(),
        ));
    }
    fields
}

/// A product's fields.
pub(super) fn product_fields(p: Option<&Product>) -> Vec<Field> {
    vec![
        Field::new(
            "name",
            "field-name",
            Kind::Text,
            p.map(|p| p.name.clone()).unwrap_or_default(),
        ),
        Field::new(
            "vendor",
            "field-vendor",
            Kind::Text,
            p.map(|p| p.vendor.clone()).unwrap_or_default(),
        ),
    ]
}

fn opt_date(d: Option<jiff::civil::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A version's fields.
pub(super) fn version_fields(v: Option<&ProductVersion>) -> Vec<Field> {
    vec![
        Field::new(
            "version",
            "field-version",
            Kind::Text,
            v.map(|v| v.version.clone()).unwrap_or_default(),
        ),
        Field::new(
            "released_on",
            "field-ga",
            Kind::Date,
            opt_date(v.and_then(|v| v.released_on)),
        ),
        Field::new(
            "end_of_marketing_on",
            "field-end-of-marketing",
            Kind::Date,
            opt_date(v.and_then(|v| v.end_of_marketing_on)),
        ),
        Field::new(
            "end_of_support_on",
            "field-end-of-support",
            Kind::Date,
            opt_date(v.and_then(|v| v.end_of_support_on)),
        ),
    ]
}

/// A site's fields; a new one's with its organisation.
pub(super) fn site_fields(s: Option<&Site>, org: Option<i64>) -> Vec<Field> {
    let mut fields = vec![
        Field::new(
            "code",
            "field-site-code",
            Kind::Text,
            s.map(|s| s.code.clone()).unwrap_or_default(),
        ),
        Field::new(
            "name",
            "field-name",
            Kind::Text,
            s.map(|s| s.name.clone()).unwrap_or_default(),
        ),
        Field::new(
            "address",
            "field-address",
            Kind::Area,
            s.map(|s| s.address.clone()).unwrap_or_default(),
        ),
        Field::new(
            "notes",
            "field-notes",
            Kind::Area,
            s.map(|s| s.notes.clone()).unwrap_or_default(),
        ),
    ];
    fields.extend(org.map(Field::organization));
    fields
}
