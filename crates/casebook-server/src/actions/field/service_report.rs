//! The service report (服务报告单) of a signed visit: one self-contained HTML page in the
//! customer's language (its styles inline, the signature inline as the re-encoded SVG or the
//! checked PNG), made once at signing and kept on the case as an attachment.

use askama::Template;
use casebook_domain::Timestamp;
use casebook_domain::case::Case;
use casebook_domain::field::signature::SignMethod;
use casebook_domain::field::visit::Visit;

use crate::actions::{ActionError, ActionResult};
use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "reports/service_report.html")]
struct Report<'a> {
    lang: Lang,
    desk: &'a str,
    number: String,
    case_number: &'a str,
    case_title: &'a str,
    customer: &'a str,
    site: String,
    engineers: String,
    arrived: String,
    finished: String,
    onsite_minutes: i64,
    travel_minutes: i64,
    work_done: &'a str,
    /// Part, unit, serial in, serial out.
    parts: Vec<(String, String, String, String)>,
    signer: &'a str,
    signed_at: String,
    method: String,
    svg: &'a str,
    png: &'a str,
}

/// What the report says about who signed and how.
pub(super) struct SignedBy<'a> {
    /// The signer's name.
    pub name: &'a str,
    /// When.
    pub at: Timestamp,
    /// How.
    pub method: SignMethod,
    /// The kept drawing: SVG text, or a PNG data URL.
    pub drawing: Option<&'a str>,
    /// Where the code went (for a code).
    pub code_sent_to: Option<&'a str>,
}

/// The report's number: `SR-<case>-<visit>`.
pub(super) fn number(visit: &Visit) -> String {
    format!("SR-{}-{}", visit.case_number, visit.id)
}

/// Renders the report of a completed visit in `lang`, times in `tz`.
pub(super) fn render(
    (lang, tz, desk): (Lang, &jiff::tz::TimeZone, &str),
    case: &Case,
    visit: &Visit,
    signed: &SignedBy<'_>,
) -> ActionResult<String> {
    let local = |t: Option<Timestamp>| {
        t.map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
    };
    let drawing = signed.drawing.unwrap_or_default();
    let (svg, png) = if drawing.starts_with("data:image/png") {
        ("", drawing)
    } else {
        (drawing, "")
    };
    let method = match signed.method {
        SignMethod::Drawn => lang.t("report-method-drawn"),
        SignMethod::Code => lang.t1(
            "report-method-code",
            "to",
            signed.code_sent_to.unwrap_or_default(),
        ),
    };
    let report = Report {
        lang,
        desk,
        number: number(visit),
        case_number: &visit.case_number,
        case_title: &case.title,
        customer: &case.organization.name,
        site: visit
            .site
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        engineers: visit
            .engineers
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        arrived: local(visit.checked_in_at),
        finished: local(visit.ended_at),
        onsite_minutes: visit.onsite_minutes.unwrap_or(0),
        travel_minutes: visit.travel_minutes,
        work_done: &visit.work_done,
        parts: visit
            .used
            .iter()
            .map(|u| {
                (
                    format!("{} {}", u.part_number, u.description),
                    u.unit.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
                    u.new_serial.clone().unwrap_or_default(),
                    u.old_serial.clone().unwrap_or_default(),
                )
            })
            .collect(),
        signer: signed.name,
        signed_at: local(Some(signed.at)),
        method,
        svg,
        png,
    };
    report
        .render()
        .map_err(|e| ActionError::Internal(format!("the service report: {e}")))
}
