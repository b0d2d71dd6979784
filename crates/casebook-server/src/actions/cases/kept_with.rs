//! Records a channel keeps in the transaction of the case change it caused, handed in as values:
//! the mail that opened a case or was threaded into one is kept by the case core's own
//! transaction, so either both are stored or neither. The case core never calls back into a
//! channel for this.

use casebook_domain::mail::MailDisposition;
use casebook_store::mail::{self, Disposition, NewMail};

use crate::actions::{ActionError, ActionResult};

/// Keeps a mail in the transaction of the case change it made (`opened` a case, `threaded` into
/// one); a mail kept already refuses the change with `mail_duplicate`, to be rolled back.
pub(crate) async fn keep_mail(
    db: &mut casebook_store::Db,
    mail: &NewMail<'_>,
    disposition: MailDisposition,
    case: casebook_domain::ids::CaseId,
    now: jiff::Timestamp,
) -> ActionResult<()> {
    let decision = Disposition {
        disposition,
        case: Some(case),
        reason: String::new(),
    };
    match mail::keep(db, mail, &decision, now).await? {
        Some(_) => Ok(()),
        None => Err(ActionError::Conflict {
            code: "mail_duplicate",
            message: format!("message {} is here already", mail.message_id),
        }),
    }
}
