//! The `refresh_tokens` table: opaque refresh tokens as salted hashes, in families that rotate on every use.

use diesel::prelude::*;

use super::schema::{refresh_tokens, service_clients, users};
use super::users::UserRow;
use super::DbConn;
use crate::domain::grant_type::GrantType;
use crate::domain::scope::Scopes;
use crate::domain::secret_key::StoredSecret;
use crate::domain::time::UnixTime;

/// A refresh token row. `expires_at` bounds the whole family (absolute lifetime); `idle_expires_at` this token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: Scopes,
    pub secret_salt: Vec<u8>,
    pub secret_hash: Vec<u8>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub idle_expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
    pub revoked_at: Option<UnixTime>,
    /// The grant that signed the user in (`password`, `authorization_code`): refreshed tokens get its lifetime.
    pub sign_in_grant: GrantType,
    /// When the user signed in, and the sign-in session it happened in (OpenID Connect `auth_time`, `sid`).
    pub auth_time: Option<UnixTime>,
    pub session_id: Option<String>,
    /// The thumbprint of the DPoP key a public client's family is bound to (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

impl RefreshTokenRow {
    /// Not yet spent, revoked, or past its absolute or idle expiry.
    pub fn is_usable(&self, now: UnixTime) -> bool {
        self.used_at.is_none()
            && self.revoked_at.is_none()
            && self.expires_at > now
            && self.idle_expires_at > now
    }

    pub fn stored_secret(&self) -> StoredSecret {
        StoredSecret {
            salt: self.secret_salt.clone(),
            hash: self.secret_hash.clone(),
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &RefreshTokenRow) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The token with this id and its user, in one read.
pub fn find_with_user(
    conn: &mut DbConn,
    id: &str,
) -> QueryResult<Option<(RefreshTokenRow, UserRow)>> {
    refresh_tokens::table
        .inner_join(users::table)
        .filter(refresh_tokens::id.eq(id))
        .select((RefreshTokenRow::as_select(), UserRow::as_select()))
        .get_result(conn)
        .optional()
}

/// Marks an unused, unrevoked token used at `at`; returns false when it was spent or revoked already.
pub fn mark_used(conn: &mut DbConn, id: &str, at: UnixTime) -> QueryResult<bool> {
    diesel::update(refresh_tokens::table.find(id))
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::used_at.eq(at))
        .execute(conn)
        .map(|marked| marked > 0)
}

/// Spends `spent` (unused and unrevoked) at `successor.created_at` and stores its successor, both or neither;
/// false when `spent` was already spent or revoked (a reuse). On PostgreSQL this is one statement, one round trip:
/// the `UPDATE` locks the row, so a concurrent rotation of the same token waits, then finds it spent and inserts
/// nothing (READ COMMITTED re-checks the `WHERE` on the newest row version). On SQLite it is one `BEGIN IMMEDIATE`
/// transaction, which the database's single writer makes exact the same way.
pub fn rotate(conn: &mut DbConn, spent: &str, successor: &RefreshTokenRow) -> QueryResult<bool> {
    if let DbConn::Postgres(pg) = conn {
        return Ok(Rotation { spent, successor }.execute(pg)? == 1);
    }
    super::write_transaction(conn, |conn| {
        if !mark_used(conn, spent, successor.created_at)? {
            return Ok(false);
        }
        insert(conn, successor).map(|()| true)
    })
}

/// `WITH spent AS (UPDATE … RETURNING id) INSERT … SELECT … FROM spent`, written as a query type rather than with
/// `sql_query` because diesel never keeps a `sql_query` (nor any `UPDATE`) prepared: this one it prepares once per
/// connection, so PostgreSQL does not parse and plan it on every refresh.
struct Rotation<'a> {
    spent: &'a str,
    successor: &'a RefreshTokenRow,
}

impl diesel::query_builder::QueryId for Rotation<'_> {
    type QueryId = Rotation<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for Rotation<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Binary, Nullable, Text};
        let row = self.successor;
        out.push_sql("WITH spent AS (UPDATE refresh_tokens SET used_at = ");
        out.push_bind_param::<BigInt, _>(&row.created_at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(self.spent)?;
        out.push_sql(
            " AND used_at IS NULL AND revoked_at IS NULL RETURNING id) \
             INSERT INTO refresh_tokens (id, family_id, client_id, user_id, scope, secret_salt, secret_hash, \
             created_at, expires_at, idle_expires_at, used_at, revoked_at, sign_in_grant, auth_time, session_id, \
             dpop_jkt) SELECT ",
        );
        // The successor's values, in the INSERT's column order.
        macro_rules! values {
            ($first_type:ty => $first:expr $(, $type:ty => $value:expr)*) => {
                out.push_bind_param::<$first_type, _>($first)?;
                $(
                    out.push_sql(", ");
                    out.push_bind_param::<$type, _>($value)?;
                )*
            };
        }
        values!(
            Text => &row.id,
            Text => &row.family_id,
            Text => &row.client_id,
            Text => &row.user_id,
            Text => &row.scope,
            Binary => &row.secret_salt,
            Binary => &row.secret_hash,
            BigInt => &row.created_at,
            BigInt => &row.expires_at,
            BigInt => &row.idle_expires_at,
            Nullable<BigInt> => &row.used_at,
            Nullable<BigInt> => &row.revoked_at,
            Text => &row.sign_in_grant,
            Nullable<BigInt> => &row.auth_time,
            Nullable<Text> => &row.session_id,
            Nullable<Text> => &row.dpop_jkt
        );
        out.push_sql(" FROM spent");
        Ok(())
    }
}

impl RunQueryDsl<diesel::PgConnection> for Rotation<'_> {}

/// Deletes a client's refresh tokens (with the client: PostgreSQL has no foreign key to cascade them).
pub fn delete_for_client(conn: &mut DbConn, client_id: &str) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::client_id.eq(client_id)))
        .execute(conn)
}

/// Deletes a user's refresh tokens (with the user).
pub fn delete_for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id))).execute(conn)
}

/// Deletes the refresh tokens of a tenant's clients and users (with the tenant).
pub fn delete_of_tenant(conn: &mut DbConn, tenant_id: &str) -> QueryResult<usize> {
    let clients = service_clients::table
        .filter(service_clients::tenant_id.eq(tenant_id))
        .select(service_clients::id);
    let users = users::table
        .filter(users::tenant_id.eq(tenant_id))
        .select(users::id);
    diesel::delete(
        refresh_tokens::table.filter(
            refresh_tokens::client_id
                .eq_any(clients)
                .or(refresh_tokens::user_id.eq_any(users)),
        ),
    )
    .execute(conn)
}

/// Revokes every token of a family (one sign-in).
pub fn revoke_family(conn: &mut DbConn, family_id: &str, now: UnixTime) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
}

/// Revokes every token of a user (disabled, or password changed).
pub fn revoke_for_user(conn: &mut DbConn, user_id: &str, now: UnixTime) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
}

/// Revokes the live tokens of every family started in the sign-in session `session_id`.
pub fn revoke_session(conn: &mut DbConn, session_id: &str, now: UnixTime) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::session_id.eq(session_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
}
