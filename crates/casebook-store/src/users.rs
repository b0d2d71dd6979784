//! Users: staff and customer sign-ins. Password hashes are stored here but never leave the store
//! except to the function that verifies a password.

use casebook_domain::Timestamp;
use casebook_domain::ids::{ContactId, Id, OrganizationId, UserId};
use casebook_domain::lookalike;
use casebook_domain::policy::Role;
use casebook_domain::users::User;
use casebook_domain::{Named, Tier};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest, contains_pattern};
use crate::rows::parse_column;
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    email: String,
    name: String,
    role: String,
    organization_id: Option<i64>,
    contact_id: Option<i64>,
    active: bool,
    leads_tier: Option<String>,
    duty_manager: bool,
    team: Option<String>,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl TryFrom<Row> for User {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<Self> {
        Ok(User {
            id: Id::new(r.id),
            email: r.email,
            name: r.name,
            role: parse_column("users.role", &r.role, Role::parse)?,
            organization_id: r.organization_id.map(Id::new),
            contact_id: r.contact_id.map(Id::new),
            active: r.active,
            leads_tier: r
                .leads_tier
                .as_deref()
                .map(|t| parse_column("users.leads_tier", t, Tier::parse))
                .transpose()?,
            duty_manager: r.duty_manager,
            team: r.team,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        })
    }
}

/// A user to insert.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Sign-in e-mail (lower-case).
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Organisation of a customer.
    pub organization_id: Option<OrganizationId>,
    /// Contact of a customer.
    pub contact_id: Option<ContactId>,
    /// Argon2id PHC string.
    pub password_hash: Option<&'a str>,
}

/// Inserts a user.
pub async fn insert(db: &mut Db, new: &NewUser<'_>, now: Timestamp) -> StoreResult<User> {
    let row: Row = on_db!(db, c => sqlx::query_as(
        "INSERT INTO users (email, name, role, organization_id, contact_id, password_hash, created_at, updated_at, lookalike_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)
         RETURNING id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version")
        .bind(new.email).bind(new.name).bind(new.role.as_str()).bind(new.organization_id.map(|o| o.get()))
        .bind(new.contact_id.map(|c| c.get())).bind(new.password_hash).bind(Ts::new(now))
        .bind(lookalike::key(new.email))
        .fetch_one(c).await)?;
    row.try_into()
}

/// Reads one user.
pub async fn get(db: &mut Db, id: UserId) -> StoreResult<Option<User>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version
         FROM users WHERE id = $1")
        .bind(id.get()).fetch_optional(c).await)?;
    row.map(TryInto::try_into).transpose()
}

/// Finds a user by sign-in e-mail, with their password hash.
pub async fn find_for_sign_in(
    db: &mut Db,
    email: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct WithHash {
        #[sqlx(flatten)]
        user: Row,
        password_hash: Option<String>,
    }
    let row: Option<WithHash> = on_db!(db, c => sqlx::query_as(
        "SELECT id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version, password_hash
         FROM users WHERE email = $1")
        .bind(email.to_lowercase()).fetch_optional(c).await)?;
    row.map(|r| Ok((r.user.try_into()?, r.password_hash)))
        .transpose()
}

/// Which users to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only users of this organisation.
    pub organization: Option<OrganizationId>,
    /// Only staff (`Some(true)`) or only customers (`Some(false)`).
    pub staff: Option<bool>,
    /// Only this user.
    pub only: Option<UserId>,
    /// Text in the name or e-mail.
    pub q: Option<String>,
    /// Include users who may not sign in.
    pub include_inactive: bool,
}

/// Lists users by name.
pub async fn list(db: &mut Db, filter: &UserFilter, page: &PageRequest) -> StoreResult<Page<User>> {
    let after: Option<(String, i64)> = page.key()?;
    let (after_name, after_id) = after.unzip();
    let pattern = filter.q.as_deref().map(contains_pattern);
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version
         FROM users
         WHERE ($1 OR active)
           AND ($2 IS NULL OR organization_id = $2)
           AND ($3 IS NULL OR (organization_id IS NULL) = $3)
           AND ($4 IS NULL OR id = $4)
           AND ($5 IS NULL OR lower(name) LIKE $5 ESCAPE '\\' OR email LIKE $5 ESCAPE '\\')
           AND ($6 IS NULL OR name > $6 OR (name = $6 AND id > $7))
         ORDER BY name, id LIMIT $8").persistent(false)
        .bind(filter.include_inactive).bind(filter.organization.map(|o| o.get())).bind(filter.staff)
        .bind(filter.only.map(|u| u.get())).bind(&pattern).bind(&after_name).bind(after_id).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| (r.name.clone(), r.id));
    let items = page
        .items
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<User>>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Writes `user`'s fields (and a new password hash, if given) if its version still matches.
pub async fn update(
    db: &mut Db,
    user: &User,
    password_hash: Option<&str>,
    now: Timestamp,
) -> StoreResult<User> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "UPDATE users SET name = $1, role = $2, active = $3, contact_id = $4,
             password_hash = COALESCE($5, password_hash), updated_at = $6, leads_tier = $9,
             duty_manager = $10, team = $11, version = version + 1
         WHERE id = $7 AND version = $8
         RETURNING id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version")
        .bind(&user.name).bind(user.role.as_str()).bind(user.active).bind(user.contact_id.map(|c| c.get()))
        .bind(password_hash).bind(Ts::new(now)).bind(user.id.get()).bind(user.version)
        .bind(user.leads_tier.map(Tier::as_str)).bind(user.duty_manager).bind(&user.team)
        .fetch_optional(c).await)?;
    row.ok_or(StoreError::StaleVersion)?.try_into()
}

/// Remembers the language a user chose for pages (`None`: follow the browser).
pub async fn set_locale(db: &mut Db, id: UserId, locale: Option<&str>) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale).bind(id.get()).execute(c).await)?;
    Ok(())
}

/// The language a user chose, if any.
pub async fn locale_of(db: &mut Db, id: UserId) -> StoreResult<Option<String>> {
    let locale: Option<Option<String>> = on_db!(db, c => sqlx::query_scalar(
        "SELECT locale FROM users WHERE id = $1").bind(id.get()).fetch_optional(c).await)?;
    Ok(locale.flatten())
}

/// The active user linked to a contact, if any.
pub async fn of_contact(db: &mut Db, contact: ContactId) -> StoreResult<Option<User>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version
         FROM users WHERE contact_id = $1 AND active ORDER BY id LIMIT 1")
        .bind(contact.get()).fetch_optional(c).await)?;
    row.map(TryInto::try_into).transpose()
}

/// Who an SLA escalation reaches besides the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffGroup {
    /// Active leads of a tier.
    TierLeads(Tier),
    /// Active duty managers.
    DutyManagers,
    /// Active users of a role.
    Role(Role),
}

/// Active staff of a group (at most 50), by id.
pub async fn staff_of(db: &mut Db, group: StaffGroup) -> StoreResult<Vec<User>> {
    let (tier, duty, role) = match group {
        StaffGroup::TierLeads(t) => (Some(t.as_str()), false, None),
        StaffGroup::DutyManagers => (None, true, None),
        StaffGroup::Role(r) => (None, false, Some(r.as_str())),
    };
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version
         FROM users
         WHERE active AND organization_id IS NULL
           AND ($1 IS NULL OR leads_tier = $1) AND (NOT $2 OR duty_manager) AND ($3 IS NULL OR role = $3)
         ORDER BY id LIMIT 50").persistent(false)
        .bind(tier).bind(duty).bind(role).fetch_all(c).await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Active customer administrators of an organisation (at most 50), by id.
pub async fn customer_admins_of(
    db: &mut Db,
    organization: OrganizationId,
) -> StoreResult<Vec<User>> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, email, name, role, organization_id, contact_id, active, leads_tier, duty_manager, team, created_at, updated_at, version
         FROM users WHERE active AND organization_id = $1 AND role = 'customer_admin'
         ORDER BY id LIMIT 50")
        .bind(organization.get()).fetch_all(c).await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The teams of active staff, in name order (for the filters of dashboards and results).
pub async fn teams(db: &mut Db) -> StoreResult<Vec<String>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT DISTINCT team FROM users
         WHERE team IS NOT NULL AND active AND organization_id IS NULL ORDER BY team LIMIT 500")
        .fetch_all(c).await)?)
}
