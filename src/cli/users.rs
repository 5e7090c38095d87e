//! `keygate user …`: the people of a tenant.

use std::io::Read;

use anyhow::Context;
use secrecy::SecretString;
use serde_json::json;

use super::admin::print;
use super::{OperatorCommand, UserCommand};
use crate::config::Config;
use crate::crypto::password;
use crate::db::operators::{self, Operator};
use crate::db::users::{self, User};
use crate::db::Db;
use crate::domain::ids::{TenantId, UserId};
use crate::service::operators::{self as operator_service, NewOperator};
use crate::service::users::{self as service, NewUser};
use crate::service::Actor;

pub fn run(db: &Db, config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        UserCommand::Create {
            tenant,
            username,
            display_name,
            email,
            email_verified,
            tenant_admin,
            password_stdin,
            json,
        } => {
            let password = read_password(password_stdin)?;
            service::check_password(&password)?;
            let new = NewUser {
                username,
                password_hash: password::hash_blocking(&password)?,
                display_name,
                email,
                email_verified,
                tenant_admin,
            };
            let user =
                service::create(&mut conn, &Actor::cli(), &TenantId::parse(&tenant)?, new)?.value;
            print(json, &user, || {
                format!("Created user {} ({})", user.id, user.username)
            })
        }
        UserCommand::List { tenant, json } => {
            let all: Vec<User> = users::list(&mut conn, &tenant, None, i64::MAX)?
                .into_iter()
                .map(User::from)
                .collect();
            print(json, &all, || {
                all.iter()
                    .map(|u| format!("{}  {}", u.id, u.username))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        UserCommand::Delete {
            tenant,
            user_id,
            json,
        } => {
            let (tenant, user) = (TenantId::parse(&tenant)?, UserId::parse(&user_id)?);
            service::delete(&mut conn, config, &Actor::cli(), &tenant, &user)?;
            print(json, &json!({"deleted": user_id}), || {
                format!("Deleted user {user_id}, the clients they owned and their sign-ins")
            })
        }
    }
}

/// `keygate operator …`: the console's accounts of no tenant.
pub fn operators(db: &Db, command: OperatorCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        OperatorCommand::Create {
            username,
            password_stdin,
            json,
        } => {
            let password = read_password(password_stdin)?;
            service::check_password(&password)?;
            let new = NewOperator {
                username,
                password_hash: password::hash_blocking(&password)?,
            };
            let operator = operator_service::create(&mut conn, &Actor::cli(), new)?.value;
            print(json, &operator, || {
                format!("Created operator {} ({})", operator.id, operator.username)
            })
        }
        OperatorCommand::List { json } => {
            let all: Vec<Operator> = operators::list(&mut conn)?
                .into_iter()
                .map(Operator::from)
                .collect();
            print(json, &all, || {
                all.iter()
                    .map(|o| format!("{}  {}", o.id, o.username))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

/// The password from standard input, or from `KEYGATE_USER_PASSWORD`: never from the command line, where other
/// users of the machine could read it.
fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin {
        let mut password = String::new();
        std::io::stdin().read_to_string(&mut password)?;
        return Ok(password.trim_end_matches(['\r', '\n']).to_string().into());
    }
    std::env::var("KEYGATE_USER_PASSWORD")
        .map(SecretString::from)
        .context("give the password on standard input with --password-stdin, or in KEYGATE_USER_PASSWORD")
}
