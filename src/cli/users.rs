//! `keygate user …`: the people of a tenant.

use std::io::Read;

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::admin::print;
use super::UserCommand;
use crate::audit::{self, AuditEvent};
use crate::crypto::password;
use crate::db::users::{self, User, UserRow};
use crate::db::{is_unique_violation, Db};
use crate::domain::ids::IdKind;
use crate::domain::unix_now;

pub fn run(db: &Db, command: UserCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        UserCommand::Create {
            tenant,
            username,
            display_name,
            password_stdin,
            json,
        } => {
            let password = read_password(password_stdin)?;
            password::check_policy(password.expose_secret()).map_err(anyhow::Error::msg)?;
            anyhow::ensure!(
                !username.trim().is_empty() && username.chars().count() <= 100,
                "username must be 1 to 100 characters"
            );
            let now = unix_now();
            let row = UserRow {
                id: IdKind::User.generate(),
                tenant_id: tenant.clone(),
                username: username.trim().to_string(),
                username_key: users::username_key(&username),
                password_hash: password::hash_blocking(&password)?,
                display_name,
                disabled: false,
                created_at: now,
                password_changed_at: now,
            };
            match users::insert(&mut conn, &row) {
                Err(e) if is_unique_violation(&e) => {
                    bail!("tenant {tenant} already has a user {username:?}")
                }
                other => other.with_context(|| {
                    format!("cannot create the user (does tenant {tenant} exist?)")
                })?,
            }
            let event = AuditEvent {
                tenant_id: Some(tenant),
                actor: Some("cli".into()),
                target: Some(row.id.clone()),
                ..AuditEvent::new("user.created")
            };
            audit::record_now(&mut conn, event)?;
            let user = User::from(row);
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
            let user = users::find_by_id(&mut conn, &user_id)?.filter(|u| u.tenant_id == tenant);
            user.with_context(|| format!("tenant {tenant} has no user {user_id}"))?;
            users::delete_by_id(&mut conn, &user_id)?;
            let event = AuditEvent {
                tenant_id: Some(tenant),
                actor: Some("cli".into()),
                target: Some(user_id.clone()),
                ..AuditEvent::new("user.deleted")
            };
            audit::record_now(&mut conn, event)?;
            print(json, &json!({"deleted": user_id}), || {
                format!("Deleted user {user_id}")
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
