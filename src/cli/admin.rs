//! The admin commands: tenants, clients, access keys, signing keys. Each is audited with the actor `cli`.

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::json;

use super::{ClientCommand, KeyCommand, TenantCommand};
use crate::audit::{self, AuditEvent};
use crate::config::Config;
use crate::crypto::client_keys;
use crate::crypto::master_key::MasterKey;
use crate::db::service_clients::{self, ClientSelection};
use crate::db::signing_keys;
use crate::db::tenants::{self, Tenant};
use crate::db::{Db, DbConn};
use crate::domain::access_key::KeyRequest;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::domain::scope::ADMIN;
use crate::domain::service_client::{ClientSpec, ServiceClient};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::TenantSpec;
use crate::domain::time::UnixTime;
use crate::domain::ttl;
use crate::keyring::{self, RotationTiming};
use crate::service::keys::KeyView;
use crate::service::{self, Actor};

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

/// Audits a node-wide operation (signing and master keys), which has no tenant and no service function.
fn audited(conn: &mut DbConn, action: &'static str, target: &str) -> anyhow::Result<()> {
    let event = AuditEvent {
        actor: Some("cli".into()),
        target: Some(target.into()),
        ..AuditEvent::new(action)
    };
    Ok(audit::record_now(conn, event)?)
}

/// A new secret key, as (key id, the key shown once).
struct NewSecret {
    id: String,
    key: String,
}

pub fn init(db: &Db, config: &Config, name: &str, json: bool) -> anyhow::Result<()> {
    if let Some(existing) = service_clients::find_global_admin(&mut *db.conn()?)? {
        let id = existing.id;
        bail!("already initialised: admin client {id} exists (make another key with `keygate key create --client {id}`)");
    }
    let spec = ClientSpec::confidential(name, None, vec![ADMIN.to_string()]);
    let client = create_client(db, config, spec)?;
    let secret = create_secret_key(db, &client.id, None)?;
    print(
        json,
        &json!({"client_id": client.id, "client_secret": secret.key}),
        || {
            format!(
                "Created the admin client. Its secret key is shown only now; store it safely.\n\
             client_id:     {}\nclient_secret: {}",
                client.id, secret.key
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
            let spec = TenantSpec {
                name,
                slug,
                ttl: ttl.into(),
            };
            let tenant = service::tenants::create(&mut conn, config, &Actor::cli(), spec)?.value;
            print(json, &tenant, || {
                format!("Created tenant {} ({})", tenant.id, tenant.slug)
            })
        }
        TenantCommand::List { json } => {
            let all: Vec<Tenant> = tenants::list(&mut conn, None, i64::MAX)?
                .into_iter()
                .map(Tenant::from)
                .collect();
            let line = |t: &Tenant| format!("{}  {}  {}", t.id, t.slug, t.name);
            print(json, &all, || {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
    }
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
            spec.default_scopes = (!default_scopes.is_empty()).then_some(default_scopes);
            spec.ttl = ttl.into();
            if !grant_types.is_empty() {
                spec.grant_types = grant_types
                    .iter()
                    .map(|g| GrantType::parse(g).with_context(|| format!("unknown grant type {g}")))
                    .collect::<anyhow::Result<_>>()?;
            }
            let client = create_client(db, config, spec)?;
            let secret = with_key
                .then(|| create_secret_key(db, &client.id, None))
                .transpose()?;
            let mut value = serde_json::to_value(&client)?;
            if let Some(secret) = &secret {
                value["key"] = json!({"id": secret.id, "client_secret": secret.key});
            }
            print(json, &value, || match &secret {
                Some(secret) => format!(
                    "Created client {}\nclient_secret (shown once): {}",
                    client.id, secret.key
                ),
                None => format!("Created client {}", client.id),
            })
        }
        ClientCommand::List { tenant, json } => {
            let rows = service_clients::list(
                &mut *db.conn()?,
                &ClientSelection {
                    tenant_id: tenant.as_deref(),
                    ..Default::default()
                },
                None,
                i64::MAX,
            )?;
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
            service::clients::delete(
                &mut *db.conn()?,
                config,
                &Actor::cli(),
                &ClientId::parse(&id)?,
            )?;
            print(json, &json!({"deleted": id}), || {
                format!("Deleted client {id} and its keys")
            })
        }
    }
}

fn show_client(db: &Db, config: &Config, id: &str, json: bool) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    let row =
        service_clients::find_by_id(&mut conn, id)?.with_context(|| format!("no client {id}"))?;
    let client = ServiceClient::from(row);
    let tenant_ttl = match &client.tenant_id {
        Some(tenant_id) => tenants::find_by_id(&mut conn, tenant_id)?.map(|t| t.ttl.0),
        None => None,
    };
    let mut value = serde_json::to_value(&client)?;
    value["effective_ttl"] = serde_json::to_value(ttl::resolve_all(
        &client.ttl,
        tenant_ttl.as_ref(),
        &config.server_ttl(),
    ))?;
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
            let secret = create_secret_key(db, &client, expires_in.map(|s| UnixTime::now() + s))?;
            let value =
                json!({"id": secret.id, "client_id": client, "kind": "secret", "key": secret.key});
            print(json, &value, || {
                format!("Created key {} (shown once):\n{}", secret.id, secret.key)
            })
        }
        KeyCommand::List { client, json } => {
            let keys: Vec<KeyView> =
                service::keys::list(&mut *db.conn()?, &Actor::cli(), &ClientId::parse(&client)?)?;
            let state = |k: &KeyView| {
                if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                }
            };
            let line = |k: &KeyView| format!("{}  {}  {}", k.id, k.kind.as_str(), state(k));
            print(json, &keys, || {
                keys.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        KeyCommand::Revoke {
            client,
            key_id,
            json,
        } => {
            service::keys::revoke(
                &mut *db.conn()?,
                &Actor::cli(),
                &ClientId::parse(&client)?,
                &AccessKeyId::parse(&key_id)?,
            )?;
            print(json, &json!({"revoked": key_id}), || {
                format!("Revoked key {key_id}")
            })
        }
    }
}

pub fn rotate(
    db: &Db,
    config: &Config,
    alg: Option<String>,
    timing: RotationTiming,
    json: bool,
) -> anyhow::Result<()> {
    let alg = match alg {
        Some(name) => SigningAlg::parse(&name)
            .with_context(|| format!("unknown algorithm {name}: use RS256, ES256 or EdDSA"))?,
        None => config.signing_alg,
    };
    let master_key = MasterKey::load(config.master_key.as_ref(), &config.master_key_file)?;
    let mut conn = db.conn()?;
    let kid = keyring::rotate(&mut conn, &master_key, alg, timing)?;
    audited(&mut conn, "signing_key.rotated", &kid)?;
    let value = json!({"kid": kid, "alg": alg.as_str(), "activates_in": timing.activates_in});
    print(json, &value, || {
        format!(
            "New signing key {kid} ({}): published now, signing in {} s",
            alg.as_str(),
            timing.activates_in
        )
    })
}

/// Validates and stores a client; the tenant must exist.
fn create_client(db: &Db, config: &Config, spec: ClientSpec) -> anyhow::Result<ServiceClient> {
    Ok(service::clients::create(&mut *db.conn()?, config, &Actor::cli(), spec, None)?.value)
}

/// Makes a secret key for a client that has fewer than the maximum of active keys.
fn create_secret_key(
    db: &Db,
    client_id: &str,
    expires_at: Option<UnixTime>,
) -> anyhow::Result<NewSecret> {
    let made = client_keys::make(KeyRequest::Secret, client_id, "")?;
    let mut conn = db.conn()?;
    let client_id = ClientId::parse(client_id)?;
    let key = service::keys::create(&mut conn, &Actor::cli(), &client_id, &made, expires_at)?.value;
    Ok(NewSecret {
        id: key.id,
        key: key.key.context("a secret key is shown once")?,
    })
}

/// Reseals every signing key with a new master key (read from `KEYGATE_NEW_MASTER_KEY`): all or nothing, and only
/// if the current master key opens every one of them.
pub fn rotate_master_key(
    db: &Db,
    config: &Config,
    new_key: &str,
    json: bool,
) -> anyhow::Result<()> {
    let current = MasterKey::load(config.master_key.as_ref(), &config.master_key_file)?;
    let new = MasterKey::decode(new_key).context("KEYGATE_NEW_MASTER_KEY is invalid")?;
    let mut conn = db.conn()?;
    let mut failure = None;
    let resealed = signing_keys::reseal_all(&mut conn, |kid, sealed| {
        let plain = current
            .open(kid.as_bytes(), sealed)
            .map_err(|e| failure = Some(format!("signing key {kid}: {e}")))
            .ok()?;
        new.seal(kid.as_bytes(), &plain)
            .map_err(|e| failure = Some(e.to_string()))
            .ok()
    });
    let count = match (resealed, failure) {
        (_, Some(failure)) => bail!("nothing changed: {failure}"),
        (result, None) => result?,
    };
    audited(&mut conn, "master_key.rotated", "signing_keys")?;
    print(json, &json!({"resealed": count}), || {
        format!(
            "Resealed {count} signing keys with the new master key. Restart every node with it now: a node still on \
             the old key keeps signing from memory but cannot load keys rotated from here on."
        )
    })
}
