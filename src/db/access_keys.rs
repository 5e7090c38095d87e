//! The `access_keys` table: one row per access key, holding only a salted hash or a public key.

use diesel::prelude::*;

use super::column::Json;
use super::schema::{access_keys, service_clients, tenants, users};
use super::service_clients::ServiceClientRow;
use super::DbConn;
use crate::domain::access_key::{KeyKind, NewAccessKey};
use crate::domain::secret_key::StoredSecret;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;

/// At most this many unrevoked, unexpired keys per client (docs/contract.md).
pub const MAX_ACTIVE_PER_CLIENT: i64 = 5;

/// An access key row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_keys)]
pub struct AccessKeyRow {
    pub id: String,
    pub client_id: String,
    pub kind: KeyKind,
    pub secret_salt: Option<Vec<u8>>,
    pub secret_hash: Option<Vec<u8>>,
    pub public_jwk: Option<Json<serde_json::Value>>,
    pub alg: Option<SigningAlg>,
    pub created_at: UnixTime,
    pub expires_at: Option<UnixTime>,
    pub last_used_at: Option<UnixTime>,
    pub revoked_at: Option<UnixTime>,
}

impl AccessKeyRow {
    /// The row for a new key of `client_id`: a salted hash or a public JWK, never a secret.
    pub fn new(
        key: &NewAccessKey,
        client_id: &str,
        now: UnixTime,
        expires_at: Option<UnixTime>,
    ) -> AccessKeyRow {
        let stored = key.stored_secret.clone();
        AccessKeyRow {
            id: key.id.clone(),
            client_id: client_id.to_string(),
            kind: key.kind,
            secret_salt: stored.as_ref().map(|s| s.salt.clone()),
            secret_hash: stored.map(|s| s.hash),
            public_jwk: key.public_jwk.clone().map(Json),
            alg: key.alg,
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        }
    }

    /// The stored salt and hash, when this is a secret key.
    pub fn stored_secret(&self) -> Option<StoredSecret> {
        match (&self.secret_salt, &self.secret_hash) {
            (Some(salt), Some(hash)) => Some(StoredSecret {
                salt: salt.clone(),
                hash: hash.clone(),
            }),
            _ => None,
        }
    }

    /// Neither revoked nor expired at `now`.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|exp| exp > now)
    }
}

/// A key with its client, its client's tenant TTL overrides and whether the user owning the client is disabled:
/// everything a token request needs, in one read.
pub type KeyWithClient = (
    AccessKeyRow,
    ServiceClientRow,
    Option<Json<TtlOverrides>>,
    Option<bool>,
);

/// Stores a new key.
pub fn insert(conn: &mut DbConn, row: &AccessKeyRow) -> QueryResult<()> {
    diesel::insert_into(access_keys::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The key with this id, joined with its client and tenant in one round trip.
pub fn find_with_client(conn: &mut DbConn, key_id: &str) -> QueryResult<Option<KeyWithClient>> {
    let query = access_keys::table
        .inner_join(service_clients::table.left_join(tenants::table))
        .left_join(users::table.on(users::id.nullable().eq(service_clients::owner_id)))
        .filter(access_keys::id.eq(key_id))
        // Whole rows in column order (the structs mirror schema.rs), so the query is the same for both backends.
        .select((
            access_keys::all_columns,
            service_clients::all_columns,
            tenants::ttl.nullable(),
            users::disabled.nullable(),
        ));
    // The one read of a cold token request, kept prepared in each connection's statement cache (no `LIMIT`: the
    // module's documentation says why).
    let rows: Vec<KeyWithClient> = match conn {
        DbConn::Sqlite(sqlite) => query.load(sqlite)?,
        DbConn::Postgres(pg) => query.load(pg)?,
    };
    Ok(rows.into_iter().next())
}

/// Every key of a client, oldest first.
pub fn find_by_client(conn: &mut DbConn, client_id: &str) -> QueryResult<Vec<AccessKeyRow>> {
    access_keys::table
        .filter(access_keys::client_id.eq(client_id))
        .order((access_keys::created_at, access_keys::id))
        .select(AccessKeyRow::as_select())
        .load(conn)
}

/// Which keys the console's overview lists: of one tenant or of all.
pub enum Attention {
    /// Active keys that expire between now and this moment.
    ExpiringBefore(UnixTime),
    /// Active keys made before this moment and not used since it.
    UnusedSince(UnixTime),
}

/// Up to `limit` active keys (with their client's name) that need `attention`, soonest or oldest first.
pub fn needing_attention(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    attention: Attention,
    now: UnixTime,
    limit: i64,
) -> QueryResult<Vec<(AccessKeyRow, String)>> {
    let mut query = access_keys::table
        .inner_join(service_clients::table)
        .filter(access_keys::revoked_at.is_null())
        .filter(
            access_keys::expires_at
                .is_null()
                .or(access_keys::expires_at.gt(now)),
        )
        .select((AccessKeyRow::as_select(), service_clients::name))
        .limit(limit)
        .into_boxed();
    if let Some(tenant_id) = tenant_id {
        query = query.filter(service_clients::tenant_id.eq(tenant_id.to_string()));
    }
    query = match attention {
        Attention::ExpiringBefore(until) => query
            .filter(access_keys::expires_at.le(until))
            .order(access_keys::expires_at),
        Attention::UnusedSince(since) => query
            .filter(access_keys::created_at.lt(since))
            .filter(
                access_keys::last_used_at
                    .is_null()
                    .or(access_keys::last_used_at.lt(since)),
            )
            .order(access_keys::created_at),
    };
    query.load(conn)
}

/// How many of a client's keys are active at `now`.
pub fn count_active(conn: &mut DbConn, client_id: &str, now: UnixTime) -> QueryResult<i64> {
    access_keys::table
        .filter(access_keys::client_id.eq(client_id))
        .filter(access_keys::revoked_at.is_null())
        .filter(
            access_keys::expires_at
                .is_null()
                .or(access_keys::expires_at.gt(now)),
        )
        .count()
        .get_result(conn)
}

/// Marks a key of `client_id` revoked at `now`; returns whether an unrevoked key was found.
pub fn revoke(
    conn: &mut DbConn,
    client_id: &str,
    key_id: &str,
    now: UnixTime,
) -> QueryResult<bool> {
    diesel::update(access_keys::table.find(key_id))
        .filter(access_keys::client_id.eq(client_id))
        .filter(access_keys::revoked_at.is_null())
        .set(access_keys::revoked_at.eq(now))
        .execute(conn)
        .map(|n| n > 0)
}

/// On PostgreSQL, locks the client's row until the transaction ends, so that concurrent key creations for it
/// count active keys one after the other. SQLite's write transactions are serial already.
pub fn lock_client(conn: &mut DbConn, client_id: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query("SELECT 1 FROM service_clients WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(client_id)
            .execute(pg)?;
    }
    Ok(())
}

/// Sets `last_used_at` of many keys at once. On SQLite, in one transaction, one statement per second of use and 500
/// keys, since diesel prepares every update anew and a busy node's flush names thousands of keys.
pub fn update_last_used(conn: &mut DbConn, uses: &[(String, UnixTime)]) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        // One prepared statement for the whole batch: an `IN` list of hundreds of parameters is parsed and planned
        // anew on every flush, which cost PostgreSQL more than the rows themselves. A time never moves back, so two
        // nodes flushing the same key in either order leave the later use.
        use diesel::sql_types::{Array, BigInt, Text};
        let (ids, times): (Vec<&str>, Vec<i64>) = uses
            .iter()
            .map(|(id, at)| (id.as_str(), at.seconds()))
            .unzip();
        return diesel::sql_query(
            "UPDATE access_keys SET last_used_at = u.at \
             FROM unnest($1::text[], $2::bigint[]) AS u(id, at) \
             WHERE access_keys.id = u.id AND (last_used_at IS NULL OR last_used_at < u.at)",
        )
        .bind::<Array<Text>, _>(ids)
        .bind::<Array<BigInt>, _>(times)
        .execute(pg)
        .map(drop);
    }
    let mut by_time: std::collections::BTreeMap<UnixTime, Vec<&str>> = Default::default();
    for (key_id, at) in uses {
        by_time.entry(*at).or_default().push(key_id);
    }
    conn.transaction(|conn| {
        for (at, key_ids) in &by_time {
            for chunk in key_ids.chunks(500) {
                diesel::update(access_keys::table.filter(access_keys::id.eq_any(chunk)))
                    .set(access_keys::last_used_at.eq(at))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}
