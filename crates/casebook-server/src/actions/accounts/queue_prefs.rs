//! How each engineer sets up the console's queue: which columns it shows, in a fixed order,
//! and its density (comfortable or compact). No saved set-up means the defaults.

use casebook_domain::policy::Permission;
use casebook_store::AuditEntry;
use casebook_store::queue_preferences::{self, QueuePreferences};
use serde_json::json;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// The columns a queue can show, in the order shown; the case number always shows first.
pub const COLUMNS: [&str; 10] = [
    "severity",
    "title",
    "organization",
    "status",
    "tier",
    "product",
    "owner",
    "time_left",
    "updated",
    "created",
];

/// The columns shown when nothing was saved.
pub const DEFAULT_COLUMNS: [&str; 7] = [
    "severity",
    "title",
    "organization",
    "status",
    "owner",
    "time_left",
    "updated",
];

/// How dense the table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Density {
    /// Room around each row.
    #[default]
    Comfortable,
    /// More rows on a screen.
    Compact,
}

impl Density {
    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Density::Comfortable => "comfortable",
            Density::Compact => "compact",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "comfortable" => Some(Density::Comfortable),
            "compact" => Some(Density::Compact),
            _ => None,
        }
    }
}

/// An engineer's queue set-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSetup {
    /// The columns shown, in [`COLUMNS`] order.
    pub columns: Vec<&'static str>,
    /// The density.
    pub density: Density,
}

impl Default for QueueSetup {
    fn default() -> Self {
        QueueSetup {
            columns: DEFAULT_COLUMNS.to_vec(),
            density: Density::Comfortable,
        }
    }
}

impl QueueSetup {
    /// Whether a column shows.
    pub fn shows(&self, column: &str) -> bool {
        self.columns.contains(&column)
    }
}

/// The principal's queue set-up (the defaults if none was saved; unknown stored names are
/// dropped, so a column removed in a later release does not break the page).
pub async fn get(app: &App, who: &Principal) -> ActionResult<QueueSetup> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let mut db = app.store.read().await?;
    let Some(saved) = queue_preferences::of_user(&mut db, user).await? else {
        return Ok(QueueSetup::default());
    };
    let wanted: Vec<&str> = saved.columns.split(',').collect();
    Ok(QueueSetup {
        columns: COLUMNS.into_iter().filter(|c| wanted.contains(c)).collect(),
        density: Density::parse(&saved.density).unwrap_or_default(),
    })
}

/// Saves the principal's queue set-up: column names from [`COLUMNS`] (at least one) and
/// `comfortable` or `compact`. An unknown name is refused with the field named.
pub async fn save(
    app: &App,
    who: &Principal,
    columns: &[String],
    density: &str,
) -> ActionResult<QueueSetup> {
    require(who, Permission::WorkCases)?;
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    if let Some(unknown) = columns.iter().find(|c| !COLUMNS.contains(&c.as_str())) {
        return Err(ActionError::field(
            "columns",
            "invalid",
            format!("there is no queue column '{unknown}'"),
        ));
    }
    if columns.is_empty() {
        return Err(ActionError::field(
            "columns",
            "required",
            "choose at least one column",
        ));
    }
    let density = Density::parse(density).ok_or_else(|| {
        ActionError::field("density", "invalid", "density is comfortable or compact")
    })?;
    let setup = QueueSetup {
        columns: COLUMNS
            .into_iter()
            .filter(|c| columns.iter().any(|w| w == c))
            .collect(),
        density,
    };
    let stored = QueuePreferences {
        columns: setup.columns.join(","),
        density: density.as_str().to_owned(),
    };
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    queue_preferences::save(&mut db, user, &stored, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "queue_preferences.save",
        "user",
        user,
        None,
        Some(&json!({"columns": stored.columns, "density": stored.density})),
    ));
    db.commit().await?;
    Ok(setup)
}
