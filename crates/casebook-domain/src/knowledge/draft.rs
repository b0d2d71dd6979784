//! What staff write: the new article and the changes to one, checked against the product
//! catalogue into [`ArticleContent`], the form the store writes. Every refusal names its field
//! (`texts[1].language`, `products[0].versions[2]`, …).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Article, ArticleProduct, ArticleText, ArticleVisibility, Language};
use crate::case::NamedRef;
use crate::directory::Product;
use crate::error::{FieldError, ValidationError};
use crate::ids::ProductId;
use crate::text::{Line, LongText, ShortText, Title};

/// The most tags an article has.
pub const MAX_TAGS: usize = 20;
/// The most products an article names.
pub const MAX_PRODUCTS: usize = 50;
/// The most versions named per product.
pub const MAX_VERSIONS: usize = 100;

/// A tag: 1–40 characters, one line, lower-cased, without `"`, `\` or `,`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    /// Parses a tag.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let line = Line::<40>::parse(raw)?;
        if line.as_str().contains(['"', '\\', ',']) {
            return Err(ValidationError::new(
                "invalid",
                "a tag may not contain '\"', '\\' or ','",
            ));
        }
        Ok(Tag(line.as_str().to_lowercase()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Tag::parse(&value)
    }
}
impl From<Tag> for String {
    fn from(value: Tag) -> String {
        value.0
    }
}
impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl utoipa::PartialSchema for Tag {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        Line::<40>::schema()
    }
}
impl utoipa::ToSchema for Tag {}

/// The text of an article in one language, as written.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleTextDraft {
    /// `zh-CN` or `en`.
    pub language: Language,
    /// Title, at most 200 characters.
    pub title: Title,
    /// Symptom.
    #[serde(default)]
    pub symptom: LongText,
    /// Cause.
    #[serde(default)]
    pub cause: LongText,
    /// Resolution.
    #[serde(default)]
    pub resolution: LongText,
    /// Body in Markdown, at most 100,000 characters.
    #[serde(default)]
    pub body: LongText,
}

/// A product (and versions) an article applies to, as written.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleProductDraft {
    /// The product.
    pub product_id: ProductId,
    /// Versions from the product's catalogue; empty or left out: every version.
    #[serde(default)]
    pub versions: Vec<ShortText>,
}

fn internal() -> ArticleVisibility {
    ArticleVisibility::Internal
}

/// A new article.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleDraft {
    /// Who may read it once published (default `internal`).
    #[serde(default = "internal")]
    pub visibility: ArticleVisibility,
    /// A critical-issue alert, mailed at publication (needs visibility `customers` or `public`).
    #[serde(default)]
    pub alert: bool,
    /// Tags, at most 20 of at most 40 characters.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The texts: at least one, at most one per language.
    pub texts: Vec<ArticleTextDraft>,
    /// The products it applies to.
    #[serde(default)]
    pub products: Vec<ArticleProductDraft>,
}

/// Changes to an article in draft or in review (an article in review goes back to draft).
/// Lists given replace the stored ones.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    /// New visibility.
    pub visibility: Option<ArticleVisibility>,
    /// Alert or not.
    pub alert: Option<bool>,
    /// New tags.
    pub tags: Option<Vec<Tag>>,
    /// New texts (all of them).
    pub texts: Option<Vec<ArticleTextDraft>>,
    /// New products (all of them).
    pub products: Option<Vec<ArticleProductDraft>>,
    /// The version you last read; a mismatch is refused with 409.
    pub version: i64,
}

/// What an article says and applies to, checked: what the store writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleContent {
    /// Visibility.
    pub visibility: ArticleVisibility,
    /// Alert.
    pub alert: bool,
    /// Tags, distinct.
    pub tags: Vec<String>,
    /// Texts, one per language, in language order (`body_html` empty).
    pub texts: Vec<ArticleText>,
    /// Products with the product's name, distinct.
    pub products: Vec<ArticleProduct>,
}

impl Article {
    /// What it says and applies to.
    pub fn content(&self) -> ArticleContent {
        ArticleContent {
            visibility: self.visibility,
            alert: self.alert,
            tags: self.tags.clone(),
            texts: self.texts.clone(),
            products: self.products.clone(),
        }
    }
}

fn check_tags(tags: Vec<Tag>, errors: &mut Vec<FieldError>) -> Vec<String> {
    if tags.len() > MAX_TAGS {
        errors.push(FieldError::new(
            "tags",
            "too_many",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        if !out.iter().any(|t| t == tag.as_str()) {
            out.push(tag.0);
        }
    }
    out
}

fn check_texts(texts: Vec<ArticleTextDraft>, errors: &mut Vec<FieldError>) -> Vec<ArticleText> {
    if texts.is_empty() {
        errors.push(FieldError::new(
            "texts",
            "required",
            "an article needs a text in at least one language",
        ));
    }
    let mut out: Vec<ArticleText> = Vec::new();
    for (i, t) in texts.into_iter().enumerate() {
        if out.iter().any(|o| o.language == t.language) {
            errors.push(FieldError::new(
                format!("texts[{i}].language"),
                "duplicate",
                format!("there is already a text in {}", t.language),
            ));
            continue;
        }
        out.push(ArticleText {
            language: t.language,
            title: t.title.into(),
            symptom: t.symptom.into(),
            cause: t.cause.into(),
            resolution: t.resolution.into(),
            body: t.body.into(),
            body_html: String::new(),
        });
    }
    out.sort_by_key(|t| t.language);
    out
}

/// Checks the products against the catalogue (`catalogue` holds at least the products named).
fn check_products(
    products: Vec<ArticleProductDraft>,
    catalogue: &[Product],
    errors: &mut Vec<FieldError>,
) -> Vec<ArticleProduct> {
    if products.len() > MAX_PRODUCTS {
        errors.push(FieldError::new(
            "products",
            "too_many",
            format!("at most {MAX_PRODUCTS} products"),
        ));
    }
    let mut out: Vec<ArticleProduct> = Vec::new();
    for (i, p) in products.into_iter().enumerate() {
        let Some(product) = catalogue.iter().find(|c| c.id == p.product_id) else {
            errors.push(FieldError::new(
                format!("products[{i}].product_id"),
                "not_found",
                format!("no product {}", p.product_id),
            ));
            continue;
        };
        if out.iter().any(|o| o.product.id == p.product_id) {
            errors.push(FieldError::new(
                format!("products[{i}].product_id"),
                "duplicate",
                format!("{} is named twice", product.name),
            ));
            continue;
        }
        if p.versions.len() > MAX_VERSIONS {
            errors.push(FieldError::new(
                format!("products[{i}].versions"),
                "too_many",
                format!("at most {MAX_VERSIONS} versions"),
            ));
        }
        let mut versions: Vec<String> = Vec::new();
        for (j, v) in p.versions.iter().enumerate() {
            if !product.versions.iter().any(|k| k.version == v.as_str()) {
                errors.push(FieldError::new(
                    format!("products[{i}].versions[{j}]"),
                    "not_found",
                    format!("{} has no version {v}", product.name),
                ));
            } else if !versions.iter().any(|k| k == v.as_str()) {
                versions.push(v.as_str().to_owned());
            }
        }
        out.push(ArticleProduct {
            product: NamedRef {
                id: product.id,
                name: product.name.clone(),
            },
            versions,
        });
    }
    out
}

fn check_alert(alert: bool, visibility: ArticleVisibility, errors: &mut Vec<FieldError>) {
    if alert && visibility == ArticleVisibility::Internal {
        errors.push(FieldError::new(
            "alert",
            "invalid",
            "an alert is mailed to customers: give it visibility customers or public",
        ));
    }
}

fn done(
    content: ArticleContent,
    errors: Vec<FieldError>,
) -> Result<ArticleContent, Vec<FieldError>> {
    if errors.is_empty() {
        Ok(content)
    } else {
        Err(errors)
    }
}

impl ArticleDraft {
    /// Checks a new article; `catalogue` holds the products it names (those that exist).
    pub fn validate(self, catalogue: &[Product]) -> Result<ArticleContent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let tags = check_tags(self.tags, &mut errors);
        let texts = check_texts(self.texts, &mut errors);
        let products = check_products(self.products, catalogue, &mut errors);
        check_alert(self.alert, self.visibility, &mut errors);
        let content = ArticleContent {
            visibility: self.visibility,
            alert: self.alert,
            tags,
            texts,
            products,
        };
        done(content, errors)
    }

    /// The products it names, to look up.
    pub fn product_ids(&self) -> Vec<ProductId> {
        self.products.iter().map(|p| p.product_id).collect()
    }
}

impl ArticlePatch {
    /// Applies the changes to `current`; `catalogue` holds the products the patch names.
    pub fn apply(
        self,
        current: ArticleContent,
        catalogue: &[Product],
    ) -> Result<ArticleContent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut next = current;
        if let Some(visibility) = self.visibility {
            next.visibility = visibility;
        }
        if let Some(alert) = self.alert {
            next.alert = alert;
        }
        if let Some(tags) = self.tags {
            next.tags = check_tags(tags, &mut errors);
        }
        if let Some(texts) = self.texts {
            next.texts = check_texts(texts, &mut errors);
        }
        if let Some(products) = self.products {
            next.products = check_products(products, catalogue, &mut errors);
        }
        check_alert(next.alert, next.visibility, &mut errors);
        done(next, errors)
    }

    /// The products it names, to look up.
    pub fn product_ids(&self) -> Vec<ProductId> {
        self.products
            .iter()
            .flatten()
            .map(|p| p.product_id)
            .collect()
    }
}
