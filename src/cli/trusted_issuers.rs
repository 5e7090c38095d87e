//! `keygate trusted-issuer`: which external OIDC issuers' tokens a tenant's clients accept (docs/contract.md,
//! "Trusted identities"). The same service calls as `/v1/trusted-issuers`, audited with the actor `cli`.

use serde_json::json;

use super::admin::print;
use super::{read_json, TrustedIssuerCommand};
use crate::config::Config;
use crate::db::Db;
use crate::domain::ids::TrustedIssuerId;
use crate::service::trusted_issuers::{self, TrustedIssuer, TrustedIssuerInput};
use crate::service::Actor;

pub fn run(db: &Db, config: &Config, command: TrustedIssuerCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        TrustedIssuerCommand::Create { file, tenant, json } => {
            let mut input: TrustedIssuerInput = read_json(&file, "trusted issuer")?;
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
