//! The request each documented route gets in the matrix: its method, path and body, filled in
//! with one organisation's objects.

use reqwest::Method;
use serde_json::json;

use super::desk_tools::desk_tools;
use super::{Call, Objects, call};
use crate::helpers::INTERNAL_CANARY;

/// How to call each route for a target. Every route of the API must be here.
pub(super) fn request(
    route: &str,
    o: &Objects,
    product: i64,
    version: i64,
    n: usize,
) -> Option<Call> {
    use Method as M;
    let case = &o.case;
    Some(match route {
        "GET /healthz" => call(M::GET, "/healthz".into(), None, false),
        "GET /api/v1/cases" => call(
            M::GET,
            format!("/api/v1/cases?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/cases" => call(
            M::POST,
            "/api/v1/cases".into(),
            Some(
                json!({"title": "matrix", "description": "d", "severity": 4, "organization_id": o.org}),
            ),
            false,
        ),
        "GET /api/v1/cases/{number}" => call(M::GET, format!("/api/v1/cases/{case}"), None, true),
        "POST /api/v1/cases/bulk" => call(
            M::POST,
            "/api/v1/cases/bulk".into(),
            Some(
                json!({"change": {"kind": "tier", "tier": "l1", "reason": "matrix"},
                "items": [{"number": case, "version": 0}]}),
            ),
            false,
        ),
        "PATCH /api/v1/cases/{number}" => call(
            M::PATCH,
            format!("/api/v1/cases/{case}"),
            Some(json!({"reason": "matrix"})),
            true,
        ),
        "POST /api/v1/cases/{number}/comments" => call(
            M::POST,
            format!("/api/v1/cases/{case}/comments"),
            Some(json!({"body": "matrix"})),
            true,
        ),
        "GET /api/v1/cases/{number}/attachments" => call(
            M::GET,
            format!("/api/v1/cases/{case}/attachments"),
            None,
            true,
        ),
        "POST /api/v1/cases/{number}/attachments" => Call {
            upload: true,
            ..call(
                M::POST,
                format!("/api/v1/cases/{case}/attachments"),
                None,
                true,
            )
        },
        "GET /api/v1/cases/{number}/attachments/{id}" => call(
            M::GET,
            format!("/api/v1/cases/{case}/attachments/{}", o.attachment),
            None,
            true,
        ),
        "GET /api/v1/cases/{number}/timeline" => {
            call(M::GET, format!("/api/v1/cases/{case}/timeline"), None, true)
        }
        "GET /api/v1/cases/{number}/links" => {
            call(M::GET, format!("/api/v1/cases/{case}/links"), None, true)
        }
        "POST /api/v1/cases/{number}/links" => call(
            M::POST,
            format!("/api/v1/cases/{case}/links"),
            Some(json!({"case": case, "role": "related"})),
            true,
        ),
        "DELETE /api/v1/cases/{number}/links/{id}" => call(
            M::DELETE,
            format!("/api/v1/cases/{case}/links/0"),
            None,
            true,
        ),
        "POST /api/v1/cases/{number}/merge" => call(
            M::POST,
            format!("/api/v1/cases/{case}/merge"),
            Some(json!({"into": case, "reason": "matrix"})),
            true,
        ),
        "POST /api/v1/cases/{number}/split" => call(
            M::POST,
            format!("/api/v1/cases/{case}/split"),
            Some(json!({"event_id": 999_999})),
            true,
        ),
        "GET /api/v1/organizations" => {
            call(M::GET, "/api/v1/organizations?q=CN-".into(), None, false)
        }
        "POST /api/v1/organizations" => call(
            M::POST,
            "/api/v1/organizations".into(),
            Some(json!({"customer_number": format!("M-{n}"), "name": "matrix"})),
            false,
        ),
        "GET /api/v1/organizations/{id}" => call(
            M::GET,
            format!("/api/v1/organizations/{}", o.org),
            None,
            true,
        ),
        "PATCH /api/v1/organizations/{id}" => call(
            M::PATCH,
            format!("/api/v1/organizations/{}", o.org),
            Some(json!({"notes": "matrix"})),
            true,
        ),
        "GET /api/v1/contacts" => call(
            M::GET,
            format!("/api/v1/contacts?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/contacts" => call(
            M::POST,
            "/api/v1/contacts".into(),
            Some(json!({"organization_id": o.org, "name": "matrix"})),
            false,
        ),
        "GET /api/v1/contacts/{id}" => call(
            M::GET,
            format!("/api/v1/contacts/{}", o.contact),
            None,
            true,
        ),
        "PATCH /api/v1/contacts/{id}" => call(
            M::PATCH,
            format!("/api/v1/contacts/{}", o.contact),
            Some(json!({"phone": "+86 10 1234"})),
            true,
        ),
        "GET /api/v1/products" => call(M::GET, "/api/v1/products".into(), None, false),
        "POST /api/v1/products" => call(
            M::POST,
            "/api/v1/products".into(),
            Some(json!({"name": format!("matrix {n}"), "vendor": "v"})),
            false,
        ),
        "GET /api/v1/products/{id}" => {
            call(M::GET, format!("/api/v1/products/{product}"), None, false)
        }
        "PATCH /api/v1/products/{id}" => call(
            M::PATCH,
            format!("/api/v1/products/{product}"),
            Some(json!({"vendor": "Huaxin"})),
            false,
        ),
        "POST /api/v1/products/{id}/versions" => call(
            M::POST,
            format!("/api/v1/products/{product}/versions"),
            Some(json!({"version": format!("m{n}")})),
            false,
        ),
        "PATCH /api/v1/products/{id}/versions/{version_id}" => call(
            M::PATCH,
            format!("/api/v1/products/{product}/versions/{version}"),
            Some(json!({"released_on": "2025-01-01"})),
            false,
        ),
        "POST /api/v1/auth/sign-in" => call(
            M::POST,
            "/api/v1/auth/sign-in".into(),
            Some(json!({"email": "user@cn-a.test", "password": "wrong password"})),
            false,
        ),
        "POST /api/v1/auth/sign-out" => call(M::POST, "/api/v1/auth/sign-out".into(), None, false),
        "GET /api/v1/me" => call(M::GET, "/api/v1/me".into(), None, false),
        "GET /api/v1/users" => call(
            M::GET,
            format!("/api/v1/users?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/users" => call(
            M::POST,
            "/api/v1/users".into(),
            Some(
                json!({"email": format!("m{n}@matrix.test"), "name": "matrix", "role": "customer_user", "organization_id": o.org}),
            ),
            false,
        ),
        "GET /api/v1/users/{id}" => call(M::GET, format!("/api/v1/users/{}", o.user), None, true),
        "PATCH /api/v1/users/{id}" => call(
            M::PATCH,
            format!("/api/v1/users/{}", o.user),
            Some(json!({"name": "matrix"})),
            true,
        ),
        "POST /api/v1/users/{id}/sign-out-everywhere" => call(
            M::POST,
            format!("/api/v1/users/{}/sign-out-everywhere", o.user),
            Some(json!({})),
            true,
        ),
        "GET /api/v1/tokens" => call(M::GET, "/api/v1/tokens".into(), None, false),
        "POST /api/v1/tokens" => call(
            M::POST,
            "/api/v1/tokens".into(),
            Some(json!({"label": "matrix"})),
            false,
        ),
        "DELETE /api/v1/tokens/{id}" => {
            call(M::DELETE, format!("/api/v1/tokens/{}", o.token), None, true)
        }
        "GET /api/v1/audit" => call(
            M::GET,
            "/api/v1/audit?object_type=organization".into(),
            None,
            false,
        ),
        "GET /api/v1/calendars" => call(M::GET, "/api/v1/calendars".into(), None, false),
        "POST /api/v1/calendars" => call(
            M::POST,
            "/api/v1/calendars".into(),
            Some(
                json!({"id": format!("matrix-{n}"), "name": "m", "time_zone": "UTC", "weekly": {}}),
            ),
            false,
        ),
        "GET /api/v1/calendars/{id}" => call(M::GET, "/api/v1/calendars/24x7".into(), None, false),
        "PUT /api/v1/calendars/{id}" => call(
            M::PUT,
            "/api/v1/calendars/24x7".into(),
            Some(
                json!({"name": "7×24 (round the clock) 全天候", "time_zone": "Asia/Shanghai",
                "weekly": {"mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"],
                    "thu": ["00:00-24:00"], "fri": ["00:00-24:00"], "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]}}),
            ),
            false,
        ),
        "POST /api/v1/calendars/{id}/import" => call(
            M::POST,
            "/api/v1/calendars/china-5x8/import".into(),
            Some(json!({"format": "csv", "content": "2027-01-01,,holiday,元旦,", "dry_run": true})),
            false,
        ),
        "GET /api/v1/calendars/{id}/days" => call(
            M::GET,
            "/api/v1/calendars/china-5x8/days?from=2026-09-28&to=2026-10-11".into(),
            None,
            false,
        ),
        "GET /api/v1/calendars/{id}/deadline" => call(
            M::GET,
            "/api/v1/calendars/china-5x8/deadline?start=2026-09-30T16:50:00%2B08:00&minutes=120"
                .into(),
            None,
            false,
        ),
        "GET /api/v1/plans" => call(M::GET, "/api/v1/plans".into(), None, false),
        "POST /api/v1/plans" => {
            let mut body =
                serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap();
            body["id"] = json!(format!("matrix-{n}"));
            call(M::POST, "/api/v1/plans".into(), Some(body), false)
        }
        "GET /api/v1/plans/{id}" => call(M::GET, "/api/v1/plans/standard".into(), None, false),
        "PUT /api/v1/plans/{id}" => call(
            M::PUT,
            "/api/v1/plans/standard".into(),
            Some(serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap()),
            false,
        ),
        "GET /api/v1/cases/{number}/sla" => {
            call(M::GET, format!("/api/v1/cases/{case}/sla"), None, true)
        }
        "GET /api/v1/sla/queue" => call(M::GET, "/api/v1/sla/queue".into(), None, false),
        "GET /api/v1/notifications" => call(M::GET, "/api/v1/notifications".into(), None, false),
        "GET /api/v1/mail/quarantine" => {
            call(M::GET, "/api/v1/mail/quarantine".into(), None, false)
        }
        "GET /api/v1/mail/refused" => call(M::GET, "/api/v1/mail/refused".into(), None, false),
        "GET /api/v1/mail/messages/{id}" => call(
            M::GET,
            format!("/api/v1/mail/messages/{}", o.mail),
            None,
            false,
        ),
        "GET /api/v1/mail/messages/{id}/raw" => call(
            M::GET,
            format!("/api/v1/mail/messages/{}/raw", o.mail),
            None,
            false,
        ),
        "POST /api/v1/mail/messages/{id}/release" => call(
            M::POST,
            format!("/api/v1/mail/messages/{}/release", o.mail),
            Some(json!({"case_number": case})),
            false,
        ),
        "POST /api/v1/mail/messages/{id}/open" => call(
            M::POST,
            format!("/api/v1/mail/messages/{}/open", o.mail),
            Some(json!({"organization_id": o.org})),
            false,
        ),
        "POST /api/v1/mail/messages/{id}/discard" => call(
            M::POST,
            format!("/api/v1/mail/messages/{}/discard", o.mail),
            Some(json!({"reason": "matrix"})),
            false,
        ),
        "GET /api/v1/mail-templates" => call(M::GET, "/api/v1/mail-templates".into(), None, false),
        "GET /api/v1/mail-templates/{kind}/{lang}" => call(
            M::GET,
            "/api/v1/mail-templates/case_opened/en".into(),
            None,
            false,
        ),
        "PUT /api/v1/mail-templates/{kind}/{lang}" => call(
            M::PUT,
            "/api/v1/mail-templates/status_changed/en".into(),
            Some(
                json!({"subject": "Case {{ case.number }}", "body": "{{ change.to }}", "version": 0}),
            ),
            false,
        ),
        "DELETE /api/v1/mail-templates/{kind}/{lang}" => call(
            M::DELETE,
            "/api/v1/mail-templates/status_changed/en".into(),
            None,
            false,
        ),
        "POST /api/v1/notifications/read" => call(
            M::POST,
            "/api/v1/notifications/read".into(),
            Some(json!({"ids": [1, 2, 3]})),
            false,
        ),
        "GET /api/v1/sites" => call(
            M::GET,
            format!("/api/v1/sites?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/sites" => call(
            M::POST,
            "/api/v1/sites".into(),
            Some(
                json!({"organization_id": o.org, "code": format!("M-SITE-{n}"), "name": "matrix"}),
            ),
            false,
        ),
        "GET /api/v1/sites/{id}" => call(M::GET, format!("/api/v1/sites/{}", o.site), None, true),
        "PATCH /api/v1/sites/{id}" => call(
            M::PATCH,
            format!("/api/v1/sites/{}", o.site),
            Some(json!({"notes": "matrix"})),
            true,
        ),
        "GET /api/v1/units" => call(
            M::GET,
            format!("/api/v1/units?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/units" => call(
            M::POST,
            "/api/v1/units".into(),
            Some(
                json!({"organization_id": o.org, "serial_number": format!("M-SN-{n}"), "product_id": o.product}),
            ),
            false,
        ),
        "GET /api/v1/units/{id}" => call(M::GET, format!("/api/v1/units/{}", o.unit), None, true),
        "PATCH /api/v1/units/{id}" => call(
            M::PATCH,
            format!("/api/v1/units/{}", o.unit),
            Some(json!({"notes": format!("matrix {n}")})),
            true,
        ),
        "GET /api/v1/units/{id}/history" => call(
            M::GET,
            format!("/api/v1/units/{}/history", o.unit),
            None,
            true,
        ),
        "GET /api/v1/contracts" => call(
            M::GET,
            format!("/api/v1/contracts?organization={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/contracts" => call(
            M::POST,
            "/api/v1/contracts".into(),
            Some(
                json!({"contract_number": format!("M-HT-{n}"), "organization_id": o.org, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2026-12-31", "precedence": n}),
            ),
            false,
        ),
        "GET /api/v1/contracts/{id}" => call(
            M::GET,
            format!("/api/v1/contracts/{}", o.contract),
            None,
            true,
        ),
        "PATCH /api/v1/contracts/{id}" => call(
            M::PATCH,
            format!("/api/v1/contracts/{}", o.contract),
            Some(json!({"notes": format!("matrix {n}")})),
            true,
        ),
        "GET /api/v1/products/{id}/lifecycle" => call(
            M::GET,
            format!("/api/v1/products/{product}/lifecycle"),
            None,
            false,
        ),
        "GET /api/v1/entitlements/lookup" => call(
            M::GET,
            format!(
                "/api/v1/entitlements/lookup?contract_number={}",
                o.contract_number
            ),
            None,
            false,
        ),
        "POST /api/v1/cases/{number}/entitlement/override" => call(
            M::POST,
            format!("/api/v1/cases/{case}/entitlement/override"),
            Some(json!({"reason": "matrix", "plan": "standard"})),
            true,
        ),
        "POST /api/v1/cases/{number}/entitlement/recheck" => call(
            M::POST,
            format!("/api/v1/cases/{case}/entitlement/recheck"),
            None,
            true,
        ),
        "POST /api/v1/call-home/events" => call(
            M::POST,
            "/api/v1/call-home/events".into(),
            Some(
                json!({"idempotency_key": "matrix", "type": "heartbeat", "serial_number": "SN-1",
                "occurred_at": "2026-11-29T08:00:00Z"}),
            ),
            false,
        ),
        "GET /api/v1/call-home/rules" => {
            call(M::GET, "/api/v1/call-home/rules".into(), None, false)
        }
        "GET /api/v1/search" => call(
            M::GET,
            format!(
                "/api/v1/search?q={INTERNAL_CANARY}%20{}%20{}",
                o.customer_number, o.case
            ),
            None,
            false,
        ),
        "GET /api/v1/search/deflections" => {
            call(M::GET, "/api/v1/search/deflections".into(), None, false)
        }
        "POST /api/v1/search/deflections" => call(
            M::POST,
            "/api/v1/search/deflections".into(),
            Some(json!({"query": "数据库连接失败"})),
            false,
        ),
        "GET /api/v1/call-home/refusals" => call(
            M::GET,
            "/api/v1/call-home/refusals?days=2".into(),
            None,
            false,
        ),
        "POST /api/v1/call-home/rules" => call(
            M::POST,
            "/api/v1/call-home/rules".into(),
            Some(json!({"event_code": format!("M{n}*"), "action": "record"})),
            false,
        ),
        "PUT /api/v1/call-home/rules/{id}" => call(
            M::PUT,
            "/api/v1/call-home/rules/1".into(),
            Some(json!({"event_code": format!("R{n}"), "action": "record", "version": 1})),
            false,
        ),
        "DELETE /api/v1/call-home/rules/{id}" => call(
            M::DELETE,
            "/api/v1/call-home/rules/999999".into(),
            None,
            false,
        ),
        "GET /api/v1/call-home/keys" => call(
            M::GET,
            format!("/api/v1/call-home/keys?organization_id={}", o.org),
            None,
            false,
        ),
        "POST /api/v1/call-home/keys" => call(
            M::POST,
            "/api/v1/call-home/keys".into(),
            Some(json!({"organization": o.customer_number, "label": format!("matrix {n}")})),
            false,
        ),
        "POST /api/v1/call-home/keys/{id}/rotate" => call(
            M::POST,
            format!("/api/v1/call-home/keys/{}/rotate", o.key),
            Some(json!({"grace_hours": 1})),
            false,
        ),
        "POST /api/v1/call-home/keys/{id}/revoke" => call(
            M::POST,
            format!("/api/v1/call-home/keys/{}/revoke", o.key),
            None,
            false,
        ),
        "GET /api/v1/articles" => call(M::GET, "/api/v1/articles?sort=solved".into(), None, false),
        "POST /api/v1/articles" => call(
            M::POST,
            "/api/v1/articles".into(),
            Some(json!({"texts": [{"language": "zh-CN", "title": format!("matrix {n}")}]})),
            false,
        ),
        "GET /api/v1/articles/{id}" => call(
            M::GET,
            format!("/api/v1/articles/{}", o.article),
            None,
            false,
        ),
        // A stale version: staff get 409 and the article stays published for the next caller.
        "PATCH /api/v1/articles/{id}" => call(
            M::PATCH,
            format!("/api/v1/articles/{}", o.article),
            Some(json!({"tags": ["matrix"], "version": 0})),
            false,
        ),
        "POST /api/v1/articles/{id}/submit"
        | "POST /api/v1/articles/{id}/publish"
        | "POST /api/v1/articles/{id}/retire"
        | "POST /api/v1/articles/{id}/revise" => {
            let step = route.rsplit('/').next().unwrap_or_default();
            call(
                M::POST,
                format!("/api/v1/articles/{}/{step}", o.article),
                Some(json!({"version": 0})),
                false,
            )
        }
        "POST /api/v1/articles/{id}/reject" => call(
            M::POST,
            format!("/api/v1/articles/{}/reject", o.article),
            Some(json!({"note": "matrix", "version": 0})),
            false,
        ),
        "POST /api/v1/articles/{id}/feedback" => call(
            M::POST,
            format!("/api/v1/articles/{}/feedback", o.article),
            Some(json!({"solved": n.is_multiple_of(2)})),
            false,
        ),
        "POST /api/v1/cases/{number}/article" => {
            call(M::POST, format!("/api/v1/cases/{case}/article"), None, true)
        }
        "GET /api/v1/cases/{number}/articles" => {
            call(M::GET, format!("/api/v1/cases/{case}/articles"), None, true)
        }
        "GET /api/v1/contacts/{id}/subscriptions" => call(
            M::GET,
            format!("/api/v1/contacts/{}/subscriptions", o.contact),
            None,
            true,
        ),
        "PUT /api/v1/contacts/{id}/subscriptions" => call(
            M::PUT,
            format!("/api/v1/contacts/{}/subscriptions", o.contact),
            Some(json!({"product_ids": [product]})),
            true,
        ),
        _ => return desk_tools(route, o, n),
    })
}
