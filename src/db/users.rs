//! The `users` table.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::users;
use super::DbConn;
use crate::domain::time::UnixTime;

/// A user row; `password_hash` is an argon2id PHC string.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub username: String,
    pub username_key: String,
    pub password_hash: String,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub created_at: UnixTime,
    pub password_changed_at: UnixTime,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub email_verified: bool,
    /// Administers the tenant in the console.
    pub tenant_admin: bool,
}

/// A user as shown by the API: never the hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    /// Administers the tenant in the console.
    pub tenant_admin: bool,
    pub disabled: bool,
    pub created_at: UnixTime,
    pub password_changed_at: UnixTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            id: row.id,
            tenant_id: row.tenant_id,
            username: row.username,
            display_name: row.display_name,
            email: row.email,
            email_verified: row.email_verified,
            tenant_admin: row.tenant_admin,
            disabled: row.disabled,
            created_at: row.created_at,
            password_changed_at: row.password_changed_at,
        }
    }
}

pub use crate::domain::user::username_key;

pub fn insert(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

/// The user of `tenant_id` with this username, case-insensitively.
pub fn find_by_username(
    conn: &mut DbConn,
    tenant_id: &str,
    username: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::username_key.eq(username_key(username)))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

/// Up to `limit` users of a tenant ordered by id after the cursor `after`.
pub fn list(
    conn: &mut DbConn,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::tenant_id.eq(tenant_id.to_string()))
        .select(UserRow::as_select())
        .order(users::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_string()));
    }
    query.load(conn)
}

/// How many users there are, in one tenant or in all.
pub fn count(conn: &mut DbConn, tenant_id: Option<&str>) -> QueryResult<i64> {
    match tenant_id {
        Some(tenant_id) => users::table
            .filter(users::tenant_id.eq(tenant_id))
            .count()
            .get_result(conn),
        None => users::table.count().get_result(conn),
    }
}

/// Stores a user's changeable columns: display name, email, disabled, tenant admin, password hash and its change
/// time.
pub fn update(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::update(users::table.find(&row.id))
        .set((
            users::display_name.eq(&row.display_name),
            users::email.eq(&row.email),
            users::email_key.eq(&row.email_key),
            users::email_verified.eq(row.email_verified),
            users::disabled.eq(row.disabled),
            users::tenant_admin.eq(row.tenant_admin),
            users::password_hash.eq(&row.password_hash),
            users::password_changed_at.eq(row.password_changed_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The ids of a tenant's users.
pub fn ids_of_tenant(conn: &mut DbConn, tenant_id: &str) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::tenant_id.eq(tenant_id))
        .select(users::id)
        .load(conn)
}

/// Deletes a user (their refresh tokens first: `refresh_tokens::delete_for_user`).
pub fn delete_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
