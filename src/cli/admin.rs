//! The admin commands: tenants, clients, access keys, signing keys.

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::json;

use super::{ClientCommand, KeyCommand, TenantCommand};
use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::crypto::signing_key::SigningAlg;
use crate::db::access_keys::{self, AccessKeyRow, MAX_ACTIVE_PER_CLIENT};
use crate::db::service_clients::{self, ServiceClientRow};
use crate::db::tenants::{self, Tenant, TenantRow};
use crate::db::{is_unique_violation, Db};
use crate::domain::grant_type::GrantType;
use crate::domain::ids::IdKind;
use crate::domain::scope::ADMIN;
use crate::domain::secret_key::SecretKey;
use crate::domain::service_client::{ClientSpec, ServiceClient};
use crate::domain::ttl::{self, EffectiveTtl, TtlOverrides};
use crate::domain::unix_now;
use crate::keyring;

/// Prints `value` as one JSON object, or the human text.
pub fn print(
    json: bool,
    value: &impl Serialize,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        println!("{}", human());
    }
    Ok(())
}

/// Metadata of an access key, never its secret.
#[derive(Serialize)]
struct KeyView {
    id: String,
    client_id: String,
    kind: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<&AccessKeyRow> for KeyView {
    fn from(row: &AccessKeyRow) -> KeyView {
        KeyView {
            id: row.id.clone(),
            client_id: row.client_id.clone(),
            kind: row.kind.clone(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub fn init(db: &Db, config: &Config, name: &str, json: bool) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    if let Some(existing) = service_clients::find_global_admin(&mut conn)? {
        bail!("already initialised: admin client {} exists (make another key with `keygate key create --client {}`)", existing.id, existing.id);
    }
    let spec = ClientSpec::confidential(name, None, vec![ADMIN.to_string()]);
    let client = create_client(db, config, &spec)?;
    let key = create_secret_key(db, &client.id, None)?;
    print(
        json,
        &json!({"client_id": client.id, "client_secret": key.expose()}),
        || {
            format!(
                "Created the admin client. Its secret key is shown only now; store it safely.\n\
             client_id:     {}\nclient_secret: {}",
                client.id,
                key.expose()
            )
        },
    )
}

pub fn tenant(db: &Db, config: &Config, command: TenantCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        TenantCommand::Create {
            name,
            slug,
            ttl,
            json,
        } => {
            let ttl = TtlOverrides::from(ttl);
            ttl.validate(config.max_access_token_ttl)
                .map_err(anyhow::Error::msg)?;
            anyhow::ensure!(
                is_valid_slug(&slug),
                "slug must be 1-63 lowercase letters, digits and dashes"
            );
            anyhow::ensure!(!name.trim().is_empty(), "name must not be empty");
            let row = TenantRow {
                id: IdKind::Tenant.generate(),
                name: name.trim().to_string(),
                slug,
                ttl: ttl.to_json(),
                created_at: unix_now(),
            };
            match tenants::insert(&mut conn, &row) {
                Err(e) if is_unique_violation(&e) => {
                    bail!("a tenant with slug {:?} already exists", row.slug)
                }
                other => other?,
            }
            let tenant = Tenant::from(row);
            print(json, &tenant, || {
                format!("Created tenant {} ({})", tenant.id, tenant.slug)
            })
        }
        TenantCommand::List { json } => {
            let all: Vec<Tenant> = tenants::list(&mut conn, None, i64::MAX)?
                .into_iter()
                .map(Tenant::from)
                .collect();
            print(json, &all, || {
                all.iter()
                    .map(|t| format!("{}  {}  {}", t.id, t.slug, t.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

/// Lowercase letters, digits and inner dashes, 1 to 63 characters.
fn is_valid_slug(slug: &str) -> bool {
    (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

pub fn client(db: &Db, config: &Config, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Create {
            name,
            tenant,
            scopes,
            default_scopes,
            grant_types,
            with_key,
            ttl,
            json,
        } => {
            let mut spec = ClientSpec::confidential(&name, tenant, scopes);
            if !grant_types.is_empty() {
                spec.grant_types = grant_types
                    .iter()
                    .map(|g| GrantType::parse(g).with_context(|| format!("unknown grant type {g}")))
                    .collect::<anyhow::Result<_>>()?;
            }
            spec.default_scopes = (!default_scopes.is_empty()).then_some(default_scopes);
            spec.ttl = ttl.into();
            let client = create_client(db, config, &spec)?;
            let key = with_key
                .then(|| create_secret_key(db, &client.id, None))
                .transpose()?;
            let mut value = serde_json::to_value(&client)?;
            if let Some(key) = &key {
                value["key"] = json!({"id": key.key_id(), "client_secret": key.expose()});
            }
            print(json, &value, || match &key {
                Some(key) => format!(
                    "Created client {}\nclient_secret (shown once): {}",
                    client.id,
                    key.expose()
                ),
                None => format!("Created client {}", client.id),
            })
        }
        ClientCommand::List { tenant, json } => {
            let rows = service_clients::list(&mut *db.conn()?, tenant.as_deref(), None, i64::MAX)?;
            let all: Vec<ServiceClient> = rows.into_iter().map(ServiceClient::from).collect();
            let line = |c: &ServiceClient| {
                format!(
                    "{}  {}  {}",
                    c.id,
                    c.tenant_id.as_deref().unwrap_or("(global)"),
                    c.name
                )
            };
            print(json, &all, || {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        ClientCommand::Show { id, json } => show_client(db, config, &id, json),
        ClientCommand::Delete { id, json } => {
            if !service_clients::delete_by_id(&mut *db.conn()?, &id)? {
                bail!("no client {id}");
            }
            print(json, &json!({"deleted": id}), || {
                format!("Deleted client {id} and its keys")
            })
        }
    }
}

fn show_client(db: &Db, config: &Config, id: &str, json: bool) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    let client = ServiceClient::from(
        service_clients::find_by_id(&mut conn, id)?.with_context(|| format!("no client {id}"))?,
    );
    let tenant_ttl = match &client.tenant_id {
        Some(tenant_id) => {
            tenants::find_by_id(&mut conn, tenant_id)?.map(|t| TtlOverrides::from_json(&t.ttl))
        }
        None => None,
    };
    let effective: serde_json::Map<String, serde_json::Value> = GrantType::ALL
        .into_iter()
        .map(|grant| {
            let EffectiveTtl { seconds, source } = ttl::resolve(
                grant,
                &client.ttl,
                tenant_ttl.as_ref(),
                &config.server_ttl(),
            );
            (
                grant.as_str().to_string(),
                json!({"seconds": seconds, "source": source}),
            )
        })
        .collect();
    let mut value = serde_json::to_value(&client)?;
    value["effective_ttl"] = serde_json::Value::Object(effective);
    print(json, &value, || {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    })
}

pub fn key(db: &Db, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create {
            client,
            expires_in,
            json,
        } => {
            if let Some(seconds) = expires_in {
                anyhow::ensure!(seconds > 0, "--expires-in must be positive");
            }
            let key = create_secret_key(db, &client, expires_in.map(|s| unix_now() + s))?;
            let value = json!({"id": key.key_id(), "client_id": client, "kind": "secret", "key": key.expose()});
            print(json, &value, || {
                format!(
                    "Created key {} (shown once):\n{}",
                    key.key_id(),
                    key.expose()
                )
            })
        }
        KeyCommand::List { client, json } => {
            let mut conn = db.conn()?;
            service_clients::find_by_id(&mut conn, &client)?
                .with_context(|| format!("no client {client}"))?;
            let keys: Vec<KeyView> = access_keys::find_by_client(&mut conn, &client)?
                .iter()
                .map(KeyView::from)
                .collect();
            let line = |k: &KeyView| {
                format!(
                    "{}  {}  {}",
                    k.id,
                    k.kind,
                    if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                )
            };
            print(json, &keys, || {
                keys.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        KeyCommand::Revoke {
            client,
            key_id,
            json,
        } => {
            if !access_keys::revoke(&mut *db.conn()?, &client, &key_id, unix_now())? {
                bail!("client {client} has no unrevoked key {key_id}");
            }
            print(json, &json!({"revoked": key_id}), || {
                format!("Revoked key {key_id}")
            })
        }
    }
}

pub fn rotate(db: &Db, config: &Config, alg: Option<String>, json: bool) -> anyhow::Result<()> {
    let alg = match alg {
        Some(name) => SigningAlg::parse(&name)
            .with_context(|| format!("unknown algorithm {name}: use RS256, ES256 or EdDSA"))?,
        None => config.signing_alg,
    };
    let master_key = MasterKey::from_config(config)?;
    let kid = keyring::rotate(
        &mut *db.conn()?,
        &master_key,
        alg,
        config.max_access_token_ttl,
    )?;
    print(json, &json!({"kid": kid, "alg": alg.as_str()}), || {
        format!("New signing key {kid} ({}); running nodes pick it up within signing_key_refresh_seconds", alg.as_str())
    })
}

/// Validates and stores a client; the tenant must exist.
fn create_client(db: &Db, config: &Config, spec: &ClientSpec) -> anyhow::Result<ServiceClient> {
    spec.validate(config.max_access_token_ttl)?;
    let mut conn = db.conn()?;
    if let Some(tenant_id) = &spec.tenant_id {
        tenants::find_by_id(&mut conn, tenant_id)?
            .with_context(|| format!("no tenant {tenant_id}"))?;
    }
    let row = ServiceClientRow::new(spec, unix_now());
    service_clients::insert(&mut conn, &row)?;
    Ok(row.into())
}

/// Makes a secret key for a client that has fewer than the maximum of active keys.
fn create_secret_key(
    db: &Db,
    client_id: &str,
    expires_at: Option<i64>,
) -> anyhow::Result<SecretKey> {
    let key = SecretKey::generate();
    let row = AccessKeyRow::new_secret(
        key.key_id(),
        client_id,
        key.to_stored(),
        unix_now(),
        expires_at,
    );
    let mut conn = db.conn()?;
    service_clients::find_by_id(&mut conn, client_id)?
        .with_context(|| format!("no client {client_id}"))?;
    if !access_keys::insert_within_limit(&mut conn, &row)? {
        bail!(
            "client {client_id} already has {MAX_ACTIVE_PER_CLIENT} active keys: revoke one first"
        );
    }
    Ok(key)
}
