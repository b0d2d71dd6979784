//! Typed identifiers: an `Id<Organization>` cannot be passed where an `Id<Case>` is expected.
//!
//! Ids are positive 64-bit integers assigned by the database. They travel as JSON numbers.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Marker for organisations (客户).
#[derive(Debug)]
pub enum Organization {}
/// Marker for contacts (联系人).
#[derive(Debug)]
pub enum Contact {}
/// Marker for products.
#[derive(Debug)]
pub enum Product {}
/// Marker for product versions.
#[derive(Debug)]
pub enum ProductVersion {}
/// Marker for users (staff and customer sign-ins).
#[derive(Debug)]
pub enum User {}
/// Marker for API tokens.
#[derive(Debug)]
pub enum ApiToken {}
/// Marker for cases (问题记录).
#[derive(Debug)]
pub enum Case {}
/// Marker for timeline entries of a case.
#[derive(Debug)]
pub enum CaseEvent {}
/// Marker for attachments.
#[derive(Debug)]
pub enum Attachment {}

/// Marker for customer sites.
#[derive(Debug)]
pub enum Site {}
/// Marker for installed units.
#[derive(Debug)]
pub enum Unit {}
/// Marker for support contracts.
#[derive(Debug)]
pub enum Contract {}
/// Marker for knowledge articles.
#[derive(Debug)]
pub enum Article {}

/// The id of one object of kind `T`.
pub struct Id<T> {
    value: i64,
    kind: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    /// Wraps a raw database id.
    pub const fn new(value: i64) -> Self {
        Self {
            value,
            kind: PhantomData,
        }
    }

    /// The raw value, for binding into SQL.
    pub const fn get(self) -> i64 {
        self.value
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}
impl<T> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.value)
    }
}
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}
impl<T> std::str::FromStr for Id<T> {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<i64>().map(Self::new)
    }
}
impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.value)
    }
}
impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        if value <= 0 {
            return Err(serde::de::Error::custom("an id is a positive integer"));
        }
        Ok(Self::new(value))
    }
}
impl<T> utoipa::PartialSchema for Id<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .into()
    }
}
impl<T> utoipa::ToSchema for Id<T> {}

/// Id of an organisation.
pub type OrganizationId = Id<Organization>;
/// Id of a contact.
pub type ContactId = Id<Contact>;
/// Id of a product.
pub type ProductId = Id<Product>;
/// Id of a product version.
pub type ProductVersionId = Id<ProductVersion>;
/// Id of a user.
pub type UserId = Id<User>;
/// Id of an API token.
pub type ApiTokenId = Id<ApiToken>;
/// Id of a case (internal; customers quote the case number).
pub type CaseId = Id<Case>;
/// Id of a timeline entry.
pub type CaseEventId = Id<CaseEvent>;
/// Id of an attachment.
pub type AttachmentId = Id<Attachment>;
/// Id of a site.
pub type SiteId = Id<Site>;
/// Id of an installed unit.
pub type UnitId = Id<Unit>;
/// Id of a contract.
pub type ContractId = Id<Contract>;
/// Id of a knowledge article.
pub type ArticleId = Id<Article>;
