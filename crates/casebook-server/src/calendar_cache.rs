//! Compiled business calendars, kept per process and checked against the stored version on
//! every use, so an edit made through any server process applies at once while the compiled
//! year tables are built only once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use casebook_domain::sla::{BusinessCalendar, CalendarId};
use casebook_store::{Db, calendars};

use crate::error::{ActionError, ActionResult};

/// Compiled calendars by id, with the version they were compiled from.
#[derive(Debug, Default)]
pub struct CalendarCache(Mutex<HashMap<CalendarId, (i64, Arc<BusinessCalendar>)>>);

impl CalendarCache {
    /// The compiled calendar `id` as stored now.
    pub async fn get(&self, db: &mut Db, id: &CalendarId) -> ActionResult<Arc<BusinessCalendar>> {
        let missing =
            || ActionError::Unavailable(format!("calendar {id} of an SLA clock is missing"));
        let version = calendars::version(db, id).await?.ok_or_else(missing)?;
        if let Some((v, compiled)) = self.lock().get(id)
            && *v == version
        {
            return Ok(compiled.clone());
        }
        let stored = calendars::get(db, id).await?.ok_or_else(missing)?;
        let compiled =
            Arc::new(stored.spec.compile().map_err(|e| {
                ActionError::Unavailable(format!("calendar {id} is invalid: {e:?}"))
            })?);
        self.lock()
            .insert(id.clone(), (stored.version, compiled.clone()));
        Ok(compiled)
    }

    /// The compiled calendars `ids` as stored now, their versions checked in one query.
    pub async fn get_many(
        &self,
        db: &mut Db,
        ids: &[CalendarId],
    ) -> ActionResult<HashMap<CalendarId, Arc<BusinessCalendar>>> {
        let versions = calendars::versions(db).await?;
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            let cached = self
                .lock()
                .get(id)
                .and_then(|(v, compiled)| (versions.get(id) == Some(v)).then(|| compiled.clone()));
            let compiled = match cached {
                Some(c) => c,
                None => self.get(db, id).await?,
            };
            out.insert(id.clone(), compiled);
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CalendarId, (i64, Arc<BusinessCalendar>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
