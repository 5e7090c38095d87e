//! Users of a tenant: create, change (a new password or disabling ends their sign-ins), delete (which deletes the
//! clients they own). Passwords arrive hashed: argon2 runs on the blocking pool before the transaction.

use secrecy::{ExposeSecret, SecretString};

use super::{audit, clients, revoke_subject, transaction, unique_or, Actor, Changed, ServiceError};
use crate::config::Config;
use crate::crypto::password;
use crate::db::users::{self, User, UserRow};
use crate::db::{access_records, refresh_tokens, service_clients, DbConn};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::IdKind;
use crate::domain::ids::{TenantId, UserId};
use crate::domain::time::UnixTime;
use crate::domain::user::{Email, Username};

/// A new user; `password_hash` comes from [`check_password`] and the hasher.
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    /// Administers the tenant in the console.
    pub tenant_admin: bool,
}

/// Changes to a user; `None` keeps a field.
#[derive(Default)]
pub struct UserChanges {
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<String>>,
    /// A new address is unverified unless this says otherwise.
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
    pub tenant_admin: Option<bool>,
}

/// The stored address and key of an optional email, checked.
fn email_columns(email: Option<&str>) -> Result<(Option<String>, Option<String>), ServiceError> {
    match email {
        None => Ok((None, None)),
        Some(raw) => {
            let email = Email::parse(raw).map_err(|e| {
                ServiceError::invalid(ErrorCode::InvalidUser, "email", e.to_string())
            })?;
            Ok((Some(email.address), Some(email.key)))
        }
    }
}

/// A user is verified only with an address to verify.
fn check_verified(row: &UserRow) -> Result<(), ServiceError> {
    match row.email_verified && row.email.is_none() {
        true => Err(ServiceError::invalid(
            ErrorCode::InvalidUser,
            "email_verified",
            "email_verified needs an email",
        )),
        false => Ok(()),
    }
}

/// A taken username or email is a conflict naming which.
fn taken(error: diesel::result::Error) -> ServiceError {
    match crate::db::is_unique_violation_of(&error, "email") {
        true => ServiceError::Conflict(
            ErrorCode::EmailTaken,
            "this email is taken in the tenant".into(),
        ),
        false => unique_or(error, ErrorCode::UsernameTaken, || {
            "this username is taken in the tenant".into()
        }),
    }
}

/// The password policy, checked before a password is hashed.
pub fn check_password(candidate: &SecretString) -> Result<(), ServiceError> {
    password::check_policy(candidate.expose_secret())
        .map_err(|e| ServiceError::refused(ErrorCode::WeakPassword, e))
}

/// The tenant's user `user_id`, if the actor administers the tenant.
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
    user_id: &UserId,
) -> Result<UserRow, ServiceError> {
    ensure_administers(actor, tenant_id.as_str())?;
    users::find_by_id(conn, user_id.as_str())?
        .filter(|u| u.tenant_id == tenant_id.as_str())
        .ok_or(ServiceError::NotFound("user"))
}

/// Refuses actors who do not administer `tenant_id` (404 for a tenant they cannot see).
pub fn ensure_administers(actor: &Actor, tenant_id: &str) -> Result<(), ServiceError> {
    actor.require_admin()?;
    match actor.can_see(Some(tenant_id)) {
        true => Ok(()),
        false => Err(ServiceError::NotFound("tenant")),
    }
}

/// A new user of `tenant_id`. Usernames are unique by their NFKC, lowercased form.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: &TenantId,
    new: NewUser,
) -> Result<Changed<User>, ServiceError> {
    ensure_administers(actor, tenant_id.as_str())?;
    let username = Username::parse(&new.username)
        .map_err(|e| ServiceError::invalid(ErrorCode::InvalidUser, "username", e.to_string()))?;
    let (email, email_key) = email_columns(new.email.as_deref())?;
    let now = UnixTime::now();
    let row = UserRow {
        id: IdKind::User.generate(),
        tenant_id: tenant_id.to_string(),
        username: username.display,
        username_key: username.key,
        password_hash: new.password_hash,
        display_name: new.display_name,
        disabled: false,
        created_at: now,
        password_changed_at: now,
        email,
        email_key,
        email_verified: new.email_verified,
        tenant_admin: new.tenant_admin,
    };
    check_verified(&row)?;
    transaction(conn, |conn, _| {
        crate::db::tenants::find_by_id(conn, tenant_id.as_str())?
            .ok_or(ServiceError::NotFound("tenant"))?;
        users::insert(conn, &row).map_err(taken)?;
        audit(
            conn,
            actor.event("user.created", Some(tenant_id.as_str()), None, &row.id),
            None,
        )?;
        Ok(User::from(row.clone()))
    })
}

/// Changes a user. A new password ends their refresh tokens and sessions; disabling also stops the clients they
/// own (their keys and tokens) until they are enabled again.
pub fn update(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    tenant_id: &TenantId,
    user_id: &UserId,
    changes: UserChanges,
) -> Result<Changed<User>, ServiceError> {
    transaction(conn, |conn, effects| {
        let mut row = find_visible(conn, actor, tenant_id, user_id)?;
        let now = UnixTime::now();
        let disabling = changes.disabled == Some(true) && !row.disabled;
        let ends_sign_ins = changes.password_hash.is_some() || changes.disabled == Some(true);
        if let Some(hash) = changes.password_hash {
            (row.password_hash, row.password_changed_at) = (hash, now);
        }
        row.display_name = changes.display_name.or(row.display_name);
        if let Some(email) = changes.email {
            let changed = email.as_deref() != row.email.as_deref();
            (row.email, row.email_key) = email_columns(email.as_deref())?;
            row.email_verified &= !changed;
        }
        row.email_verified = changes.email_verified.unwrap_or(row.email_verified);
        check_verified(&row)?;
        row.disabled = changes.disabled.unwrap_or(row.disabled);
        row.tenant_admin = changes.tenant_admin.unwrap_or(row.tenant_admin);
        users::update(conn, &row).map_err(taken)?;
        if ends_sign_ins {
            refresh_tokens::revoke_for_user(conn, &row.id, now)?;
            revoke_subject(conn, effects, config.max_access_token_ttl, &row.id)?;
        }
        if disabling {
            for client in service_clients::owned_by_user(conn, &row.id)? {
                revoke_subject(conn, effects, config.max_access_token_ttl, &client.id)?;
            }
        }
        // Cached keys of the clients they own carry whether the owner is disabled.
        effects.stale.push(row.id.clone());
        audit(
            conn,
            actor.event("user.updated", Some(tenant_id.as_str()), None, &row.id),
            None,
        )?;
        Ok(User::from(row))
    })
}

/// Deletes a user and everything under them: the clients they own (with their keys, tokens and the records made
/// for them), their refresh tokens, sessions and access tokens, and their place in records.
pub fn delete(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    tenant_id: &TenantId,
    user_id: &UserId,
) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, effects| {
        let user = find_visible(conn, actor, tenant_id, user_id)?;
        for client in service_clients::owned_by_user(conn, &user.id)? {
            clients::remove(conn, config, effects, actor, &client.into())?;
        }
        access_records::forget_subjects(conn, std::slice::from_ref(&user.id))?;
        access_records::forget_admin(conn, tenant_id.as_str(), &user.id)?;
        refresh_tokens::delete_for_user(conn, &user.id)?;
        users::delete_by_id(conn, &user.id)?;
        revoke_subject(conn, effects, config.max_access_token_ttl, &user.id)?;
        audit(
            conn,
            actor.event("user.deleted", Some(tenant_id.as_str()), None, &user.id),
            None,
        )?;
        Ok(())
    })
}
