//! `/v1/self/clients`: a signed-in user's own service clients (the user story of issue 5). One call makes the
//! client, the access record that limits it (to resources the user may grant) and its first key, all or nothing.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Principal;
use super::authorize::statements_of;
use super::keys::KeyView;
use crate::audit::AuditEvent;
use crate::db::access_keys::{self, AccessKeyRow};
use crate::db::access_records::{self, AccessRecordRow};
use crate::db::service_clients::ServiceClientRow;
use crate::db::{roles, service_clients};
use crate::domain::access::{self, Statement};
use crate::domain::access_key::{self as key_kinds, KeyRequest};
use crate::domain::ids::IdKind;
use crate::domain::resource::ResourcePattern;
use crate::domain::service_client::{ClientSpec, Owner, OwnerKind, ServiceClient};
use crate::domain::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/self/clients", web::post().to(create))
        .route("/self/clients", web::get().to(list))
        .route("/self/clients/{id}", web::delete().to(delete))
        .route(
            "/self/clients/{id}/keys/{key_id}",
            web::delete().to(revoke_key),
        );
}

/// A new client of the calling user (DESIGN.md §7).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOwnClient {
    pub name: String,
    /// A role of the user's tenant (or a global one).
    pub role: String,
    /// Resource patterns; default `/users/{user id}/*`. Each must be within what the user holds for the role.
    pub resources: Option<Vec<String>>,
}

/// A user's client with its record and keys; `key` in `first_key` only in the creation answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnClient {
    pub client: ServiceClient,
    pub role: Option<String>,
    pub resources: Vec<String>,
    pub keys: Vec<KeyView>,
}

/// The calling user and their tenant; other callers have nothing of their own here.
fn user_of(principal: &Principal) -> Result<(String, String), ApiError> {
    match (
        &principal.tenant_id,
        IdKind::User.matches(&principal.subject),
    ) {
        (Some(tenant), true) => Ok((principal.subject.clone(), tenant.clone())),
        _ => Err(ApiError::forbidden(
            "these endpoints are for users' own access tokens",
        )),
    }
}

#[utoipa::path(post, operation_id = "create_own_client", path = "/v1/self/clients", tag = "self", request_body = CreateOwnClient,
    responses((status = 201, body = OwnClient), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateOwnClient>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, tenant_id) = user_of(&principal)?;
    let answer = create_own_client(&state, &user_id, &tenant_id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(answer))
}

/// Makes the user's client, its record and its first key (shown in the answer only).
pub async fn create_own_client(
    state: &AppState,
    user_id: &str,
    tenant_id: &str,
    body: CreateOwnClient,
) -> Result<OwnClient, ApiError> {
    let (user_id, tenant_id) = (user_id.to_string(), tenant_id.to_string());
    let resources = body
        .resources
        .clone()
        .unwrap_or_else(|| vec![format!("/users/{user_id}/*")]);
    let patterns: Vec<ResourcePattern> = resources
        .iter()
        .map(|r| {
            ResourcePattern::parse(r)
                .map_err(|e| ApiError::unprocessable("invalid_resource", e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let (tenant, role_name) = (tenant_id.clone(), vec![body.role.clone()]);
    let role = state
        .db
        .run(move |conn| roles::find_visible(conn, Some(&tenant), Some(&role_name)))
        .await?;
    let role = role.into_iter().max_by_key(|r| r.tenant_id.is_some());
    let role = role.ok_or_else(|| {
        ApiError::unprocessable("unknown_role", format!("no role named {:?}", body.role))
    })?;
    let (statements, mut held_roles) =
        statements_of(state, Some(tenant_id.clone()), user_id.clone()).await?;
    let held = access::held_by_user(&user_id, statements, &mut held_roles);
    if !access::may_grant(&held, &held_roles, &role.permissions(), &patterns) {
        return Err(ApiError::forbidden(
            "you cannot grant more than you hold: the role's permissions on these resources",
        ));
    }
    let mut spec = ClientSpec::confidential(&body.name, Some(tenant_id.clone()), Vec::new());
    spec.owner = Some(Owner {
        kind: OwnerKind::User,
        id: user_id.clone(),
    });
    spec.validate(state.config.max_access_token_ttl)
        .map_err(|e| ApiError::unprocessable("invalid_client", e.to_string()))?;
    let now = unix_now();
    let client = ServiceClientRow::new(&spec, now);
    let statement = Statement {
        roles: vec![role.name.clone()],
        resources: patterns.iter().map(ResourcePattern::to_text).collect(),
    };
    let record = AccessRecordRow {
        id: IdKind::AccessRecord.generate(),
        tenant_id: Some(tenant_id.clone()),
        name: format!("{} (self-service)", spec.name.trim()),
        admins: json!([user_id]).to_string(),
        statements: json!([statement]).to_string(),
        created_at: now,
    };
    let made = key_kinds::make(KeyRequest::Secret, &client.id, "").map_err(ApiError::internal)?;
    let key = AccessKeyRow::new(&made, &client.id, now, None);
    let (c, r, k) = (client.clone(), record.clone(), key.clone());
    state
        .db
        .run(move |conn| service_clients::insert_with_record_and_key(conn, &c, &r, &k))
        .await?;
    state.audit.record(AuditEvent {
        tenant_id: Some(tenant_id),
        client_id: Some(client.id.clone()),
        actor: Some(user_id),
        target: Some(client.id.clone()),
        detail: Some(json!({"record": record.id, "key": key.id, "role": role.name})),
        ..AuditEvent::new("client.created")
    });
    let mut key_view = KeyView::from(key);
    key_view.key = made.shown_once;
    Ok(OwnClient {
        client: client.into(),
        role: Some(role.name),
        resources: statement.resources,
        keys: vec![key_view],
    })
}

/// The user's clients with their role, resources and keys.
pub async fn own_clients(
    state: &AppState,
    user_id: &str,
    tenant_id: &str,
) -> Result<Vec<OwnClient>, ApiError> {
    let (user, tenant) = (user_id.to_string(), tenant_id.to_string());
    let found = state
        .db
        .run(move |conn| {
            let clients = service_clients::list(conn, Some(&tenant), Some(&user), None, 500)?;
            clients
                .into_iter()
                .map(|client| {
                    let records =
                        access_records::find_for_subject(conn, Some(&tenant), &client.id)?;
                    let keys = access_keys::find_by_client(conn, &client.id)?;
                    Ok((client, records, keys))
                })
                .collect::<diesel::QueryResult<Vec<_>>>()
        })
        .await?;
    Ok(found
        .into_iter()
        .map(|(client, records, keys)| {
            let statements: Vec<Statement> = records
                .iter()
                .flat_map(|r| {
                    serde_json::from_str::<Vec<Statement>>(&r.statements).unwrap_or_default()
                })
                .collect();
            OwnClient {
                role: statements.first().and_then(|s| s.roles.first().cloned()),
                resources: statements
                    .iter()
                    .flat_map(|s| s.resources.clone())
                    .collect(),
                keys: keys.into_iter().map(KeyView::from).collect(),
                client: client.into(),
            }
        })
        .collect())
}

#[utoipa::path(get, operation_id = "list_own_clients", path = "/v1/self/clients", tag = "self",
    responses((status = 200, body = Vec<OwnClient>)), security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let (user_id, tenant_id) = user_of(&principal)?;
    Ok(HttpResponse::Ok().json(own_clients(&state, &user_id, &tenant_id).await?))
}

/// The client `id` if the user owns it.
pub async fn find_own(
    state: &AppState,
    user_id: &str,
    client_id: String,
) -> Result<ServiceClient, ApiError> {
    let row = state
        .db
        .run(move |conn| service_clients::find_by_id(conn, &client_id))
        .await?;
    let owned = |c: &ServiceClient| {
        c.owner
            .as_ref()
            .is_some_and(|o| o.kind == OwnerKind::User && o.id == user_id)
    };
    row.map(ServiceClient::from)
        .filter(owned)
        .ok_or_else(|| ApiError::not_found("client"))
}

/// Deletes a user's client, its keys and the records that were made for it.
pub async fn delete_own(
    state: &AppState,
    user_id: &str,
    client: &ServiceClient,
) -> Result<(), ApiError> {
    let (id, tenant, user) = (
        client.id.clone(),
        client.tenant_id.clone(),
        user_id.to_string(),
    );
    state
        .db
        .run(move |conn| {
            for record in access_records::find_for_subject(conn, tenant.as_deref(), &id)? {
                let admins: Vec<String> = serde_json::from_str(&record.admins).unwrap_or_default();
                if admins.contains(&user) {
                    access_records::delete_by_id(conn, &record.id)?;
                }
            }
            service_clients::delete_by_id(conn, &id)
        })
        .await?;
    let client_id = client.id.clone();
    state.forget_keys(move |entry| entry.client.id == client_id);
    Ok(())
}

#[utoipa::path(delete, operation_id = "delete_own_client", path = "/v1/self/clients/{id}", tag = "self",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, _) = user_of(&principal)?;
    let client = find_own(&state, &user_id, id.into_inner()).await?;
    delete_own(&state, &user_id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes a key of a user's own client.
pub async fn revoke_own_key(
    state: &AppState,
    client: &ServiceClient,
    key_id: String,
) -> Result<(), ApiError> {
    let (client_id, key) = (client.id.clone(), key_id.clone());
    if !state
        .db
        .run(move |conn| access_keys::revoke(conn, &client_id, &key, unix_now()))
        .await?
    {
        return Err(ApiError::not_found("active key"));
    }
    state.credentials.invalidate(&key_id);
    Ok(())
}

#[utoipa::path(delete, operation_id = "revoke_own_key", path = "/v1/self/clients/{id}/keys/{key_id}", tag = "self",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_key(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, _) = user_of(&principal)?;
    let (client_id, key_id) = path.into_inner();
    let client = find_own(&state, &user_id, client_id).await?;
    revoke_own_key(&state, &client, key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
