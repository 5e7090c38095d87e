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
#[derive(Debug, Clone, Queryable, Selectable)]
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
    match conn {
        DbConn::Postgres(pg) => StoreStatement(row).execute(pg),
        DbConn::Sqlite(sqlite) => StoreStatement(row).execute(sqlite),
    }
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

/// A refresh token to spend, and its successor.
pub struct Rotation {
    pub spent: String,
    pub successor: RefreshTokenRow,
}

/// Spends each token (unused and unrevoked) at its successor's `created_at` and stores the successor, both or
/// neither; answers, in order, whether each rotated: false when the token was already spent or revoked (a reuse),
/// earlier in the same call too. Exact across nodes: on PostgreSQL a rotation is one statement, one round trip,
/// whose `UPDATE` locks the row, so a concurrent rotation of the same token waits, then finds it spent and inserts
/// nothing (READ COMMITTED re-checks the `WHERE` on the newest row version). On SQLite the call is one
/// `BEGIN IMMEDIATE` transaction, which the database's single writer makes exact the same way.
pub fn rotate(conn: &mut DbConn, rotations: &[Rotation]) -> QueryResult<Vec<bool>> {
    let rotate_each = |conn: &mut DbConn| {
        rotations
            .iter()
            .map(|rotation| match &mut *conn {
                DbConn::Postgres(pg) => {
                    Ok(RotateStatement(SpendStatement(rotation)).execute(pg)? == 1)
                }
                DbConn::Sqlite(sqlite) => {
                    let spent = SpendStatement(rotation).execute(sqlite)? == 1;
                    if spent {
                        StoreStatement(&rotation.successor).execute(sqlite)?;
                    }
                    Ok(spent)
                }
            })
            .collect()
    };
    match conn {
        DbConn::Postgres(_) if rotations.len() == 1 => rotate_each(conn),
        _ => super::write_transaction(conn, rotate_each),
    }
}

// The rotation's statements are query types rather than diesel's `update`/`insert_into` or a `sql_query`, because
// diesel keeps none of those prepared (an `UPDATE` or `sql_query` never; an insert of a row struct it rebuilds as
// text to look up each time): these it prepares once per connection, so the database parses and plans them once.

/// The columns of a stored token, in the order `push_row!` binds them.
const COLUMNS: &str =
    "id, family_id, client_id, user_id, scope, secret_salt, secret_hash, created_at, expires_at, \
     idle_expires_at, used_at, revoked_at, sign_in_grant, auth_time, session_id, dpop_jkt";

/// Binds a row's values, comma-separated, in `COLUMNS` order.
macro_rules! push_row {
    ($out:ident, $row:expr) => {{
        use diesel::sql_types::{BigInt, Binary, Nullable, Text};
        let row: &RefreshTokenRow = $row;
        $out.push_bind_param::<Text, _>(&row.id)?;
        push_row!(@rest $out, Text => &row.family_id, Text => &row.client_id, Text => &row.user_id,
            Text => &row.scope, Binary => &row.secret_salt, Binary => &row.secret_hash, BigInt => &row.created_at,
            BigInt => &row.expires_at, BigInt => &row.idle_expires_at, Nullable<BigInt> => &row.used_at,
            Nullable<BigInt> => &row.revoked_at, Text => &row.sign_in_grant, Nullable<BigInt> => &row.auth_time,
            Nullable<Text> => &row.session_id, Nullable<Text> => &row.dpop_jkt);
    }};
    (@rest $out:ident, $($type:ty => $value:expr),*) => {
        $(
            $out.push_sql(", ");
            $out.push_bind_param::<$type, _>($value)?;
        )*
    };
}

/// A statement type for these backends, prepared once per connection (its query id is static).
macro_rules! statement {
    ($name:ident, [$(($backend:ty, $connection:ty)),+], |$self:ident, $out:ident| $body:block) => {
        impl diesel::query_builder::QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        $(
            impl diesel::query_builder::QueryFragment<$backend> for $name<'_> {
                fn walk_ast<'b>(
                    &'b $self,
                    mut $out: diesel::query_builder::AstPass<'_, 'b, $backend>,
                ) -> QueryResult<()> {
                    $body
                    Ok(())
                }
            }
            impl RunQueryDsl<$connection> for $name<'_> {}
        )+
    };
}

/// `UPDATE … SET used_at` on the unused, unrevoked token: SQLite's first statement, PostgreSQL's CTE.
struct SpendStatement<'a>(&'a Rotation);

statement!(
    SpendStatement,
    [
        (diesel::sqlite::Sqlite, diesel::SqliteConnection),
        (diesel::pg::Pg, diesel::PgConnection)
    ],
    |self, out| {
        out.push_sql("UPDATE refresh_tokens SET used_at = ");
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&self.0.successor.created_at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.0.spent)?;
        out.push_sql(" AND used_at IS NULL AND revoked_at IS NULL");
    }
);

/// PostgreSQL: `WITH spent AS (UPDATE … RETURNING id) INSERT … SELECT … FROM spent`.
struct RotateStatement<'a>(SpendStatement<'a>);

statement!(
    RotateStatement,
    [(diesel::pg::Pg, diesel::PgConnection)],
    |self, out| {
        out.push_sql("WITH spent AS (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING id) INSERT INTO refresh_tokens (");
        out.push_sql(COLUMNS);
        out.push_sql(") SELECT ");
        push_row!(out, &self.0 .0.successor);
        out.push_sql(" FROM spent");
    }
);

/// `INSERT INTO refresh_tokens … VALUES (…)`.
struct StoreStatement<'a>(&'a RefreshTokenRow);

statement!(
    StoreStatement,
    [
        (diesel::sqlite::Sqlite, diesel::SqliteConnection),
        (diesel::pg::Pg, diesel::PgConnection)
    ],
    |self, out| {
        out.push_sql("INSERT INTO refresh_tokens (");
        out.push_sql(COLUMNS);
        out.push_sql(") VALUES (");
        push_row!(out, self.0);
        out.push_sql(")");
    }
);

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
