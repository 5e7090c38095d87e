//! `keygate registration-token` and `keygate open-registration`: how clients may register themselves in a tenant
//! (RFC 7591; docs/contract.md, "Dynamic client registration"). The same service calls as
//! `/v1/tenants/{id}/registration-tokens` and `/v1/tenants/{id}/open-registration`, audited with the actor `cli`.

use serde_json::json;

use super::admin::print;
use super::{read_json, OpenRegistrationCommand, RegistrationTokenCommand};
use crate::db::Db;
use crate::domain::ids::{RegistrationTokenId, TenantId};
use crate::domain::registration::{OpenRegistrationInput, RegistrationPolicy};
use crate::service::registrations::{self, RegistrationToken, RegistrationTokenInput};
use crate::service::Actor;

pub fn run_tokens(db: &Db, command: RegistrationTokenCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    let actor = Actor::cli();
    match command {
        RegistrationTokenCommand::Create {
            tenant,
            max_uses,
            expires_in,
            policy,
            json,
        } => {
            let policy: RegistrationPolicy = match policy {
                Some(file) => read_json(&file, "registration policy")?,
                None => RegistrationPolicy::default(),
            };
            let input = RegistrationTokenInput {
                max_uses,
                expires_in,
                policy,
            };
            let tenant = TenantId::parse(&tenant)?;
            let made = registrations::create_token(&mut conn, &actor, &tenant, input)?.value;
            print(json, &made, || {
                let token = made.token.as_deref().unwrap_or_default();
                format!(
                    "Created initial access token {} (shown once):\n{token}",
                    made.id
                )
            })
        }
        RegistrationTokenCommand::List { tenant, json } => {
            let tenant = TenantId::parse(&tenant)?;
            let all = registrations::list_tokens(&mut conn, &actor, &tenant, None, i64::MAX)?;
            let line = |t: &RegistrationToken| {
                let uses = t.max_uses.map_or("unlimited".into(), |m| m.to_string());
                format!("{}  {} of {uses} uses", t.id, t.uses)
            };
            print(json, &all, || {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        RegistrationTokenCommand::Delete { tenant, id, json } => {
            let (tenant, token) = (TenantId::parse(&tenant)?, RegistrationTokenId::parse(&id)?);
            registrations::delete_token(&mut conn, &actor, &tenant, &token)?;
            print(json, &json!({"deleted": id}), || {
                format!("Deleted initial access token {id}")
            })
        }
    }
}

pub fn run_open(db: &Db, command: OpenRegistrationCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    let actor = Actor::cli();
    let (tenant, policy, json) = match command {
        OpenRegistrationCommand::Show { tenant, json } => {
            let tenant = TenantId::parse(&tenant)?;
            let open = registrations::open_registration(&mut conn, &actor, &tenant)?;
            let state = if open.policy.is_some() { "on" } else { "off" };
            return print(json, &open, || format!("Open registration is {state}"));
        }
        OpenRegistrationCommand::On { tenant, file, json } => {
            let input: OpenRegistrationInput = read_json(&file, "open registration policy")?;
            (tenant, Some(input.into()), json)
        }
        OpenRegistrationCommand::Off { tenant, json } => (tenant, None, json),
    };
    let tenant = TenantId::parse(&tenant)?;
    let open = registrations::set_open_registration(&mut conn, &actor, &tenant, policy)?.value;
    let state = if open.policy.is_some() { "on" } else { "off" };
    print(json, &open, || format!("Open registration is {state}"))
}
