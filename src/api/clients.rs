//! `/v1/clients`: service clients of tenants, users and internal services.

use crate::domain::scope::ScopeToken;
use crate::domain::service_client::AbsoluteUri;
use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::db::service_clients::{self, ClientSelection};
use crate::db::tenants;
use crate::domain::access::StatementInput;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::ClientId;
use crate::domain::service_client::{ClientSpec, Owner, ServiceClient};
use crate::domain::ttl::{self, EffectiveTtl, TtlOverrides};
use crate::error::ApiError;
use crate::service::clients::{self as service, ClientChanges as UpdateClient};
use crate::state::AppState;

/// A new service client (docs/contract.md).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// The tenant; a tenant admin's clients are always in its own tenant. Absent: a global client.
    #[schema(pattern = "^ten_[0-9A-Za-z]{22}$")]
    pub tenant_id: Option<String>,
    pub owner: Option<Owner>,
    /// A public client (an SPA) has no keys and uses PKCE.
    #[serde(default)]
    pub public: bool,
    /// Default: `client_credentials` for confidential clients, `authorization_code` and `refresh_token` for public ones.
    #[schema(min_items = 1)]
    pub grant_types: Option<Vec<GrantType>>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<ScopeToken>)]
    pub scopes: Vec<String>,
    /// Granted when a token request names no scope; default: all of `scopes`.
    #[schema(inline, value_type = Option<Vec<ScopeToken>>)]
    pub default_scopes: Option<Vec<String>>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<AbsoluteUri>)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<AbsoluteUri>)]
    pub allowed_origins: Vec<String>,
    /// Where `/oauth/logout` may send the browser back to.
    #[serde(default)]
    #[schema(inline, value_type = Vec<AbsoluteUri>)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub ttl: TtlOverrides,
    /// Require a DPoP proof (RFC 9449) with every token request; its tokens are bound to the proof's key.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// Made with the client in one step: an access record (named as the client) giving it these roles on these
    /// resources.
    pub access: Option<StatementInput>,
}

/// A client with each grant's effective token lifetime and where it comes from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    #[serde(flatten)]
    pub client: ServiceClient,
    /// Present on single-client answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_ttl: Option<BTreeMap<String, EffectiveTtl>>,
}

/// `?tenant_id=&owner_id=` filters of the client list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientFilter {
    pub tenant_id: Option<String>,
    pub owner_id: Option<String>,
}

#[utoipa::path(operation_id = "create_client", post, path = "/v1/clients", tag = "clients", request_body = CreateClient,
    responses((status = 201, body = ClientView), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let default_grants = match body.public {
        true => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        false => vec![GrantType::ClientCredentials],
    };
    let spec = ClientSpec {
        name: body.name,
        tenant_id: body.tenant_id,
        owner: body.owner,
        public: body.public,
        grant_types: body.grant_types.unwrap_or(default_grants),
        scopes: body.scopes,
        default_scopes: body.default_scopes,
        redirect_uris: body.redirect_uris,
        allowed_origins: body.allowed_origins,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        ttl: body.ttl,
        dpop_bound_access_tokens: body.dpop_bound_access_tokens,
    };
    let config = state.config.clone();
    let client = state
        .change(move |conn| service::create(conn, &config, &principal.actor, spec, body.access))
        .await?;
    Ok(HttpResponse::Created().json(view(&state, client).await?))
}

/// The client with its effective lifetimes (one more read for the tenant's overrides).
async fn view(state: &AppState, client: ServiceClient) -> Result<ClientView, ApiError> {
    let tenant_id = client.tenant_id.clone();
    let tenant = match tenant_id {
        Some(id) => {
            state
                .db
                .run(move |conn| tenants::find_by_id(conn, &id))
                .await?
        }
        None => None,
    };
    let tenant_ttl = tenant.map(|t| t.ttl.0);
    let effective = ttl::resolve_all(&client.ttl, tenant_ttl.as_ref(), &state.config.server_ttl());
    Ok(ClientView {
        client,
        effective_ttl: Some(effective),
    })
}

#[utoipa::path(operation_id = "list_clients", get, path = "/v1/clients", tag = "clients", params(PageQuery, ClientFilter),
    responses((status = 200, body = Page<ClientView>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    filter: web::Query<ClientFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.into_inner();
    let tenant_id = principal.tenant_filter(filter.tenant_id)?;
    let (limit, cursor, owner_id) = (page.limit(), page.cursor.clone(), filter.owner_id);
    let rows = state
        .db
        .run(move |conn| {
            let selection = ClientSelection {
                tenant_id: tenant_id.as_deref(),
                owner_id: owner_id.as_deref(),
                name_contains: None,
            };
            service_clients::list(conn, &selection, cursor.as_deref(), limit + 1)
        })
        .await?;
    let views = rows
        .into_iter()
        .map(|row| ClientView {
            client: row.into(),
            effective_ttl: None,
        })
        .collect();
    Ok(
        HttpResponse::Ok().json(Page::from_rows(views, limit, |v: &ClientView| {
            v.client.id.clone()
        })),
    )
}

#[utoipa::path(operation_id = "get_client", get, path = "/v1/clients/{id}", params(("id" = inline(ClientId), Path)), tag = "clients",
    responses((status = 200, body = ClientView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client = state
        .db
        .run_as(move |conn| service::find_visible(conn, &principal, &id))
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, client).await?))
}

#[utoipa::path(operation_id = "update_client", patch, path = "/v1/clients/{id}", params(("id" = inline(ClientId), Path)), tag = "clients", request_body = UpdateClient,
    responses((status = 200, body = ClientView), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ClientId>,
    body: web::Json<UpdateClient>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.into_inner();
    let config = state.config.clone();
    let client = state
        .change(move |conn| service::update(conn, &config, &principal.actor, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, client).await?))
}

#[utoipa::path(operation_id = "delete_client", delete, path = "/v1/clients/{id}", params(("id" = inline(ClientId), Path)), tag = "clients",
    description = "Deletes the client with its keys and refresh tokens; its access tokens are refused from now on.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let config = state.config.clone();
    state
        .change(move |conn| service::delete(conn, &config, &principal.actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
