//! `/console/clients`: the service clients in reach (searchable, paged), a new one, and the client screen: its
//! settings, each grant's effective token lifetime and where it comes from, and its keys (add one, shown once;
//! revoke).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::db::roles::{self, RoleRow};
use crate::db::service_clients::{self, ClientSelection};
use crate::db::tenants::{self, TenantRow};
use crate::db::users::{self, UserRow};
use crate::domain::access::StatementInput;
use crate::domain::access_key::KeyRequest;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::domain::service_client::{ClientSpec, Owner, OwnerKind, ServiceClient};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;
use crate::domain::ttl::{self, EffectiveTtl};
use crate::form::OAuthForm;
use crate::pages::extract::PageError;
use crate::service::keys::{self, KeyView};
use crate::service::{clients as service, ServiceError};
use crate::state::AppState;

/// Clients per page of the list.
const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ClientsPage<'a> {
    nav: Nav,
    clients: &'a [ServiceClient],
    search: &'a str,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/client_new.html")]
struct NewClientPage<'a> {
    nav: Nav,
    choices: &'a Choices,
    form: &'a ClientForm,
    error: Option<&'a PageError>,
}

/// What the new-client form offers: the tenants an operator may pick, the users who may own the client, the roles
/// it may be given.
struct Choices {
    tenants: Vec<TenantRow>,
    users: Vec<UserRow>,
    roles: Vec<RoleRow>,
}

/// What the new-client form held, to show again with its error.
#[derive(Default)]
struct ClientForm {
    name: String,
    tenant_id: String,
    owner_id: String,
    public: bool,
    grant_types: Vec<GrantType>,
    scopes: String,
    redirect_uris: String,
    allowed_origins: String,
    role: String,
    resources: String,
}

impl ClientForm {
    fn read(form: &OAuthForm) -> ClientForm {
        let field = |name: &str| form.get(name).unwrap_or_default().trim().to_string();
        ClientForm {
            name: field("name"),
            tenant_id: field("tenant_id"),
            owner_id: field("owner_id"),
            public: form.get("public") == Some("on"),
            grant_types: GrantType::ALL
                .into_iter()
                .filter(|g| form.get(&format!("grant_{}", g.as_str())) == Some("on"))
                .collect(),
            scopes: field("scopes"),
            redirect_uris: field("redirect_uris"),
            allowed_origins: field("allowed_origins"),
            role: field("role"),
            resources: field("resources"),
        }
    }

    fn has_grant(&self, name: &str) -> bool {
        self.grant_types.iter().any(|g| g.as_str() == name)
    }

    /// The access record to make with the client: none when both the role and the resources are left empty.
    fn access(&self) -> Option<StatementInput> {
        (!self.role.is_empty() || !self.resources.is_empty()).then(|| StatementInput {
            roles: words(&self.role),
            resources: words(&self.resources),
        })
    }

    fn spec(&self, admin: &Admin) -> ClientSpec {
        let tenant_id = match &admin.tenant {
            Some(tenant) => Some(tenant.id.clone()),
            None => Some(self.tenant_id.clone()).filter(|t| !t.is_empty()),
        };
        ClientSpec {
            name: self.name.clone(),
            tenant_id,
            owner: Some(self.owner_id.clone())
                .filter(|o| !o.is_empty())
                .map(|id| Owner {
                    kind: OwnerKind::User,
                    id,
                }),
            public: self.public,
            grant_types: self.grant_types.clone(),
            scopes: words(&self.scopes),
            default_scopes: None,
            redirect_uris: words(&self.redirect_uris),
            allowed_origins: words(&self.allowed_origins),
            post_logout_redirect_uris: Vec::new(),
            ttl: Default::default(),
            dpop_bound_access_tokens: false,
        }
    }
}

/// The words of a field: scopes, URIs and resource patterns are separated by spaces or lines.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

/// The grant types offered on the form, with their labels.
pub const GRANT_LABELS: [(&str, &str); 4] = [
    (
        "client_credentials",
        "client credentials (a backend with keys)",
    ),
    (
        "authorization_code",
        "authorization code with PKCE (people, in a browser)",
    ),
    ("refresh_token", "refresh tokens"),
    ("password", "password (legacy)"),
];

async fn new_client_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    form: &ClientForm,
    error: Option<&PageError>,
) -> Result<HttpResponse, PageError> {
    let tenant_id = admin.tenant.as_ref().map(|t| t.id.clone());
    let choices = state
        .db
        .run(move |conn| {
            Ok(Choices {
                tenants: match &tenant_id {
                    None => tenants::list(conn, None, i64::MAX)?,
                    Some(_) => Vec::new(),
                },
                users: match &tenant_id {
                    Some(tenant_id) => users::list(conn, tenant_id, None, i64::MAX)?,
                    None => Vec::new(),
                },
                roles: roles::find_visible(conn, tenant_id.as_deref(), None)?,
            })
        })
        .await?;
    Ok(page(req, state, admin, status, |nav| {
        render(NewClientPage {
            nav,
            choices: &choices,
            form,
            error,
        })
    }))
}

/// `?q=` (a part of the name) and `?after=` (the last client of the previous page).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
}

/// `GET /console/clients`: a page of the clients in reach, by name if searched.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant_id = admin.actor.tenant_filter(None)?;
    let (search, after) = (query.q.clone(), query.after.clone());
    let mut rows = state
        .db
        .run(move |conn| {
            let selection = ClientSelection {
                tenant_id: tenant_id.as_deref(),
                owner_id: None,
                name_contains: Some(search.as_str()),
            };
            service_clients::list(conn, &selection, after.as_deref(), PAGE_SIZE + 1)
        })
        .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let clients: Vec<ServiceClient> = rows.into_iter().map(ServiceClient::from).collect();
    let next = more.then(|| {
        let last = clients.last().map(|c| c.id.as_str()).unwrap_or_default();
        let search: String = url::form_urlencoded::byte_serialize(query.q.as_bytes()).collect();
        format!("/console/clients?q={search}&after={last}")
    });
    Ok(page(&req, &state, &admin, StatusCode::OK, |nav| {
        render(ClientsPage {
            nav,
            clients: &clients,
            search: &query.q,
            next,
        })
    }))
}

/// `GET /console/clients/new`: the form for a new client, by default a backend with keys.
pub async fn new(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    let form = ClientForm {
        grant_types: vec![GrantType::ClientCredentials],
        ..Default::default()
    };
    new_client_page(&req, &state, &admin, StatusCode::OK, &form, None).await
}

/// `POST /console/clients/new`: a new client, with its access record if a role or resources were given, then its
/// screen.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let typed = ClientForm::read(&form);
    let (spec, access, config, actor) = (
        typed.spec(&admin),
        typed.access(),
        state.config.clone(),
        admin.actor.clone(),
    );
    match state
        .change(move |conn| service::create(conn, &config, &actor, spec, access))
        .await
    {
        Ok(client) => Ok(see_other(&format!("/console/clients/{}", client.id))),
        Err(error) => {
            let error = PageError::from(error);
            new_client_page(&req, &state, &admin, error.status(), &typed, Some(&error)).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/client.html")]
struct ClientPage<'a> {
    nav: Nav,
    client: &'a ServiceClient,
    effective_ttl: &'a BTreeMap<String, EffectiveTtl>,
    keys: &'a [KeyView],
    error: Option<&'a PageError>,
}

impl ClientPage<'_> {
    fn has_grant(&self, name: &str) -> bool {
        self.client.grant_types.iter().any(|g| g.as_str() == name)
    }
}

/// A client id from the path; one of no client id's shape is no client.
fn client_id(path: &str) -> Result<ClientId, PageError> {
    ClientId::parse(path).map_err(|_| ServiceError::NotFound("client").into())
}

async fn client_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    id: ClientId,
    status: StatusCode,
    error: Option<&PageError>,
) -> Result<HttpResponse, PageError> {
    let actor = admin.actor.clone();
    let (client, tenant, keys) = state
        .db
        .run_as(move |conn| {
            let client = service::find_visible(conn, &actor, &id)?;
            let tenant = match &client.tenant_id {
                Some(tenant_id) => tenants::find_by_id(conn, tenant_id)?,
                None => None,
            };
            let keys = keys::list(conn, &actor, &id)?;
            Ok::<_, ServiceError>((client, tenant, keys))
        })
        .await?;
    let tenant_ttl = tenant.map(|t| t.ttl.0);
    let effective_ttl =
        ttl::resolve_all(&client.ttl, tenant_ttl.as_ref(), &state.config.server_ttl());
    Ok(page(req, state, admin, status, |nav| {
        render(ClientPage {
            nav,
            client: &client,
            effective_ttl: &effective_ttl,
            keys: &keys,
            error,
        })
    }))
}

/// `GET /console/clients/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    client_page(
        &req,
        &state,
        &admin,
        client_id(&path)?,
        StatusCode::OK,
        None,
    )
    .await
}

#[derive(Template)]
#[template(path = "console/key_created.html")]
struct KeyCreatedPage<'a> {
    nav: Nav,
    client_id: &'a str,
    key: &'a KeyView,
    secret: &'a str,
}

/// The key the form asks for: `kind` is `secret`, `private_key:<alg>` or `public_key` (with `public_key`, a PEM).
fn key_request(form: &OAuthForm) -> Result<KeyRequest, PageError> {
    let refused = |message: &str| {
        PageError::Told(StatusCode::UNPROCESSABLE_ENTITY, message.to_string().into())
    };
    match form.get("kind").unwrap_or_default() {
        "secret" => Ok(KeyRequest::Secret),
        "public_key" => Ok(KeyRequest::PublicKey(serde_json::Value::String(
            form.get("public_key").unwrap_or_default().to_string(),
        ))),
        kind => match kind
            .strip_prefix("private_key:")
            .and_then(SigningAlg::parse)
        {
            Some(alg) => Ok(KeyRequest::PrivateKey(alg)),
            None => Err(refused("Choose a kind of key.")),
        },
    }
}

/// The optional expiry date (`YYYY-MM-DD`): the end of that day in UTC.
fn expiry(form: &OAuthForm) -> Result<Option<UnixTime>, PageError> {
    match form.get("expires_on").unwrap_or_default().trim() {
        "" => Ok(None),
        date => match super::day_start(date) {
            Some(start) => Ok(Some(start + (24 * 3600 - 1))),
            None => Err(PageError::Told(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The expiry must be a date.".into(),
            )),
        },
    }
}

/// `POST /console/clients/{id}/keys`: a new key, shown once.
pub async fn add_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = client_id(&path)?;
    let made = async {
        let (request, expires_at) = (key_request(&form)?, expiry(&form)?);
        Ok::<_, PageError>(
            state
                .add_key(&admin.actor, &id, request, expires_at)
                .await?,
        )
    };
    match made.await {
        Ok(key) => {
            let secret = key.key.clone().unwrap_or_default();
            let mut response = page(&req, &state, &admin, StatusCode::OK, |nav| {
                render(KeyCreatedPage {
                    nav,
                    client_id: id.as_str(),
                    key: &key,
                    secret: &secret,
                })
            });
            response.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(error) => client_page(&req, &state, &admin, id, error.status(), Some(&error)).await,
    }
}

/// `POST /console/clients/{id}/keys/{key_id}/revoke`.
pub async fn revoke_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = client_id(&path.0)?;
    let key_id =
        AccessKeyId::parse(&path.1).map_err(|_| PageError::from(ServiceError::NotFound("key")))?;
    let (actor, client) = (admin.actor.clone(), id.clone());
    let revoked = state
        .change(move |conn| keys::revoke(conn, &actor, &client, &key_id))
        .await;
    let done = format!("/console/clients/{id}");
    settled(
        &req,
        &state,
        &admin,
        id,
        revoked.map_err(PageError::from),
        &done,
    )
    .await
}

/// `POST /console/keys/download`: the key just shown, as a file. It passes through, it is not kept.
pub async fn download(AdminForm { form, .. }: AdminForm) -> HttpResponse {
    crate::pages::key_file(
        form.get("client_id").unwrap_or_default(),
        form.get("key").unwrap_or_default(),
    )
}

/// `POST /console/clients/{id}`: the settings of the edit form.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = client_id(&path)?;
    let typed = ClientForm::read(&form);
    let changed = async {
        let changes = service::ClientChanges {
            name: Some(typed.name.clone()),
            grant_types: Some(typed.grant_types.clone()),
            scopes: Some(words(&typed.scopes)),
            default_scopes: Some(words(form.get("default_scopes").unwrap_or_default())),
            redirect_uris: Some(words(&typed.redirect_uris)),
            allowed_origins: Some(words(&typed.allowed_origins)),
            post_logout_redirect_uris: Some(words(
                form.get("post_logout_redirect_uris").unwrap_or_default(),
            )),
            ttl: Some(super::ttl_of(&form)?),
            dpop_bound_access_tokens: Some(form.get("dpop_bound_access_tokens").is_some()),
        };
        let (config, actor, target) = (state.config.clone(), admin.actor.clone(), id.clone());
        Ok::<_, PageError>(
            state
                .change(move |conn| service::update(conn, &config, &actor, &target, changes))
                .await?,
        )
    };
    let done = format!("/console/clients/{id}");
    let outcome = changed.await.map(|_| ());
    settled(&req, &state, &admin, id, outcome, &done).await
}

/// `POST /console/clients/{id}/delete`: the client, its keys, tokens and records.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = client_id(&path)?;
    let (config, actor, target) = (state.config.clone(), admin.actor.clone(), id.clone());
    let deleted = state
        .change(move |conn| service::delete(conn, &config, &actor, &target))
        .await;
    settled(
        &req,
        &state,
        &admin,
        id,
        deleted.map_err(PageError::from),
        "/console/clients",
    )
    .await
}

/// After a change of client `id`: on to `done`, or the client's screen again with what went wrong.
async fn settled(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    id: ClientId,
    outcome: Result<(), PageError>,
    done: &str,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(()) => Ok(see_other(done)),
        Err(error) => client_page(req, state, admin, id, error.status(), Some(&error)).await,
    }
}
