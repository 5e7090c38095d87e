//! The `service_clients` table.

use diesel::prelude::*;

use super::column::Json;
use super::schema::service_clients;
use super::DbConn;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::IdKind;
use crate::domain::service_client::{ClientSpec, Owner, OwnerKind, ServiceClient};
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;

/// A service client row; list columns are JSON arrays.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_clients)]
pub struct ServiceClientRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub owner_type: Option<OwnerKind>,
    pub owner_id: Option<String>,
    pub is_public: bool,
    pub grant_types: Json<Vec<GrantType>>,
    pub scopes: Json<Vec<String>>,
    pub default_scopes: Option<Json<Vec<String>>>,
    pub redirect_uris: Json<Vec<String>>,
    pub allowed_origins: Json<Vec<String>>,
    pub ttl: Json<TtlOverrides>,
    pub created_at: UnixTime,
    pub post_logout_redirect_uris: Json<Vec<String>>,
    pub dpop_bound_access_tokens: bool,
}

impl ServiceClientRow {
    /// The row for a new client made from a validated spec.
    pub fn new(spec: &ClientSpec, created_at: UnixTime) -> ServiceClientRow {
        ServiceClientRow {
            id: IdKind::ServiceClient.generate(),
            tenant_id: spec.tenant_id.clone(),
            name: spec.name.trim().to_string(),
            owner_type: spec.owner.as_ref().map(|o| o.kind),
            owner_id: spec.owner.as_ref().map(|o| o.id.clone()),
            is_public: spec.public,
            grant_types: Json(spec.grant_types.clone()),
            scopes: Json(spec.scopes.clone()),
            default_scopes: spec.default_scopes.clone().map(Json),
            redirect_uris: Json(spec.redirect_uris.clone()),
            allowed_origins: Json(spec.allowed_origins.clone()),
            ttl: Json(spec.ttl.clone()),
            created_at,
            post_logout_redirect_uris: Json(spec.post_logout_redirect_uris.clone()),
            dpop_bound_access_tokens: spec.dpop_bound_access_tokens,
        }
    }
}

impl From<ServiceClientRow> for ServiceClient {
    fn from(row: ServiceClientRow) -> ServiceClient {
        let scopes = row.scopes.0;
        let owner = match (row.owner_type, row.owner_id) {
            (Some(kind), Some(id)) => Some(Owner { kind, id }),
            _ => None,
        };
        ServiceClient {
            default_scopes: row.default_scopes.map_or_else(|| scopes.clone(), |d| d.0),
            scopes,
            owner,
            grant_types: row.grant_types.0,
            redirect_uris: row.redirect_uris.0,
            allowed_origins: row.allowed_origins.0,
            post_logout_redirect_uris: row.post_logout_redirect_uris.0,
            dpop_bound_access_tokens: row.dpop_bound_access_tokens,
            ttl: row.ttl.0,
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            public: row.is_public,
            created_at: row.created_at,
        }
    }
}

/// Stores a new client.
pub fn insert(conn: &mut DbConn, row: &ServiceClientRow) -> QueryResult<()> {
    diesel::insert_into(service_clients::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The client with this id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<ServiceClientRow>> {
    service_clients::table
        .find(id)
        .select(ServiceClientRow::as_select())
        .get_result(conn)
        .optional()
}

/// Which clients a list shows: of one tenant, of one owner, whose name contains a text (case-insensitively).
#[derive(Debug, Default, Clone)]
pub struct ClientSelection<'a> {
    pub tenant_id: Option<&'a str>,
    pub owner_id: Option<&'a str>,
    pub name_contains: Option<&'a str>,
}

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Up to `limit` clients of `selection` ordered by id after the cursor `after`.
pub fn list(
    conn: &mut DbConn,
    selection: &ClientSelection,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ServiceClientRow>> {
    let mut query = service_clients::table
        .select(ServiceClientRow::as_select())
        .order(service_clients::id)
        .limit(limit)
        .into_boxed();
    if let Some(tenant_id) = selection.tenant_id {
        query = query.filter(service_clients::tenant_id.eq(tenant_id.to_string()));
    }
    if let Some(owner_id) = selection.owner_id {
        query = query.filter(service_clients::owner_id.eq(owner_id.to_string()));
    }
    if let Some(text) = selection.name_contains.filter(|t| !t.is_empty()) {
        // LIKE's own characters in the text match themselves.
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        // SQLite's LIKE ignores ASCII case already, and ASCII is all its lower() folds: calling it for every row
        // would only double the cost of a scan. PostgreSQL's LIKE is case-sensitive.
        query = match conn {
            DbConn::Sqlite(_) => query.filter(service_clients::name.like(pattern).escape('\\')),
            DbConn::Postgres(_) => {
                query.filter(lower(service_clients::name).like(pattern).escape('\\'))
            }
        };
    }
    if let Some(after) = after {
        query = query.filter(service_clients::id.gt(after.to_string()));
    }
    query.load(conn)
}

/// How many clients there are, in one tenant or in all.
pub fn count(conn: &mut DbConn, tenant_id: Option<&str>) -> QueryResult<i64> {
    match tenant_id {
        Some(tenant_id) => service_clients::table
            .filter(service_clients::tenant_id.eq(tenant_id))
            .count()
            .get_result(conn),
        None => service_clients::table.count().get_result(conn),
    }
}

/// Stores every changeable column of a client.
pub fn update(conn: &mut DbConn, row: &ServiceClientRow) -> QueryResult<()> {
    diesel::update(service_clients::table.find(&row.id))
        .set((
            service_clients::name.eq(&row.name),
            service_clients::grant_types.eq(&row.grant_types),
            service_clients::scopes.eq(&row.scopes),
            service_clients::default_scopes.eq(&row.default_scopes),
            service_clients::redirect_uris.eq(&row.redirect_uris),
            service_clients::allowed_origins.eq(&row.allowed_origins),
            service_clients::post_logout_redirect_uris.eq(&row.post_logout_redirect_uris),
            service_clients::dpop_bound_access_tokens.eq(row.dpop_bound_access_tokens),
            service_clients::ttl.eq(&row.ttl),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The ids of a tenant's clients.
pub fn ids_of_tenant(conn: &mut DbConn, tenant_id: &str) -> QueryResult<Vec<String>> {
    service_clients::table
        .filter(service_clients::tenant_id.eq(tenant_id))
        .select(service_clients::id)
        .load(conn)
}

/// The tenant of each of these clients that exists (`None` for a global client).
pub fn tenants_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, Option<String>)>> {
    service_clients::table
        .filter(service_clients::id.eq_any(ids))
        .select((service_clients::id, service_clients::tenant_id))
        .load(conn)
}

/// The clients a user owns.
pub fn owned_by_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<ServiceClientRow>> {
    service_clients::table
        .filter(service_clients::owner_type.eq(OwnerKind::User))
        .filter(service_clients::owner_id.eq(user_id))
        .select(ServiceClientRow::as_select())
        .load(conn)
}

/// Deletes a client and, through the foreign keys, its access keys. Returns whether it existed.
pub fn delete_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(service_clients::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

/// The bootstrap admin: a global client allowed `keygate:admin`, if `keygate init` has made one.
pub fn find_global_admin(conn: &mut DbConn) -> QueryResult<Option<ServiceClientRow>> {
    service_clients::table
        .filter(service_clients::tenant_id.is_null())
        .filter(service_clients::scopes.like("%\"keygate:admin\"%"))
        .select(ServiceClientRow::as_select())
        .get_result(conn)
        .optional()
}

/// A client with its tenant's lifetimes and whether its owning user is disabled: what a token for it needs.
pub type ClientForToken = (ServiceClientRow, Option<Json<TtlOverrides>>, Option<bool>);

pub fn find_for_token(conn: &mut DbConn, id: &str) -> QueryResult<Option<ClientForToken>> {
    use super::schema::{tenants, users};
    service_clients::table
        .left_join(tenants::table)
        .left_join(users::table.on(users::id.nullable().eq(service_clients::owner_id)))
        .filter(service_clients::id.eq(id))
        .select((
            ServiceClientRow::as_select(),
            tenants::ttl.nullable(),
            users::disabled.nullable(),
        ))
        .get_result(conn)
        .optional()
}

/// Every origin any client registered for browser calls.
pub fn all_allowed_origins(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let lists: Vec<Json<Vec<String>>> = service_clients::table
        .filter(service_clients::allowed_origins.ne("[]"))
        .select(service_clients::allowed_origins)
        .load(conn)?;
    Ok(lists.into_iter().flat_map(|list| list.0).collect())
}
