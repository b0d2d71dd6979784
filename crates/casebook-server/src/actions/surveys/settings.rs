//! The survey settings admins edit (fatigue window, answer window, low-score threshold, negative
//! words, the questions in Chinese and English); everybody signed in reads them, as the
//! questions are shown to customers.

use casebook_domain::policy::Permission;
use casebook_domain::survey::SurveySettings;
use casebook_store::{AuditEntry, Db, surveys};

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

/// The settings with the version to send back with an edit (0: the built-in defaults).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SettingsView {
    /// The settings.
    #[serde(flatten)]
    pub settings: SurveySettings,
    /// Their version.
    pub version: i64,
}

/// The settings in force (the defaults until admins save some).
pub(crate) async fn current(db: &mut Db) -> ActionResult<(SurveySettings, i64)> {
    Ok(surveys::settings(db).await?.unwrap_or_default())
}

/// The settings (anyone signed in).
pub async fn get(app: &App, _who: &Principal) -> ActionResult<SettingsView> {
    let mut db = app.store.read().await?;
    let (settings, version) = current(&mut db).await?;
    Ok(SettingsView { settings, version })
}

/// Saves new settings (administrators), refused as a whole with the fields named, or when the
/// version is not the one read.
pub async fn save(app: &App, who: &Principal, edit: SettingsView) -> ActionResult<SettingsView> {
    require(who, Permission::ManageSurveys)?;
    let errors = edit.settings.check();
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let (before, version) = current(&mut db).await?;
    check_version(Some(edit.version), version)?;
    let version = surveys::save_settings(&mut db, &edit.settings, version, now)
        .await?
        .ok_or(ActionError::StaleVersion)?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "survey.settings",
        "survey_settings",
        1,
        Some(&before),
        Some(&edit.settings),
    ));
    db.commit().await?;
    Ok(SettingsView {
        settings: edit.settings,
        version,
    })
}
