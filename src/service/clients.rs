//! Service clients: create, change, delete. Every reference a client makes (tenant, owner) exists and belongs to
//! the same tenant; deleting a client revokes its keys and tokens.

use super::records::{self, RecordInput};
use super::{audit, revoke_subject, transaction, Actor, Changed, Effects, ServiceError};
use crate::config::Config;
use crate::db::service_clients::{self, ServiceClientRow};
use crate::db::{access_records, refresh_tokens, tenants, users, DbConn};
use crate::domain::access::StatementInput;
use crate::domain::error_code::ErrorCode;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::{ClientId, IdKind};
use crate::domain::scope::ScopeToken;
use crate::domain::service_client::AbsoluteUri;
use crate::domain::service_client::{ClientSpec, Owner, OwnerKind, ServiceClient};
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;

/// Changes to a client; absent fields stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientChanges {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: Option<String>,
    #[schema(min_items = 1)]
    pub grant_types: Option<Vec<GrantType>>,
    #[schema(inline, value_type = Option<Vec<ScopeToken>>)]
    pub scopes: Option<Vec<String>>,
    #[schema(inline, value_type = Option<Vec<ScopeToken>>)]
    pub default_scopes: Option<Vec<String>>,
    #[schema(inline, value_type = Option<Vec<AbsoluteUri>>)]
    pub redirect_uris: Option<Vec<String>>,
    #[schema(inline, value_type = Option<Vec<AbsoluteUri>>)]
    pub allowed_origins: Option<Vec<String>>,
    #[schema(inline, value_type = Option<Vec<AbsoluteUri>>)]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub ttl: Option<TtlOverrides>,
    /// Require a DPoP proof with every token request (RFC 9449 §5.2).
    pub dpop_bound_access_tokens: Option<bool>,
}

/// The client `id` if the actor administers its tenant; 404 otherwise, whether it exists elsewhere or not at all.
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: &ClientId,
) -> Result<ServiceClient, ServiceError> {
    actor.require_admin()?;
    service_clients::find_by_id(conn, id.as_str())?
        .map(ServiceClient::from)
        .filter(|c| actor.can_see(c.tenant_id.as_deref()))
        .ok_or(ServiceError::NotFound("client"))
}

/// The client `id` if the actor may change it: an admin of its tenant, or the user who owns it.
pub fn find_writable(
    conn: &mut DbConn,
    actor: &Actor,
    id: &ClientId,
) -> Result<ServiceClient, ServiceError> {
    let client = service_clients::find_by_id(conn, id.as_str())?.map(ServiceClient::from);
    let owned = |c: &ServiceClient| {
        actor.as_user().is_some_and(|(user, tenant)| {
            c.tenant_id.as_deref() == Some(tenant)
                && c.owner
                    .as_ref()
                    .is_some_and(|o| o.kind == OwnerKind::User && o.id == user)
        })
    };
    client
        .filter(|c| actor.can_see(c.tenant_id.as_deref()) || owned(c))
        .ok_or(ServiceError::NotFound("client"))
}

pub(super) fn validated(spec: &ClientSpec, config: &Config) -> Result<(), ServiceError> {
    spec.validate(config.max_access_token_ttl)
        .map_err(|e| ServiceError::invalid(ErrorCode::InvalidClient, e.field(), e.to_string()))
}

/// Refuses an owner that does not exist or is of another tenant (the same answer for both).
fn ensure_owner_exists(conn: &mut DbConn, spec: &ClientSpec) -> Result<(), ServiceError> {
    let Some(Owner {
        kind: OwnerKind::User,
        id,
    }) = &spec.owner
    else {
        return Ok(());
    };
    let user = users::find_by_id(conn, id)?;
    match (user, &spec.tenant_id) {
        (Some(user), Some(tenant)) if &user.tenant_id == tenant => Ok(()),
        _ => Err(ServiceError::refused(
            ErrorCode::InvalidOwner,
            format!("owner {id:?} is not a user of the client's tenant"),
        )),
    }
}

/// A new client. Tenant admins make clients of their own tenant, global admins of any tenant or global ones. With
/// `access`, the same transaction makes the client's access record (named as the client, the client its subject):
/// the client holds those roles on those resources from its first token.
pub fn create(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    mut spec: ClientSpec,
    access: Option<StatementInput>,
) -> Result<Changed<ServiceClient>, ServiceError> {
    spec.tenant_id = actor.tenant_for_new(spec.tenant_id)?;
    validated(&spec, config)?;
    transaction(conn, |conn, _| {
        let client = insert(conn, actor, &spec)?;
        if let Some(statement) = access {
            let record = RecordInput {
                tenant_id: None,
                name: client.name.clone(),
                subjects: vec![client.id.clone()],
                admins: Vec::new(),
                statements: vec![statement],
            };
            records::insert(conn, actor, client.tenant_id.as_deref(), &record).map_err(
                |error| match error {
                    ServiceError::InvalidField(code, _, message) => {
                        ServiceError::InvalidField(code, "access", message)
                    }
                    other => other,
                },
            )?;
        }
        Ok(client)
    })
}

/// Stores a validated client of an existing tenant and audits it; the caller provides the transaction.
pub(super) fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    spec: &ClientSpec,
) -> Result<ServiceClient, ServiceError> {
    insert_with_id(conn, actor, spec, &IdKind::ServiceClient.generate())
}

/// `insert`, with the client's id chosen beforehand (a registration makes its keys before its transaction).
pub(super) fn insert_with_id(
    conn: &mut DbConn,
    actor: &Actor,
    spec: &ClientSpec,
    id: &str,
) -> Result<ServiceClient, ServiceError> {
    if let Some(tenant_id) = &spec.tenant_id {
        tenants::find_by_id(conn, tenant_id)?.ok_or(ServiceError::NotFound("tenant"))?;
    }
    ensure_owner_exists(conn, spec)?;
    let mut row = ServiceClientRow::new(spec, UnixTime::now());
    row.id = id.to_string();
    service_clients::insert(conn, &row)?;
    audit(
        conn,
        actor.event(
            "client.created",
            row.tenant_id.as_deref(),
            Some(&row.id),
            &row.id,
        ),
        None,
    )?;
    Ok(row.into())
}

/// Changes a client; updates are validated as creations are. Its cached keys are read again.
pub fn update(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    id: &ClientId,
    changes: ClientChanges,
) -> Result<Changed<ServiceClient>, ServiceError> {
    transaction(conn, |conn, effects| {
        let client = find_visible(conn, actor, id)?;
        let scopes = changes.scopes.unwrap_or(client.scopes.clone());
        let default_scopes = match changes.default_scopes {
            Some(asked) => asked,
            // Narrowing the scopes narrows the inherited defaults with them.
            None => client
                .default_scopes
                .iter()
                .filter(|d| scopes.contains(d))
                .cloned()
                .collect(),
        };
        let spec = ClientSpec {
            name: changes.name.unwrap_or(client.name.clone()),
            tenant_id: client.tenant_id.clone(),
            owner: client.owner.clone(),
            public: client.public,
            grant_types: changes.grant_types.unwrap_or(client.grant_types.clone()),
            default_scopes: Some(default_scopes),
            scopes,
            redirect_uris: changes
                .redirect_uris
                .unwrap_or(client.redirect_uris.clone()),
            allowed_origins: changes
                .allowed_origins
                .unwrap_or(client.allowed_origins.clone()),
            post_logout_redirect_uris: changes
                .post_logout_redirect_uris
                .unwrap_or(client.post_logout_redirect_uris.clone()),
            ttl: changes.ttl.unwrap_or(client.ttl.clone()),
            dpop_bound_access_tokens: changes
                .dpop_bound_access_tokens
                .unwrap_or(client.dpop_bound_access_tokens),
        };
        store_changes(conn, config, effects, actor, &client, &spec)
    })
}

/// Writes `spec` over the stored `client` inside the caller's transaction, validated as a creation is, and audits
/// it; its cached keys are read again.
pub(super) fn store_changes(
    conn: &mut DbConn,
    config: &Config,
    effects: &mut Effects,
    actor: &Actor,
    client: &ServiceClient,
    spec: &ClientSpec,
) -> Result<ServiceClient, ServiceError> {
    validated(spec, config)?;
    let mut row = ServiceClientRow::new(spec, client.created_at);
    row.id = client.id.clone();
    service_clients::update(conn, &row)?;
    audit(
        conn,
        actor.event(
            "client.updated",
            row.tenant_id.as_deref(),
            Some(&row.id),
            &row.id,
        ),
        None,
    )?;
    effects.stale.push(row.id.clone());
    Ok(row.into())
}

/// Deletes a client the actor administers or owns, with everything under it.
pub fn delete(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    id: &ClientId,
) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, effects| {
        let client = find_writable(conn, actor, id)?;
        remove(conn, config, effects, actor, &client)
    })
}

/// Deletes a client inside the caller's transaction: its refresh tokens, its keys and codes (through the foreign
/// keys), its place in records, the records its owner made for it, and every token it was issued.
pub(super) fn remove(
    conn: &mut DbConn,
    config: &Config,
    effects: &mut Effects,
    actor: &Actor,
    client: &ServiceClient,
) -> Result<(), ServiceError> {
    if let Some(Owner {
        kind: OwnerKind::User,
        id: owner,
    }) = &client.owner
    {
        for record in
            access_records::find_for_subject(conn, client.tenant_id.as_deref(), &client.id)?
        {
            if record.admins.contains(owner) {
                access_records::delete_by_id(conn, &record.id)?;
            }
        }
    }
    access_records::forget_subjects(conn, std::slice::from_ref(&client.id))?;
    refresh_tokens::delete_for_client(conn, &client.id)?;
    service_clients::delete_by_id(conn, &client.id)?;
    revoke_subject(conn, effects, config.max_access_token_ttl, &client.id)?;
    audit(
        conn,
        actor.event(
            "client.deleted",
            client.tenant_id.as_deref(),
            Some(&client.id),
            &client.id,
        ),
        None,
    )?;
    Ok(())
}
