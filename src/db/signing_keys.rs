//! The `signing_keys` table: private parts sealed with the master key, public JWKs in the clear.

use diesel::prelude::*;

use super::schema::signing_keys;
use super::DbConn;

/// A signing key row. `retired_at` is set when a newer key takes over; the key stays in the JWKS until
/// `published_until`, when every token it signed has expired.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub published_until: Option<i64>,
}

/// Every key still published at `now`, active ones first, then newest first: the active key and the retired ones
/// whose tokens may still live.
pub fn find_published(conn: &mut DbConn, now: i64) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::published_until.gt(now)),
        )
        .order((
            signing_keys::retired_at.is_not_null(),
            signing_keys::created_at.desc(),
            signing_keys::kid,
        ))
        .select(SigningKeyRow::as_select())
        .load(conn)
}

/// Stores `new_key` and retires every other active key, in one transaction.
pub fn rotate(
    conn: &mut DbConn,
    new_key: &SigningKeyRow,
    publish_retired_until: i64,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
            .set((
                signing_keys::retired_at.eq(new_key.created_at),
                signing_keys::published_until.eq(publish_retired_until),
            ))
            .execute(conn)?;
        diesel::insert_into(signing_keys::table)
            .values(new_key)
            .execute(conn)?;
        Ok(())
    })
}
