//! Trusted issuers: which external issuers' tokens a tenant accepts, and the rules that map them to its clients.
//! Changed by the tenant's admins (global trusts by global admins), each change audited.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{audit, transaction, Actor, Changed, ServiceError};
use crate::db::column::Json;
use crate::db::trusted_issuers::{self, TrustedIssuerRow};
use crate::db::{service_clients, tenants, DbConn};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{IdKind, TrustedIssuerId};
use crate::domain::time::UnixTime;
use crate::domain::trusted_issuer::{KeySource, Rule, TrustSpec, UrlPolicy};

/// A trusted issuer as written (docs/contract.md, "Trusted identities").
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuerInput {
    /// The tenant; a tenant admin's trusts are always its own. Absent for a global admin: a global trust, whose
    /// rules may name any tenant's clients. Ignored when replacing.
    #[schema(pattern = "^ten_[0-9A-Za-z]{22}$")]
    pub tenant_id: Option<String>,
    /// The tokens' `iss`, exactly.
    #[schema(example = "https://token.actions.githubusercontent.com")]
    pub issuer: String,
    /// Where the issuer publishes its keys; absent (and no `jwks`): from its OpenID discovery document.
    pub jwks_uri: Option<String>,
    /// The issuer's public keys, `{"keys": [...]}`, when they are not fetched.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// The token's `aud` must name one of these.
    pub audiences: Vec<String>,
    /// Accepted JWS algorithms, asymmetric only; default `RS256`, `ES256`.
    #[serde(default)]
    pub algorithms: Vec<String>,
    /// Refuse tokens issued (`iat`) longer ago than this many seconds.
    #[serde(default, deserialize_with = "crate::domain::ttl::whole_number")]
    #[schema(minimum = 1, maximum = 86400)]
    pub max_token_age: Option<i64>,
    /// The mapping: a token gets the client of the rule whose claims it matches. No rule, no access.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A trusted issuer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrustedIssuer {
    pub id: String,
    pub tenant_id: Option<String>,
    pub issuer: String,
    pub jwks_uri: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// `discovery`, `jwks_uri` or `jwks`.
    pub keys_from: &'static str,
    pub audiences: Vec<String>,
    pub algorithms: Vec<String>,
    pub max_token_age: Option<i64>,
    pub rules: Vec<Rule>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl From<TrustedIssuerRow> for TrustedIssuer {
    fn from(row: TrustedIssuerRow) -> TrustedIssuer {
        let keys_from = match (&row.jwks_uri, &row.jwks) {
            (_, Some(_)) => "jwks",
            (Some(_), None) => "jwks_uri",
            (None, None) => "discovery",
        };
        TrustedIssuer {
            id: row.id,
            tenant_id: row.tenant_id,
            issuer: row.issuer,
            jwks_uri: row.jwks_uri,
            jwks: row.jwks.map(|j| j.0),
            keys_from,
            audiences: row.audiences.0,
            algorithms: row.algorithms.0,
            max_token_age: row.max_token_age,
            rules: row.rules.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(ErrorCode::InvalidTrustedIssuer, field, message)
}

/// The input as a checked spec.
fn spec_of(input: TrustedIssuerInput, policy: UrlPolicy) -> Result<TrustSpec, ServiceError> {
    let keys = match (input.jwks_uri, input.jwks) {
        (Some(_), Some(_)) => {
            return Err(invalid("jwks", "give jwks_uri or jwks, not both"));
        }
        (Some(uri), None) => KeySource::JwksUri(uri),
        (None, Some(jwks)) => KeySource::Inline(jwks),
        (None, None) => KeySource::Discovery,
    };
    let mut spec = TrustSpec {
        issuer: input.issuer,
        keys,
        audiences: input.audiences,
        algorithms: input.algorithms,
        max_token_age: input.max_token_age,
        rules: input.rules,
    };
    spec.validate(policy)
        .map_err(|e| invalid(e.field, e.message))?;
    if let KeySource::Inline(jwks) = &spec.keys {
        check_public_keys(jwks)?;
    }
    Ok(spec)
}

/// Every inline key is a public key keygate can verify with: RSA of 2048 bits or more, EC, OKP.
fn check_public_keys(jwks: &Value) -> Result<(), ServiceError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for key in keys {
        if crate::crypto::client_keys::has_private_members(key) {
            return Err(invalid(
                "jwks",
                "jwks holds a private key: give only the public keys",
            ));
        }
        if crate::crypto::jwt::foreign_verifying_key(key).is_none() {
            return Err(invalid(
                "jwks",
                "every key must be a public RSA (2048 bits or more), EC (P-256, P-384) or OKP (Ed25519) JWK",
            ));
        }
    }
    Ok(())
}

/// Refuses a rule naming a client that does not exist in the trust's tenant (the same answer for another tenant's:
/// no existence oracle). A global trust may name any client.
fn ensure_clients(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    rules: &[Rule],
) -> Result<(), ServiceError> {
    for rule in rules {
        let found = service_clients::find_by_id(conn, &rule.client_id)?.map(|c| c.tenant_id);
        match (found, tenant_id) {
            (Some(_), None) => {}
            (Some(Some(theirs)), Some(ours)) if theirs == ours => {}
            _ => {
                return Err(invalid(
                    "rules",
                    format!(
                        "{:?} is not a client of this trust's tenant",
                        rule.client_id
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn row_of(
    id: String,
    tenant_id: Option<String>,
    spec: TrustSpec,
    created_at: UnixTime,
) -> TrustedIssuerRow {
    let (jwks_uri, jwks) = match spec.keys {
        KeySource::Discovery => (None, None),
        KeySource::JwksUri(uri) => (Some(uri), None),
        KeySource::Inline(jwks) => (None, Some(Json(jwks))),
    };
    TrustedIssuerRow {
        id,
        tenant_id,
        issuer: spec.issuer,
        jwks_uri,
        jwks,
        audiences: Json(spec.audiences),
        algorithms: Json(spec.algorithms),
        max_token_age: spec.max_token_age,
        rules: Json(spec.rules),
        created_at,
        updated_at: UnixTime::now(),
    }
}

/// The trust `id` if the actor administers its tenant (global trusts: global admins).
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: &TrustedIssuerId,
) -> Result<TrustedIssuerRow, ServiceError> {
    actor.require_admin()?;
    trusted_issuers::find_by_id(conn, id.as_str())?
        .filter(|row| actor.can_see(row.tenant_id.as_deref()))
        .ok_or(ServiceError::NotFound("trusted issuer"))
}

/// Up to `limit` trusts after `after`: a tenant admin's own tenant's, a global admin's of `tenant_id` or all.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: Option<String>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<TrustedIssuer>, ServiceError> {
    let tenant = actor.tenant_filter(tenant_id)?;
    let rows = trusted_issuers::list(conn, tenant.as_deref(), after, limit)?;
    Ok(rows.into_iter().map(TrustedIssuer::from).collect())
}

/// A new trust in the actor's tenant (or the one a global admin names, or global).
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    policy: UrlPolicy,
    mut input: TrustedIssuerInput,
) -> Result<Changed<TrustedIssuer>, ServiceError> {
    let tenant_id = actor.tenant_for_new(input.tenant_id.take())?;
    let spec = spec_of(input, policy)?;
    let now = UnixTime::now();
    let row = row_of(IdKind::TrustedIssuer.generate(), tenant_id, spec, now);
    transaction(conn, |conn, effects| {
        if let Some(tenant_id) = &row.tenant_id {
            tenants::find_by_id(conn, tenant_id)?.ok_or(ServiceError::NotFound("tenant"))?;
        }
        ensure_clients(conn, row.tenant_id.as_deref(), &row.rules)?;
        trusted_issuers::insert(conn, &row)?;
        // The nodes' cached trusts of this issuer are stale (`AppState::trusts`).
        effects.stale.push(row.issuer.clone());
        audit(
            conn,
            actor.event(
                "trusted_issuer.created",
                row.tenant_id.as_deref(),
                None,
                &row.id,
            ),
            Some(serde_json::json!({"issuer": row.issuer})),
        )?;
        Ok(TrustedIssuer::from(row.clone()))
    })
}

/// Replaces a trust's settings and rules (its tenant stays).
pub fn replace(
    conn: &mut DbConn,
    actor: &Actor,
    policy: UrlPolicy,
    id: &TrustedIssuerId,
    input: TrustedIssuerInput,
) -> Result<Changed<TrustedIssuer>, ServiceError> {
    let spec = spec_of(input, policy)?;
    transaction(conn, |conn, effects| {
        let old = find_visible(conn, actor, id)?;
        effects.stale.push(old.issuer.clone());
        let row = row_of(old.id, old.tenant_id, spec, old.created_at);
        ensure_clients(conn, row.tenant_id.as_deref(), &row.rules)?;
        trusted_issuers::replace(conn, &row)?;
        effects.stale.push(row.issuer.clone());
        audit(
            conn,
            actor.event(
                "trusted_issuer.updated",
                row.tenant_id.as_deref(),
                None,
                &row.id,
            ),
            Some(serde_json::json!({"issuer": row.issuer})),
        )?;
        Ok(TrustedIssuer::from(row))
    })
}

/// Deletes a trust: its issuer's tokens map to nothing more (tokens already exchanged live out their TTL).
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: &TrustedIssuerId,
) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, effects| {
        let row = find_visible(conn, actor, id)?;
        trusted_issuers::delete_by_id(conn, &row.id)?;
        effects.stale.push(row.issuer.clone());
        audit(
            conn,
            actor.event(
                "trusted_issuer.deleted",
                row.tenant_id.as_deref(),
                None,
                &row.id,
            ),
            Some(serde_json::json!({"issuer": row.issuer})),
        )?;
        Ok(())
    })
}
