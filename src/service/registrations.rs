//! Dynamic client registration: a tenant administrator's initial access tokens (made, listed, deleted, audited),
//! a client registering itself with one (RFC 7591), and the registered client reading, replacing and deleting its
//! registration with its registration access token (RFC 7592). Registered clients are clients like any other: made,
//! changed and deleted through `service::clients`, audited with the token's or the client's id as actor.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{audit, clients, keys, transaction, users, Actor, Changed, ServiceError};
use crate::config::Config;
use crate::crypto::client_keys;
use crate::db::column::Json;
use crate::db::registrations::{
    self, ClientRegistrationRow, OpenRegistrationRow, RegistrationTokenRow,
};
use crate::db::{access_keys, service_clients, DbConn};
use crate::domain::access_key::KeyRequest;
use crate::domain::access_key::NewAccessKey;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{ClientId, IdKind, RegistrationTokenId, TenantId};
use crate::domain::registration::{AuthMethod, ClientMetadata, MetadataError, RegistrationPolicy};
use crate::domain::secret_key::{
    SecretKey, StoredSecret, INITIAL_ACCESS_TOKEN, REGISTRATION_ACCESS_TOKEN,
};
use crate::domain::service_client::{Owner, OwnerKind, ServiceClient};
use crate::domain::time::UnixTime;

/// The longest an initial access token may live, and the most registrations one may make.
const MAX_EXPIRES_IN: i64 = 365 * 24 * 3600;
const MAX_USES_LIMIT: i64 = 100_000;

/// A new initial access token (docs/contract.md, "Dynamic client registration").
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationTokenInput {
    /// How many clients it may register; absent: any number until it expires or is deleted. 1: single use.
    #[serde(default, deserialize_with = "crate::domain::ttl::whole_number")]
    #[schema(minimum = 1, maximum = 100000)]
    pub max_uses: Option<i64>,
    /// Seconds until it expires; absent: it does not.
    #[serde(default, deserialize_with = "crate::domain::ttl::whole_number")]
    #[schema(minimum = 60, maximum = 31536000)]
    pub expires_in: Option<i64>,
    /// What the clients it registers may be; absent: what keygate registers at all.
    #[serde(default)]
    pub policy: RegistrationPolicy,
}

/// An initial access token; `token` only in the answer that made it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationToken {
    pub id: String,
    pub tenant_id: String,
    /// The `kg_iat_…` token, shown exactly once: send it as `Authorization: Bearer` to `POST /oauth/register`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub policy: RegistrationPolicy,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<UnixTime>,
    /// The user who made it owns the clients it registers; otherwise the tenant does.
    pub owner_user_id: Option<String>,
    pub created_by: String,
    pub created_at: UnixTime,
}

impl From<RegistrationTokenRow> for RegistrationToken {
    fn from(row: RegistrationTokenRow) -> RegistrationToken {
        RegistrationToken {
            id: row.id,
            tenant_id: row.tenant_id,
            token: None,
            policy: row.policy.0,
            max_uses: row.max_uses,
            uses: row.uses,
            expires_at: row.expires_at,
            owner_user_id: row.owner_user_id,
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

fn invalid_token_input(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(ErrorCode::InvalidRegistrationToken, field, message)
}

/// A new initial access token of `tenant_id`, which the actor administers.
pub fn create_token(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
    input: RegistrationTokenInput,
) -> Result<Changed<RegistrationToken>, ServiceError> {
    users::ensure_administers(actor, tenant_id.as_str())?;
    if input
        .max_uses
        .is_some_and(|n| !(1..=MAX_USES_LIMIT).contains(&n))
    {
        return Err(invalid_token_input(
            "max_uses",
            format!("max_uses must be 1 to {MAX_USES_LIMIT}"),
        ));
    }
    if input
        .expires_in
        .is_some_and(|s| !(60..=MAX_EXPIRES_IN).contains(&s))
    {
        return Err(invalid_token_input(
            "expires_in",
            format!("expires_in must be 60 to {MAX_EXPIRES_IN} seconds"),
        ));
    }
    input
        .policy
        .validate()
        .map_err(|(field, message)| invalid_token_input(field, message))?;
    let secret = SecretKey::generate_in(INITIAL_ACCESS_TOKEN);
    let StoredSecret { salt, hash } = secret.to_stored();
    let now = UnixTime::now();
    let row = RegistrationTokenRow {
        id: secret.key_id().to_string(),
        tenant_id: tenant_id.to_string(),
        secret_salt: salt,
        secret_hash: hash,
        created_by: actor.subject.clone(),
        owner_user_id: actor.as_user().map(|(user, _)| user.to_string()),
        policy: Json(input.policy),
        max_uses: input.max_uses,
        uses: 0,
        expires_at: input.expires_in.map(|s| now + s),
        created_at: now,
    };
    transaction(conn, |conn, _| {
        crate::db::tenants::find_by_id(conn, &row.tenant_id)?
            .ok_or(ServiceError::NotFound("tenant"))?;
        registrations::insert_token(conn, &row)?;
        let event = actor.event(
            "registration_token.created",
            Some(&row.tenant_id),
            None,
            &row.id,
        );
        audit(conn, event, None)?;
        let mut view = RegistrationToken::from(row.clone());
        view.token = Some(secret.expose().to_string());
        Ok(view)
    })
}

/// Up to `limit` initial access tokens of `tenant_id` after `after`.
pub fn list_tokens(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<RegistrationToken>, ServiceError> {
    users::ensure_administers(actor, tenant_id.as_str())?;
    let rows = registrations::list_tokens(conn, tenant_id.as_str(), after, limit)?;
    Ok(rows.into_iter().map(RegistrationToken::from).collect())
}

/// Deletes an initial access token: it registers nothing more; the clients it registered stay.
pub fn delete_token(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
    id: &RegistrationTokenId,
) -> Result<Changed<()>, ServiceError> {
    users::ensure_administers(actor, tenant_id.as_str())?;
    transaction(conn, |conn, _| {
        let found = registrations::find_token(conn, id.as_str())?
            .filter(|row| row.tenant_id == tenant_id.as_str())
            .ok_or(ServiceError::NotFound("registration token"))?;
        registrations::delete_token(conn, &found.id)?;
        let event = actor.event(
            "registration_token.deleted",
            Some(&found.tenant_id),
            None,
            &found.id,
        );
        audit(conn, event, None)
    })
}

/// A tenant's open registration: on with its policy, or off (`policy` null).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenRegistration {
    pub tenant_id: String,
    /// What clients that register without an initial access token may be; null: such registration is off.
    pub policy: Option<RegistrationPolicy>,
}

/// The tenant's open registration, which the actor administers.
pub fn open_registration(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
) -> Result<OpenRegistration, ServiceError> {
    users::ensure_administers(actor, tenant_id.as_str())?;
    crate::db::tenants::find_by_id(conn, tenant_id.as_str())?
        .ok_or(ServiceError::NotFound("tenant"))?;
    let open = registrations::find_open(conn, tenant_id.as_str())?;
    Ok(OpenRegistration {
        tenant_id: tenant_id.to_string(),
        policy: open.map(|row| row.policy.0),
    })
}

/// Turns the tenant's open registration on with `policy` (held to the stricter rules of
/// `RegistrationPolicy::validate_open`), or off with `None`; audited as `registration.opened` or `.closed`.
pub fn set_open_registration(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
    policy: Option<RegistrationPolicy>,
) -> Result<Changed<OpenRegistration>, ServiceError> {
    users::ensure_administers(actor, tenant_id.as_str())?;
    if let Some(policy) = &policy {
        policy
            .validate_open()
            .map_err(|(field, message)| invalid_token_input(field, message))?;
    }
    transaction(conn, |conn, _| {
        crate::db::tenants::find_by_id(conn, tenant_id.as_str())?
            .ok_or(ServiceError::NotFound("tenant"))?;
        let action = match &policy {
            Some(policy) => {
                let row = OpenRegistrationRow {
                    tenant_id: tenant_id.to_string(),
                    policy: Json(policy.clone()),
                    updated_by: actor.subject.clone(),
                    updated_at: UnixTime::now(),
                };
                registrations::replace_open(conn, &row)?;
                "registration.opened"
            }
            None => {
                registrations::delete_open(conn, tenant_id.as_str())?;
                "registration.closed"
            }
        };
        let event = actor.event(action, Some(tenant_id.as_str()), None, tenant_id.as_str());
        audit(conn, event, None)?;
        Ok(OpenRegistration {
            tenant_id: tenant_id.to_string(),
            policy: policy.clone(),
        })
    })
}

/// A registration as RFC 7591 §3.2.1 and RFC 7592 §3 answer it. The secrets are present only when just made.
#[derive(Debug)]
pub struct Registration {
    pub client: ServiceClient,
    pub metadata: ClientMetadata,
    pub client_secret: Option<String>,
    pub registration_access_token: Option<String>,
}

/// `401 invalid_token` (RFC 6750 §3.1): the same answer for every reason, which the message tells.
fn invalid_token(message: &str) -> ServiceError {
    ServiceError::refused(ErrorCode::InvalidToken, message)
}

fn refused_metadata(error: MetadataError) -> ServiceError {
    match error {
        MetadataError::InvalidRedirectUri(message) => {
            ServiceError::refused(ErrorCode::InvalidRedirectUri, message)
        }
        MetadataError::InvalidClientMetadata(message) => {
            ServiceError::refused(ErrorCode::InvalidClientMetadata, message)
        }
    }
}

/// The client's access keys its metadata makes: a secret key for the `client_secret_*` methods, its registered
/// public keys for `private_key_jwt` (each keeping the `kid` the client signs with), none for `none`.
fn keys_of(metadata: &ClientMetadata, client_id: &str) -> Result<Vec<NewAccessKey>, ServiceError> {
    let method = metadata.token_endpoint_auth_method;
    if method.uses_secret() {
        let secret = client_keys::make(KeyRequest::Secret, client_id, "")
            .map_err(|e| ServiceError::Internal(e.into()))?;
        return Ok(vec![secret]);
    }
    let Some(keys) = metadata
        .jwks
        .as_ref()
        .and_then(|j| j.get("keys"))
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    if keys.len() as i64 > access_keys::MAX_ACTIVE_PER_CLIENT {
        return Err(ServiceError::refused(
            ErrorCode::InvalidClientMetadata,
            format!(
                "jwks may hold at most {} keys",
                access_keys::MAX_ACTIVE_PER_CLIENT
            ),
        ));
    }
    keys.iter()
        .map(|jwk| {
            let mut made = client_keys::make(KeyRequest::PublicKey(jwk.clone()), client_id, "")
                .map_err(|e| {
                    ServiceError::refused(
                        ErrorCode::InvalidClientMetadata,
                        format!("a key of jwks cannot be used: {e}"),
                    )
                })?;
            if let (Some(kid), Some(stored)) = (jwk.get("kid"), made.public_jwk.as_mut()) {
                stored["kid"] = kid.clone();
            }
            Ok(made)
        })
        .collect()
}

/// The initial access token `presented`, if it is one that may still register.
fn usable_token(conn: &mut DbConn, presented: &str) -> Result<RegistrationTokenRow, ServiceError> {
    let refused = || invalid_token("the initial access token is not valid");
    let secret = SecretKey::parse_in(INITIAL_ACCESS_TOKEN, presented).map_err(|_| refused())?;
    let row = registrations::find_token(conn, secret.key_id())?.ok_or_else(refused)?;
    let stored = StoredSecret {
        salt: row.secret_salt.clone(),
        hash: row.secret_hash.clone(),
    };
    if !secret.matches(&stored) {
        return Err(refused());
    }
    if row.expires_at.is_some_and(|at| at <= UnixTime::now()) {
        return Err(invalid_token("the initial access token has expired"));
    }
    if row.max_uses.is_some_and(|max| row.uses >= max) {
        return Err(invalid_token("the initial access token is used up"));
    }
    Ok(row)
}

/// What lets a registration happen: an initial access token, or its tenant's open registration.
struct Authority {
    tenant_id: String,
    policy: RegistrationPolicy,
    owner: Owner,
    /// Who the audit names as having made the client.
    actor: Actor,
    token_id: Option<String>,
}

/// Registers a client with the initial access token `presented` (RFC 7591 §3): in the token's tenant, owned by
/// the token's maker, within its policy. The answer carries the client's secret (for the `client_secret_*`
/// methods) and its registration access token, once.
pub fn register(
    conn: &mut DbConn,
    config: &Config,
    presented: &str,
    metadata: ClientMetadata,
) -> Result<Changed<Registration>, ServiceError> {
    transaction(conn, |conn, _| {
        // The token first: a caller without one learns nothing of what its metadata would be refused for.
        let token = usable_token(conn, presented)?;
        let owner = match &token.owner_user_id {
            Some(user) => Owner {
                kind: OwnerKind::User,
                id: user.clone(),
            },
            None => Owner {
                kind: OwnerKind::Tenant,
                id: token.tenant_id.clone(),
            },
        };
        let authority = Authority {
            policy: token.policy.0.clone(),
            owner,
            actor: Actor::registrant(&token.id, &token.tenant_id),
            tenant_id: token.tenant_id.clone(),
            token_id: Some(token.id.clone()),
        };
        // The use is taken first: it locks the token's row (PostgreSQL), so that registrations racing on one token
        // count its clients one after another; a refusal rolls the use back.
        let room = |conn: &mut DbConn| -> Result<(), ServiceError> {
            if !registrations::take_use(conn, &token.id)? {
                return Err(invalid_token("the initial access token is used up"));
            }
            match authority.policy.max_clients {
                Some(max) if registrations::count_clients_of(conn, &token.id)? >= max => Err(
                    invalid_token("the initial access token has registered all the clients it may"),
                ),
                _ => Ok(()),
            }
        };
        register_under(conn, config, &authority, metadata, room)
    })
}

/// The name the audit gives a registration without an initial access token.
const OPEN_REGISTRANT: &str = "open_registration";

/// Registers a client without an initial access token (RFC 7591 §3), in the tenant with the slug `tenant_slug`,
/// if that tenant allows open registration: owned by the tenant, within the tenant's open-registration policy.
pub fn register_open(
    conn: &mut DbConn,
    config: &Config,
    tenant_slug: &str,
    metadata: ClientMetadata,
) -> Result<Changed<Registration>, ServiceError> {
    transaction(conn, |conn, _| {
        let closed = || invalid_token("registration here needs an initial access token");
        let tenant = crate::db::tenants::find_by_slug(conn, tenant_slug)?.ok_or_else(closed)?;
        let open = registrations::find_open(conn, &tenant.id)?.ok_or_else(closed)?;
        let authority = Authority {
            policy: open.policy.0,
            owner: Owner {
                kind: OwnerKind::Tenant,
                id: tenant.id.clone(),
            },
            actor: Actor::registrant(OPEN_REGISTRANT, &tenant.id),
            tenant_id: tenant.id.clone(),
            token_id: None,
        };
        let room = |conn: &mut DbConn| -> Result<(), ServiceError> {
            registrations::lock_open(conn, &tenant.id)?;
            let max = authority.policy.max_clients.unwrap_or(0);
            match registrations::count_open_clients(conn, &tenant.id)? < max {
                true => Ok(()),
                false => Err(ServiceError::refused(
                    ErrorCode::InvalidClientMetadata,
                    "this tenant's open registration has registered all the clients it may",
                )),
            }
        };
        register_under(conn, config, &authority, metadata, room)
    })
}

/// A registration's common part, inside the caller's transaction: the metadata held to the authority's policy,
/// `room` asked whether one more client may be made, then the client, its keys and its registration.
fn register_under(
    conn: &mut DbConn,
    config: &Config,
    authority: &Authority,
    metadata: ClientMetadata,
    room: impl FnOnce(&mut DbConn) -> Result<(), ServiceError>,
) -> Result<Registration, ServiceError> {
    let client_id = IdKind::ServiceClient.generate();
    let access = SecretKey::generate_in(REGISTRATION_ACCESS_TOKEN);
    let policy = &authority.policy;
    metadata.check(policy).map_err(refused_metadata)?;
    let made = keys_of(&metadata, &client_id)?;
    let spec = metadata.client_spec(&authority.tenant_id, Some(authority.owner.clone()), policy);
    clients::validated(&spec, config).map_err(as_metadata_error)?;
    room(conn)?;
    let client = clients::insert_with_id(conn, &authority.actor, &spec, &client_id)?;
    let mut client_secret = None;
    for key in &made {
        let view = keys::insert(conn, &authority.actor, &client, key, None)?;
        client_secret = client_secret.or(view.key);
    }
    let StoredSecret { salt, hash } = access.to_stored();
    registrations::insert_registration(
        conn,
        &ClientRegistrationRow {
            client_id: client.id.clone(),
            registration_token_id: authority.token_id.clone(),
            access_token_id: access.key_id().to_string(),
            access_token_salt: salt,
            access_token_hash: hash,
            metadata: Json(metadata.clone()),
            policy: Json(policy.clone()),
            created_at: client.created_at,
            open_registration: authority.token_id.is_none(),
        },
    )?;
    Ok(Registration {
        client,
        metadata,
        client_secret,
        registration_access_token: Some(access.expose().to_string()),
    })
}

/// A client rule the metadata broke (a name too long, a URI that is not one): RFC 7591's code for it.
fn as_metadata_error(error: ServiceError) -> ServiceError {
    match error {
        ServiceError::InvalidField(_, "redirect_uris" | "post_logout_redirect_uris", message) => {
            ServiceError::refused(ErrorCode::InvalidRedirectUri, message)
        }
        ServiceError::InvalidField(_, _, message) | ServiceError::Refused(_, message) => {
            ServiceError::refused(ErrorCode::InvalidClientMetadata, message)
        }
        other => other,
    }
}

/// The registration of `client_id` if `presented` is its registration access token (RFC 7592 §3); the same
/// refusal for an unknown client, a client registered otherwise, and a wrong token.
fn registration_of(
    conn: &mut DbConn,
    client_id: &ClientId,
    presented: &str,
) -> Result<(ClientRegistrationRow, ServiceClient), ServiceError> {
    let refused = || invalid_token("the registration access token is not valid for this client");
    let secret =
        SecretKey::parse_in(REGISTRATION_ACCESS_TOKEN, presented).map_err(|_| refused())?;
    let row = registrations::find_registration(conn, client_id.as_str())?.ok_or_else(refused)?;
    let stored = StoredSecret {
        salt: row.access_token_salt.clone(),
        hash: row.access_token_hash.clone(),
    };
    if secret.key_id() != row.access_token_id || !secret.matches(&stored) {
        return Err(refused());
    }
    let client = service_clients::find_by_id(conn, client_id.as_str())?
        .map(ServiceClient::from)
        .ok_or_else(refused)?;
    Ok((row, client))
}

/// Reads a registration (RFC 7592 §2.1).
pub fn read(
    conn: &mut DbConn,
    client_id: &ClientId,
    presented: &str,
) -> Result<Registration, ServiceError> {
    let (row, client) = registration_of(conn, client_id, presented)?;
    Ok(Registration {
        client,
        metadata: row.metadata.0,
        client_secret: None,
        registration_access_token: None,
    })
}

/// Replaces a registration's metadata (RFC 7592 §2.2), held to the policy it was registered under. Its
/// authentication method stays; new `jwks` replace its public keys (the old ones are revoked).
pub fn replace(
    conn: &mut DbConn,
    config: &Config,
    client_id: &ClientId,
    presented: &str,
    metadata: ClientMetadata,
) -> Result<Changed<Registration>, ServiceError> {
    transaction(conn, |conn, effects| {
        let (row, client) = registration_of(conn, client_id, presented)?;
        let policy = row.policy.0.clone();
        if metadata.token_endpoint_auth_method != row.metadata.0.token_endpoint_auth_method {
            return Err(ServiceError::refused(
                ErrorCode::InvalidClientMetadata,
                "token_endpoint_auth_method cannot change: register a new client",
            ));
        }
        metadata.check(&policy).map_err(refused_metadata)?;
        let tenant_id = client.tenant_id.clone().unwrap_or_default();
        let spec = metadata.client_spec(&tenant_id, client.owner.clone(), &policy);
        let actor = Actor::registrant(&client.id, &tenant_id);
        let changed = clients::store_changes(conn, config, effects, &actor, &client, &spec)
            .map_err(as_metadata_error)?;
        if metadata.jwks != row.metadata.0.jwks {
            let made = match metadata.token_endpoint_auth_method {
                AuthMethod::PrivateKeyJwt => keys_of(&metadata, client_id.as_str())?,
                _ => Vec::new(),
            };
            let now = UnixTime::now();
            for key in access_keys::find_by_client(conn, &client.id)? {
                if key.revoked_at.is_none() && access_keys::revoke(conn, &client.id, &key.id, now)?
                {
                    let event =
                        actor.event("key.revoked", Some(&tenant_id), Some(&client.id), &key.id);
                    audit(conn, event, None)?;
                    effects.stale.push(key.id.clone());
                }
            }
            for key in &made {
                keys::insert(conn, &actor, &changed, key, None)?;
            }
        }
        registrations::set_metadata(conn, &client.id, &Json(metadata.clone()))?;
        Ok(Registration {
            client: changed,
            metadata: metadata.clone(),
            client_secret: None,
            registration_access_token: None,
        })
    })
}

/// Deletes a registered client (RFC 7592 §2.3), as deleting any client does: its keys and tokens end.
pub fn unregister(
    conn: &mut DbConn,
    config: &Config,
    client_id: &ClientId,
    presented: &str,
) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, effects| {
        let (_, client) = registration_of(conn, client_id, presented)?;
        let actor = Actor::registrant(&client.id, client.tenant_id.as_deref().unwrap_or_default());
        clients::remove(conn, config, effects, &actor, &client)
    })
}
