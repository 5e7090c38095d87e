//! The `operators` table: console accounts of no tenant, who administer everything.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::operators;
use super::DbConn;
use crate::domain::time::UnixTime;
use crate::domain::user::username_key;

/// An operator row; `password_hash` is an argon2id PHC string.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = operators)]
pub struct OperatorRow {
    pub id: String,
    pub username: String,
    pub username_key: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: UnixTime,
    pub password_changed_at: UnixTime,
}

/// An operator as shown: never the hash.
#[derive(Debug, Clone, Serialize)]
pub struct Operator {
    pub id: String,
    pub username: String,
    pub disabled: bool,
    pub created_at: UnixTime,
}

impl From<OperatorRow> for Operator {
    fn from(row: OperatorRow) -> Operator {
        Operator {
            id: row.id,
            username: row.username,
            disabled: row.disabled,
            created_at: row.created_at,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &OperatorRow) -> QueryResult<()> {
    diesel::insert_into(operators::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<OperatorRow>> {
    operators::table
        .find(id)
        .select(OperatorRow::as_select())
        .get_result(conn)
        .optional()
}

/// The operator with this username, case-insensitively.
pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<OperatorRow>> {
    operators::table
        .filter(operators::username_key.eq(username_key(username)))
        .select(OperatorRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<OperatorRow>> {
    operators::table
        .select(OperatorRow::as_select())
        .order(operators::username_key)
        .load(conn)
}
