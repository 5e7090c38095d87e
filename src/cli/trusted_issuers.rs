//! `keygate trusted-issuer`: which external OIDC issuers' tokens a tenant's clients accept (docs/contract.md,
//! "Trusted identities"). The same service calls as `/v1/trusted-issuers`, audited with the actor `cli`.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde_json::json;

use super::admin::print;
use super::TrustedIssuerCommand;
use crate::config::Config;
use crate::db::Db;
use crate::domain::ids::TrustedIssuerId;
use crate::service::trusted_issuers::{self, TrustedIssuer, TrustedIssuerInput};
use crate::service::Actor;

pub fn run(db: &Db, config: &Config, command: TrustedIssuerCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        TrustedIssuerCommand::Create { file, tenant, json } => {
            let mut input = read_input(&file)?;
            if tenant.is_some() {
                input.tenant_id = tenant;
            }
            let policy = config.trusted_issuer_urls();
            let trust = trusted_issuers::create(&mut conn, &Actor::cli(), policy, input)?.value;
            print(json, &trust, || {
                format!("Created trusted issuer {} ({})", trust.id, trust.issuer)
            })
        }
        TrustedIssuerCommand::List { tenant, json } => {
            let all = trusted_issuers::list(&mut conn, &Actor::cli(), tenant, None, i64::MAX)?;
            let line = |t: &TrustedIssuer| {
                let tenant = t.tenant_id.as_deref().unwrap_or("(global)");
                let rules = t.rules.len();
                format!("{}  {}  {tenant}  {} rule(s)", t.id, t.issuer, rules)
            };
            print(json, &all, || {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        TrustedIssuerCommand::Delete { id, json } => {
            trusted_issuers::delete(&mut conn, &Actor::cli(), &TrustedIssuerId::parse(&id)?)?;
            print(json, &json!({"deleted": id}), || {
                format!("Deleted trusted issuer {id}")
            })
        }
    }
}

/// The trust as the API takes it, from a file or, for `-`, standard input.
fn read_input(file: &Path) -> anyhow::Result<TrustedIssuerInput> {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    };
    serde_json::from_str(&text).context("the trusted issuer is not valid JSON of its API shape")
}
