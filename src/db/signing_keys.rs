//! The `signing_keys` table: private parts sealed with the master key, public JWKs in the clear.

use diesel::prelude::*;

use super::column::Json;
use super::schema::signing_keys;
use super::DbConn;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;

/// A signing key row. A key is published from its creation, signs from `activates_at` (one JWKS max-age later
/// after a rotation, so that every verifier has seen it), and stops signing at `retired_at`, when the next key
/// activates; it stays in the JWKS until `published_until`, when every token it signed has expired.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: SigningAlg,
    pub private_key: Vec<u8>,
    pub public_jwk: Json<serde_json::Value>,
    pub created_at: UnixTime,
    pub retired_at: Option<UnixTime>,
    pub published_until: Option<i64>,
    pub activates_at: UnixTime,
}

/// Every key still published at `now`, active ones first, then newest first: the active key and the retired ones
/// whose tokens may still live.
pub fn find_published(conn: &mut DbConn, now: UnixTime) -> QueryResult<Vec<SigningKeyRow>> {
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

/// Stores `new_key` when `needed` says so, given the published keys, and retires every earlier unretired key when
/// `new_key` activates. One rotation at a time across nodes: the table is locked (PostgreSQL) or the database
/// written exclusively (SQLite) for the whole check-and-insert. Returns whether the key was stored.
pub fn rotate_if(
    conn: &mut DbConn,
    new_key: &SigningKeyRow,
    publish_retired_for: i64,
    needed: impl FnOnce(&[SigningKeyRow]) -> bool,
) -> QueryResult<bool> {
    super::write_transaction(conn, |conn| {
        if matches!(conn, DbConn::Postgres(_)) {
            diesel::sql_query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
                .execute(conn)?;
        }
        if !needed(&find_published(conn, new_key.created_at)?) {
            return Ok(false);
        }
        diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
            .set((
                signing_keys::retired_at.eq(new_key.activates_at),
                signing_keys::published_until.eq(new_key.activates_at + publish_retired_for),
            ))
            .execute(conn)?;
        diesel::insert_into(signing_keys::table)
            .values(new_key)
            .execute(conn)?;
        Ok(true)
    })
}

/// Replaces every row's sealed private key with `reseal(kid, sealed)`, all or nothing, under the same lock as a
/// rotation, so that no key stored meanwhile stays sealed with the old master key. `reseal` returning `None` (the
/// value does not open) aborts the whole change. Returns how many keys were resealed.
pub fn reseal_all(
    conn: &mut DbConn,
    mut reseal: impl FnMut(&str, &[u8]) -> Option<Vec<u8>>,
) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        if matches!(conn, DbConn::Postgres(_)) {
            diesel::sql_query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
                .execute(conn)?;
        }
        let rows: Vec<(String, Vec<u8>)> = signing_keys::table
            .select((signing_keys::kid, signing_keys::private_key))
            .load(conn)?;
        for (kid, sealed) in &rows {
            let resealed = reseal(kid, sealed).ok_or(diesel::result::Error::RollbackTransaction)?;
            diesel::update(signing_keys::table.find(kid))
                .set(signing_keys::private_key.eq(resealed))
                .execute(conn)?;
        }
        Ok(rows.len())
    })
}
