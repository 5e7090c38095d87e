//! A signed-in user's own service clients (`/v1/self` and the account pages): one call makes the client, the
//! access record that limits it to resources the user may grant, and its first secret key, all or nothing.

use crate::db::column::Json;
use serde::{Deserialize, Serialize};

use super::access::ensure_user_holds;
use super::keys::{self, KeyView};
use super::{clients, transaction, Actor, Changed, ServiceError};
use crate::config::Config;
use crate::crypto::client_keys;
use crate::db::access_records::{self, AccessRecordRow};
use crate::db::service_clients::{self, ClientSelection};
use crate::db::{access_keys, roles, DbConn};
use crate::domain::access::Statement;
use crate::domain::access_key::KeyRequest;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::IdKind;
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::domain::resource::{ResourcePattern, ResourcePatternText};
use crate::domain::service_client::{ClientSpec, Owner, OwnerKind, ServiceClient};
use crate::domain::time::UnixTime;

/// A new client of the calling user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOwnClient {
    pub name: String,
    /// A role of the user's tenant (or a global one).
    pub role: String,
    /// Resource patterns; default `/users/{user id}/*`. Each must be within what the user holds for the role.
    pub resources: Option<Vec<String>>,
}

/// A user's client with its record and keys; `key` in the first key only in the creation answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnClient {
    pub client: ServiceClient,
    pub role: Option<String>,
    #[schema(inline, value_type = Vec<ResourcePatternText>)]
    pub resources: Vec<ResourcePattern>,
    pub keys: Vec<KeyView>,
}

/// The user and tenant of an actor who is a user; everyone else has nothing of their own here.
pub fn user_of(actor: &Actor) -> Result<(String, String), ServiceError> {
    actor
        .as_user()
        .map(|(user, tenant)| (user.to_string(), tenant.to_string()))
        .ok_or_else(|| {
            ServiceError::Forbidden("these endpoints are for users' own access tokens".into())
        })
}

/// Makes the user's client, its record and its first key (shown in the answer only).
pub fn create(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    input: NewOwnClient,
) -> Result<Changed<OwnClient>, ServiceError> {
    let (user_id, tenant_id) = user_of(actor)?;
    let resources = input
        .resources
        .unwrap_or_else(|| vec![format!("/users/{user_id}/*")]);
    let resources = resources
        .iter()
        .map(|r| ResourcePattern::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::refused(ErrorCode::InvalidResource, e.to_string()))?;
    let mut spec = ClientSpec::confidential(&input.name, Some(tenant_id.clone()), Vec::new());
    spec.owner = Some(Owner {
        kind: OwnerKind::User,
        id: user_id.clone(),
    });
    spec.validate(config.max_access_token_ttl)
        .map_err(|e| ServiceError::invalid(ErrorCode::InvalidClient, e.field(), e.to_string()))?;
    transaction(conn, |conn, _| {
        let role = roles::find_visible(
            conn,
            Some(&tenant_id),
            Some(std::slice::from_ref(&input.role)),
        )?
        .into_iter()
        .max_by_key(|r| r.tenant_id.is_some())
        .ok_or_else(|| {
            ServiceError::refused(
                ErrorCode::UnknownRole,
                format!("no role named {:?}", input.role),
            )
        })?;
        let statement = Statement {
            roles: vec![role.name.clone()],
            resources,
        };
        ensure_user_holds(conn, &user_id, &tenant_id, std::slice::from_ref(&statement))?;
        let client = clients::insert(conn, actor, &spec)?;
        let record = AccessRecordRow {
            id: IdKind::AccessRecord.generate(),
            tenant_id: Some(tenant_id.clone()),
            name: format!("{} (self-service)", client.name),
            admins: Json(vec![user_id.clone()]),
            statements: Json(vec![statement.clone()]),
            created_at: UnixTime::now(),
        };
        access_records::insert(conn, &record, std::slice::from_ref(&client.id))?;
        super::audit(
            conn,
            actor.event(
                "record.created",
                Some(&tenant_id),
                Some(&client.id),
                &record.id,
            ),
            None,
        )?;
        let made =
            client_keys::make(KeyRequest::Secret, &client.id, "").map_err(anyhow::Error::from)?;
        let key = keys::insert(conn, actor, &client, &made, None)?;
        Ok(OwnClient {
            client,
            role: Some(role.name),
            resources: statement.resources,
            keys: vec![key],
        })
    })
}

/// The user's clients with their role, resources and keys.
pub fn list(conn: &mut DbConn, actor: &Actor) -> Result<Vec<OwnClient>, ServiceError> {
    let (user_id, tenant_id) = user_of(actor)?;
    let clients = service_clients::list(
        conn,
        &ClientSelection {
            tenant_id: Some(&tenant_id),
            owner_id: Some(&user_id),
            name_contains: None,
        },
        None,
        500,
    )?;
    clients
        .into_iter()
        .map(|client| {
            let records = access_records::find_for_subject(conn, Some(&tenant_id), &client.id)?;
            let keys = access_keys::find_by_client(conn, &client.id)?;
            let statements: Vec<Statement> =
                records.into_iter().flat_map(|r| r.statements.0).collect();
            Ok(OwnClient {
                role: statements.first().and_then(|s| s.roles.first().cloned()),
                resources: statements
                    .iter()
                    .flat_map(|s| s.resources.clone())
                    .collect(),
                keys: keys.into_iter().map(KeyView::from).collect(),
                client: client.into(),
            })
        })
        .collect()
}

/// Deletes one of the user's own clients (nobody else's, whatever else they administer).
pub fn delete(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    client_id: &ClientId,
) -> Result<Changed<()>, ServiceError> {
    let (user_id, _) = user_of(actor)?;
    ensure_owned(conn, &user_id, client_id.as_str())?;
    clients::delete(conn, config, actor, client_id)
}

/// Revokes a key of one of the user's own clients.
pub fn revoke_key(
    conn: &mut DbConn,
    actor: &Actor,
    client_id: &ClientId,
    key_id: &AccessKeyId,
) -> Result<Changed<()>, ServiceError> {
    let (user_id, _) = user_of(actor)?;
    ensure_owned(conn, &user_id, client_id.as_str())?;
    keys::revoke(conn, actor, client_id, key_id)
}

fn ensure_owned(conn: &mut DbConn, user_id: &str, client_id: &str) -> Result<(), ServiceError> {
    let owned = service_clients::find_by_id(conn, client_id)?
        .map(ServiceClient::from)
        .is_some_and(|c| {
            c.owner
                .is_some_and(|o| o.kind == OwnerKind::User && o.id == user_id)
        });
    match owned {
        true => Ok(()),
        false => Err(ServiceError::NotFound("client")),
    }
}
