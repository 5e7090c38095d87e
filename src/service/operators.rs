//! Operators: console accounts of no tenant, made at the command line, who administer every tenant and the signing
//! keys. Passwords arrive hashed, as users' do.

use super::{audit, transaction, unique_or, Actor, Changed, ServiceError};
use crate::db::operators::{self, Operator, OperatorRow};
use crate::db::DbConn;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::IdKind;
use crate::domain::time::UnixTime;
use crate::domain::user::Username;

/// A new operator; `password_hash` comes from `users::check_password` and the hasher.
pub struct NewOperator {
    pub username: String,
    pub password_hash: String,
}

/// A new operator. Usernames are unique among operators by their NFKC, lowercased form.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    new: NewOperator,
) -> Result<Changed<Operator>, ServiceError> {
    actor.require_global()?;
    let username = Username::parse(&new.username)
        .map_err(|e| ServiceError::invalid(ErrorCode::InvalidUser, "username", e.to_string()))?;
    let now = UnixTime::now();
    let row = OperatorRow {
        id: IdKind::User.generate(),
        username: username.display,
        username_key: username.key,
        password_hash: new.password_hash,
        disabled: false,
        created_at: now,
        password_changed_at: now,
    };
    transaction(conn, |conn, _| {
        operators::insert(conn, &row).map_err(|e| {
            unique_or(e, ErrorCode::UsernameTaken, || {
                "this username is taken by an operator".into()
            })
        })?;
        audit(
            conn,
            actor.event("operator.created", None, None, &row.id),
            None,
        )?;
        Ok(Operator::from(row.clone()))
    })
}
