//! Canned replies and macros (常用回复与宏): a reply template has a name, a text in Chinese and
//! one in English with placeholders (the case number, the contact's name, the next deadline …),
//! and whether it is a public reply or an internal note. A template that also names changes to
//! the case (status, severity, tier, taking the case) is a macro: applying it posts the text and
//! makes the changes in one step. Shared templates belong to the desk; personal ones to the
//! engineer who wrote them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Timestamp;
use crate::attributes::{Severity, Status, Tier};
use crate::ids::UserId;
use crate::policy::Visibility;
use crate::text::{Line, Paragraphs};

/// A template's name.
pub type TemplateName = Line<100>;
/// A template's text (MiniJinja; at most 20,000 characters).
pub type TemplateText = Paragraphs<20_000>;

/// What applying a macro changes on the case besides posting its text. Read only from a JSON
/// object (never from an array, which serde would otherwise take for a struct).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MacroChanges {
    /// Move the case to this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Set this severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Move the case to this tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Make the person applying it the case's owner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub take: bool,
}

/// The fields of [`MacroChanges`] as they are read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeFields {
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    severity: Option<Severity>,
    #[serde(default)]
    tier: Option<Tier>,
    #[serde(default)]
    take: bool,
}

impl<'de> Deserialize<'de> for MacroChanges {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = MacroChanges;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of changes")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<MacroChanges, A::Error> {
                let f =
                    ChangeFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(MacroChanges {
                    status: f.status,
                    severity: f.severity,
                    tier: f.tier,
                    take: f.take,
                })
            }
        }
        d.deserialize_map(Object)
    }
}

impl MacroChanges {
    /// Whether applying changes nothing but posting the text.
    pub fn is_empty(&self) -> bool {
        *self == MacroChanges::default()
    }
}

/// A reply template (or a macro, when it has changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReplyTemplate {
    /// Its id.
    pub id: i64,
    /// Its name, as the reply box lists it.
    pub name: TemplateName,
    /// `None` for a shared template; the engineer's own otherwise.
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    /// A public reply or an internal note.
    pub visibility: Visibility,
    /// The Chinese text.
    pub body_zh: TemplateText,
    /// The English text.
    pub body_en: TemplateText,
    /// What applying it changes on the case (a macro when not empty).
    pub changes: MacroChanges,
    /// Grows with each change.
    pub version: i64,
    /// When it was last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A new template.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplateDraft {
    /// Its name.
    pub name: TemplateName,
    /// Shared with the whole desk (managers and admins), or the author's own (default).
    #[serde(default)]
    pub shared: bool,
    /// `public` (default) or `internal`.
    pub visibility: Option<Visibility>,
    /// The Chinese text.
    pub body_zh: TemplateText,
    /// The English text.
    pub body_en: TemplateText,
    /// What applying it changes on the case.
    #[serde(default)]
    pub changes: MacroChanges,
}

/// Changes to a template.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplatePatch {
    /// A new name.
    pub name: Option<TemplateName>,
    /// A public reply or an internal note.
    pub visibility: Option<Visibility>,
    /// A new Chinese text.
    pub body_zh: Option<TemplateText>,
    /// A new English text.
    pub body_en: Option<TemplateText>,
    /// New changes (replacing the old ones).
    pub changes: Option<MacroChanges>,
    /// The version you last read.
    pub version: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_macro_names_changes() {
        let draft: ReplyTemplateDraft = serde_json::from_value(serde_json::json!({
            "name": "请求日志", "body_zh": "您好 {{ contact.name }}", "body_en": "Hello",
            "changes": {"status": "awaiting_customer", "take": true}
        }))
        .unwrap();
        assert_eq!(draft.changes.status, Some(Status::AwaitingCustomer));
        assert!(draft.changes.take && !draft.changes.is_empty() && !draft.shared);
        assert!(MacroChanges::default().is_empty());
        let unknown = serde_json::from_value::<MacroChanges>(serde_json::json!({"owner": 1}));
        assert!(unknown.is_err());
        let listed = serde_json::from_value::<MacroChanges>(serde_json::json!([null, null]));
        assert!(listed.is_err(), "an array is not an object of changes");
    }
}
