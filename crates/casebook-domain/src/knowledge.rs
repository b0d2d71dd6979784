//! The knowledge base (知识库 / technotes): articles with a text per language (title, symptom,
//! cause, resolution, Markdown body), the products and versions they apply to, tags, who may read
//! them, and their review lifecycle:
//!
//! ```text
//! draft ──submit──▶ in_review ──publish (another member of staff)──▶ published ──retire──▶ retired
//!   ▲                  │ reject (with a note) / edit                      │                   │
//!   └──────────────────┘◀───────────────────── revise ───────────────────┴───────────────────┘
//! ```
//!
//! Four eyes: nobody who wrote, changed or submitted the text under review may publish or reject
//! it — not its author, not whoever last changed or submitted it, and not anyone who changed or
//! submitted it since it was last published (`Article::writers`).
//!
//! Customers read only published articles whose visibility is `customers` or `public`; for them
//! every other article does not exist. `redact` removes a customer's names from text taken
//! from one of their cases.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::case::NamedRef;
use crate::case_number::CaseNumber;
use crate::error::ValidationError;
use crate::ids::{ArticleId, ContactId, ProductId, UserId};
use crate::text::Notes;

pub mod draft;
pub mod redact;

pub use draft::{
    ArticleContent, ArticleDraft, ArticlePatch, ArticleProductDraft, ArticleTextDraft, Tag,
};

/// Where an article stands in its review lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written; only staff see it.
    Draft,
    /// Submitted for review by another member of staff.
    InReview,
    /// Reviewed and published.
    Published,
    /// No longer valid; kept for the record.
    Retired,
}

impl Named for ArticleStatus {
    const WHAT: &'static str = "article status";
    const ALL: &'static [Self] = &[Self::Draft, Self::InReview, Self::Published, Self::Retired];
    fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Published => "published",
            Self::Retired => "retired",
        }
    }
}

/// Who may read a published article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleVisibility {
    /// Staff only.
    Internal,
    /// Signed-in customers and staff.
    Customers,
    /// Everyone, also without signing in.
    Public,
}

impl Named for ArticleVisibility {
    const WHAT: &'static str = "article visibility";
    const ALL: &'static [Self] = &[Self::Internal, Self::Customers, Self::Public];
    fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Customers => "customers",
            Self::Public => "public",
        }
    }
}

/// The language of an article's text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Language {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Named for Language {
    const WHAT: &'static str = "language";
    const ALL: &'static [Self] = &[Self::ZhCn, Self::En];
    fn as_str(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }
}

impl Language {
    /// Chinese if the text has a CJK character, else English.
    pub fn detect(text: &str) -> Language {
        let cjk = |c: char| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F);
        if text.chars().any(cjk) {
            Language::ZhCn
        } else {
            Language::En
        }
    }
}

macro_rules! named_text {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                <Self as Named>::parse(raw)
            }
        }
    )*};
}

named_text!(ArticleStatus, ArticleVisibility, Language);

/// Whether customers may read an article in this status and visibility.
pub fn readable_by_customers(status: ArticleStatus, visibility: ArticleVisibility) -> bool {
    status == ArticleStatus::Published && visibility != ArticleVisibility::Internal
}

/// Whether someone who is not signed in may read an article in this status and visibility.
pub fn readable_by_public(status: ArticleStatus, visibility: ArticleVisibility) -> bool {
    status == ArticleStatus::Published && visibility == ArticleVisibility::Public
}

/// The text of an article in one language.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ArticleText {
    /// `zh-CN` or `en`.
    pub language: Language,
    /// Title.
    pub title: String,
    /// What the customer sees: messages, behaviour, when it happens.
    pub symptom: String,
    /// Why it happens.
    pub cause: String,
    /// What solves it.
    pub resolution: String,
    /// More, in Markdown.
    pub body: String,
    /// The body rendered to sanitized HTML (filled in when the article is read).
    pub body_html: String,
}

/// A product an article applies to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ArticleProduct {
    /// The product.
    pub product: NamedRef<ProductId>,
    /// The versions it applies to; empty: every version.
    pub versions: Vec<String>,
}

/// A knowledge article as shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Article {
    /// Id.
    pub id: ArticleId,
    /// Lifecycle status.
    pub status: ArticleStatus,
    /// Who may read it once published.
    pub visibility: ArticleVisibility,
    /// A critical-issue alert (关键问题预警), mailed to affected customers when published.
    pub alert: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// The texts, one per language.
    pub texts: Vec<ArticleText>,
    /// The products (and versions) it applies to.
    pub products: Vec<ArticleProduct>,
    /// The cases it grew from or answers (those the reader may see).
    pub cases: Vec<CaseNumber>,
    /// Who wrote it.
    pub author: NamedRef<UserId>,
    /// Who last wrote, changed or submitted its text.
    pub edited_by: Option<NamedRef<UserId>>,
    /// Everyone who wrote, changed or submitted its text since it was last published; none of
    /// them may review it.
    pub contributors: Vec<UserId>,
    /// Who last reviewed it.
    pub reviewer: Option<NamedRef<UserId>>,
    /// The reviewer's note on a rejection (staff only).
    pub review_note: Option<String>,
    /// When it was last submitted for review.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    /// When it was last approved.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<Timestamp>,
    /// When it was last published.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    /// When it was retired.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<Timestamp>,
    /// When its alert was last mailed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub alert_sent_at: Option<Timestamp>,
    /// How many readers said it solved their problem.
    pub solved_count: i64,
    /// How many said it did not.
    pub not_solved_count: i64,
    /// The reader's own answer, if they gave one.
    pub my_feedback: Option<bool>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed (content or status).
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Send it back as `version` to detect concurrent edits.
    pub version: i64,
}

impl Article {
    /// Its text in `language`, else its first.
    pub fn text_in(&self, language: Language) -> Option<&ArticleText> {
        self.texts
            .iter()
            .find(|t| t.language == language)
            .or(self.texts.first())
    }

    /// Who may not publish or reject the article, having written or changed the text under
    /// review: its author, whoever last changed or submitted it, and everyone who changed or
    /// submitted it since it was last published.
    pub fn writers(&self) -> Vec<UserId> {
        let mut writers = vec![self.author.id];
        writers.extend(self.edited_by.as_ref().map(|e| e.id));
        writers.extend(self.contributors.iter().copied());
        writers.sort_unstable();
        writers.dedup();
        writers
    }
}

/// A title in one language, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ArticleTitle {
    /// `zh-CN` or `en`.
    pub language: Language,
    /// Title.
    pub title: String,
}

/// An article in a list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ArticleSummary {
    /// Id.
    pub id: ArticleId,
    /// Lifecycle status.
    pub status: ArticleStatus,
    /// Who may read it once published.
    pub visibility: ArticleVisibility,
    /// A critical-issue alert.
    pub alert: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// Its titles, one per language.
    pub titles: Vec<ArticleTitle>,
    /// The products it applies to.
    pub products: Vec<NamedRef<ProductId>>,
    /// How many readers said it solved their problem.
    pub solved_count: i64,
    /// How many said it did not.
    pub not_solved_count: i64,
    /// When it was last published.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version.
    pub version: i64,
}

/// A reader's answer to "did this solve your problem?" (one per reader; a new answer
/// replaces theirs).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleFeedback {
    /// Whether the article solved the problem.
    pub solved: bool,
    /// What was missing or wrong, at most 4,000 characters.
    #[serde(default)]
    pub comment: Notes,
}

/// The products a contact receives critical-issue alerts for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Subscriptions {
    /// The contact.
    pub contact_id: ContactId,
    /// The products, by name.
    pub products: Vec<NamedRef<ProductId>>,
}

/// The products a contact subscribes to from now on (all of them).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionsEdit {
    /// Product ids, at most 200.
    pub product_ids: Vec<ProductId>,
}

/// A step of the review lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStep {
    /// draft → in_review, by staff.
    Submit,
    /// in_review → published, by staff who did not write, change or submit the text.
    Publish,
    /// in_review → draft with a note, by staff who did not write, change or submit the text.
    Reject,
    /// published → retired.
    Retire,
    /// published or retired → draft, to be changed and reviewed again.
    Revise,
}

impl ReviewStep {
    /// Stable name (used in the audit log).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Publish => "publish",
            Self::Reject => "reject",
            Self::Retire => "retire",
            Self::Revise => "revise",
        }
    }

    /// What the step does, as in "cannot be …".
    pub fn participle(self) -> &'static str {
        match self {
            Self::Submit => "submitted",
            Self::Publish => "published",
            Self::Reject => "rejected",
            Self::Retire => "retired",
            Self::Revise => "revised",
        }
    }

    /// The statuses the step starts from, for messages.
    pub fn starts_from(self) -> &'static str {
        match self {
            Self::Submit => "draft",
            Self::Publish | Self::Reject => "in_review",
            Self::Retire => "published",
            Self::Revise => "published or retired",
        }
    }

    /// Whether it is the review itself, which nobody who wrote, changed or submitted the text
    /// may do.
    pub fn is_review(self) -> bool {
        matches!(self, Self::Publish | Self::Reject)
    }
}

impl fmt::Display for ReviewStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a lifecycle step or an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    /// The step does not start from this status.
    #[error("an article that is {from} cannot be {}; only an article that is {} can", .step.participle(), .step.starts_from())]
    NotAllowed {
        /// Current status.
        from: ArticleStatus,
        /// The step asked for.
        step: ReviewStep,
    },
    /// Someone who wrote, changed or submitted the text tried to publish or reject it (the code
    /// keeps its first name, `reviewer_is_author`).
    #[error(
        "the reviewer must be someone who did not write or change the text; whoever wrote, \
         edited or submitted this article cannot publish or reject it"
    )]
    ReviewerIsAuthor,
    /// Only drafts and articles in review are edited.
    #[error("an article that is {status} cannot be edited; revise it first")]
    NotEditable {
        /// Current status.
        status: ArticleStatus,
    },
}

impl ArticleError {
    /// A stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } => "article_transition_not_allowed",
            Self::ReviewerIsAuthor => "reviewer_is_author",
            Self::NotEditable { .. } => "article_not_editable",
        }
    }
}

/// The status after a review step by `by` on an article that is `from`; `writers` wrote,
/// changed or submitted its text (`Article::writers`), so none of them may publish or reject it.
pub fn review(
    from: ArticleStatus,
    step: ReviewStep,
    writers: &[UserId],
    by: UserId,
) -> Result<ArticleStatus, ArticleError> {
    use ArticleStatus::*;
    let (starts, to): (&[ArticleStatus], ArticleStatus) = match step {
        ReviewStep::Submit => (&[Draft], InReview),
        ReviewStep::Publish => (&[InReview], Published),
        ReviewStep::Reject => (&[InReview], Draft),
        ReviewStep::Retire => (&[Published], Retired),
        ReviewStep::Revise => (&[Published, Retired], Draft),
    };
    if !starts.contains(&from) {
        return Err(ArticleError::NotAllowed { from, step });
    }
    if step.is_review() && writers.contains(&by) {
        return Err(ArticleError::ReviewerIsAuthor);
    }
    Ok(to)
}

/// The status after an edit: drafts stay drafts, an article in review goes back to draft.
pub fn after_edit(from: ArticleStatus) -> Result<ArticleStatus, ArticleError> {
    match from {
        ArticleStatus::Draft | ArticleStatus::InReview => Ok(ArticleStatus::Draft),
        status => Err(ArticleError::NotEditable { status }),
    }
}

#[cfg(test)]
mod tests;
