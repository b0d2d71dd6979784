//! The e-mail addresses people are known by. A new address that only looks like one in use,
//! written with letters of another script (see `casebook_domain::lookalike`), is refused: mail
//! from it would be taken for mail from the other, and a list would show two of one person.

use casebook_domain::lookalike;
use casebook_domain::text::Email;
use casebook_store::{Db, lookalikes};

use crate::actions::{ActionError, ActionResult};

/// Refuses `email` if it looks like the address of another user or contact.
pub(crate) async fn refuse_lookalike(db: &mut Db, email: &Email) -> ActionResult<()> {
    let similar = lookalikes::addresses_like(db, email.as_str()).await?;
    if similar
        .iter()
        .any(|other| lookalike::looks_like(email, other))
    {
        return Err(ActionError::field(
            "email",
            "lookalike",
            "this address looks exactly like an address already in use but is written with \
             letters of another script; type it with the letters it is meant to have",
        ));
    }
    Ok(())
}
