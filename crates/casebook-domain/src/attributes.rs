//! The attributes of a case: severity, status, category, channel and tier, with their stable
//! snake_case names (used in JSON, SQL and URLs) and the seeds' severity definitions.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;

/// Finds the variant of a closed set by its stable name.
fn by_name<T: Copy>(
    all: &[T],
    name_of: fn(T) -> &'static str,
    raw: &str,
    what: &str,
) -> Result<T, ValidationError> {
    all.iter()
        .copied()
        .find(|v| name_of(*v) == raw)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|v| name_of(*v)).collect();
            ValidationError::new(
                "invalid",
                format!(
                    "unknown {what} '{raw}'; expected one of: {}",
                    names.join(", ")
                ),
            )
        })
}

/// How badly the customer's business is affected (严重程度). 1 is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Severity {
    /// System down, no service; e.g. the database server is down and all users are affected.
    One = 1,
    /// A major function is broken, or production is unstable with periodic interruptions.
    Two = 2,
    /// A fault but fully operable; minor impact, an enhancement request, or a non-production fault.
    Three = 3,
    /// A question or consultation.
    Four = 4,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::One,
        Severity::Two,
        Severity::Three,
        Severity::Four,
    ];

    /// The number 1–4.
    pub fn level(self) -> u8 {
        self as u8
    }

    /// Parses 1–4.
    pub fn from_level(level: i64) -> Result<Self, ValidationError> {
        match level {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            3 => Ok(Self::Three),
            4 => Ok(Self::Four),
            _ => Err(ValidationError::new(
                "invalid",
                "severity must be 1, 2, 3 or 4",
            )),
        }
    }

    /// The definition shown next to the choice, in English.
    pub fn definition_en(self) -> &'static str {
        match self {
            Self::One => {
                "System down: the system crashed, cannot start or refuses connections, so no service is available and business is seriously affected. Example: the database server is down and all users are affected."
            }
            Self::Two => {
                "A major function does not work and business is significantly affected, or the production system is unstable with periodic interruptions."
            }
            Self::Three => {
                "A fault in production that still runs fully, with some or minor impact; a request for an enhancement; or a fault in a non-production system. Example: one user cannot connect to the server."
            }
            Self::Four => "A question or consultation about the product.",
        }
    }

    /// The definition shown next to the choice, in Chinese (from the seeds).
    pub fn definition_zh(self) -> &'static str {
        match self {
            Self::One => {
                "系统崩溃，无法启动或拒绝连接等原因导致客户无法获得任何系统服务，并对客户业务的正常运行造成重大影响。例如：数据库服务器停机，所有用户均受到影响。"
            }
            Self::Two => {
                "系统主要功能不能正常工作，并对客户业务的正常运行造成较大影响；生产系统不稳定，并有周期性的中断。"
            }
            Self::Three => {
                "生产系统有故障，但仍可全面运行，对客户业务系统的正常运行有一定的或轻微的影响；产品性能增强请求；非生产系统故障。例如：一个用户无法连接到服务器。"
            }
            Self::Four => "产品使用咨询或问题询问。",
        }
    }
}

impl TryFrom<u8> for Severity {
    type Error = ValidationError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::from_level(i64::from(value))
    }
}

impl utoipa::PartialSchema for Severity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(4))
            .description(Some("1: system down; 2: major function broken or production unstable; 3: fault but operable, enhancement or non-production; 4: question"))
            .into()
    }
}
impl utoipa::ToSchema for Severity {}

impl From<Severity> for u8 {
    fn from(value: Severity) -> u8 {
        value.level()
    }
}

/// A closed set of values with stable snake_case names.
pub trait Named: Copy + 'static {
    /// What the set is called in error messages.
    const WHAT: &'static str;
    /// Every value, in lifecycle or display order.
    const ALL: &'static [Self];
    /// The stable snake_case name.
    fn as_str(self) -> &'static str;
    /// Parses the stable name.
    fn parse(raw: &str) -> Result<Self, ValidationError> {
        by_name(Self::ALL, Self::as_str, raw, Self::WHAT)
    }
}

/// `Display` and `FromStr` through [`Named`].
macro_rules! named_conversions {
    ($($name:ident),*) => {$(
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

named_conversions!(Status, Category, Channel, Tier);

/// Where a case stands in its lifecycle (see `lifecycle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Filed, nobody responsible yet.
    New,
    /// An owner (问题负责人) is responsible.
    Assigned,
    /// The owner is working on it.
    InProgress,
    /// Waiting for the customer's information or action.
    AwaitingCustomer,
    /// A solution was proposed; the customer is asked to confirm closure.
    SolutionProposed,
    /// Solved and closed.
    Closed,
    /// Withdrawn or not to be worked on.
    Cancelled,
}

impl Named for Status {
    const WHAT: &'static str = "status";
    const ALL: &'static [Self] = &[
        Self::New,
        Self::Assigned,
        Self::InProgress,
        Self::AwaitingCustomer,
        Self::SolutionProposed,
        Self::Closed,
        Self::Cancelled,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Assigned => "assigned",
            Self::InProgress => "in_progress",
            Self::AwaitingCustomer => "awaiting_customer",
            Self::SolutionProposed => "solution_proposed",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl Status {
    /// Whether work on the case has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }
}

/// What kind of problem the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Installing the product.
    Installation,
    /// Day-to-day use.
    Usage,
    /// Configuration.
    Configuration,
    /// A defect in the product.
    Defect,
    /// Performance.
    Performance,
    /// Security.
    Security,
    /// Data problems.
    Data,
    /// Anything else.
    Other,
}

impl Named for Category {
    const WHAT: &'static str = "category";
    const ALL: &'static [Self] = &[
        Self::Installation,
        Self::Usage,
        Self::Configuration,
        Self::Defect,
        Self::Performance,
        Self::Security,
        Self::Data,
        Self::Other,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Installation => "installation",
            Self::Usage => "usage",
            Self::Configuration => "configuration",
            Self::Defect => "defect",
            Self::Performance => "performance",
            Self::Security => "security",
            Self::Data => "data",
            Self::Other => "other",
        }
    }
}

/// How the case reached the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Phone intake by a coordinator.
    Phone,
    /// E-mail.
    Email,
    /// The web portal.
    Web,
    /// A device reported the fault itself.
    CallHome,
    /// An integration through the API.
    Api,
}

impl Named for Channel {
    const WHAT: &'static str = "channel";
    const ALL: &'static [Self] = &[
        Self::Phone,
        Self::Email,
        Self::Web,
        Self::CallHome,
        Self::Api,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Web => "web",
            Self::CallHome => "call_home",
            Self::Api => "api",
        }
    }
}

/// The support stage working on the case (三段式).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The customer problem coordinator (客户问题协调员).
    Intake,
    /// First-line engineers (首层工程师).
    L1,
    /// Second line / global support (二线).
    L2,
    /// Engineering (研发).
    Engineering,
}

impl Named for Tier {
    const WHAT: &'static str = "tier";
    const ALL: &'static [Self] = &[Self::Intake, Self::L1, Self::L2, Self::Engineering];
    fn as_str(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::L1 => "l1",
            Self::L2 => "l2",
            Self::Engineering => "engineering",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(<Status as Named>::parse(s.as_str()).unwrap(), *s);
        }
        assert_eq!("l2".parse::<Tier>().unwrap(), Tier::L2);
        let err = "fax".parse::<Channel>().unwrap_err();
        assert!(
            err.message.contains("phone, email, web, call_home, api"),
            "{}",
            err.message
        );
    }

    #[test]
    fn severity_is_a_number_in_json() {
        assert_eq!(serde_json::to_string(&Severity::Two).unwrap(), "2");
        assert_eq!(
            serde_json::from_str::<Severity>("1").unwrap(),
            Severity::One
        );
        assert!(serde_json::from_str::<Severity>("5").is_err());
        assert!(serde_json::from_str::<Severity>("0").is_err());
    }
}
