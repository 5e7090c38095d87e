//! The service layer: one synchronous function per state-changing operation, over a connection. Each runs in one
//! write transaction, takes the acting [`Actor`], checks every rule of the operation (who may, what is valid, what
//! it references), writes its audit event in the same transaction, and answers a [`ServiceError`]. The `/v1`
//! handlers, the CLI and the account pages only parse, call and answer (docs/architecture.md).
//!
//! What a change means for a node's in-memory state (cached access keys, revoked subjects) is returned as
//! [`Effects`] beside the value; `AppState::change` applies them on the node that made the change, and other nodes
//! see the database within the revocation bound.

pub mod access;
pub mod clients;
pub mod keys;
pub mod operators;
pub mod own_clients;
pub mod records;
pub mod registrations;
pub mod roles;
pub mod sign_ins;
pub mod tenants;
pub mod trusted_issuers;
pub mod users;

use serde_json::Value;

use crate::audit::{self, AuditEvent};
use crate::db::revoked_subjects::{self, RevokedSubjectRow};
use crate::db::{write_transaction, DbConn, DbError, QueryFailure};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::IdKind;
use crate::domain::time::UnixTime;
use crate::domain::ttl::ACCOUNT_SESSION_SECONDS;

/// What an actor administers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// `keygate:admin` held by a global client, or the CLI: everything.
    Global,
    /// `keygate:tenant-admin`: everything inside this tenant.
    Tenant(String),
    /// Neither: only what a user may do with their own objects, and what record admins may.
    None,
}

/// Who performs an operation.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `cli`, a client id, or a user id: the audit events' actor.
    pub subject: String,
    pub tenant_id: Option<String>,
    pub access: Access,
}

const NOT_ADMIN: &str = "this endpoint needs the keygate:admin or keygate:tenant-admin scope";

impl Actor {
    /// The operator at the command line: global power, audited as `cli`.
    pub fn cli() -> Actor {
        Actor {
            subject: "cli".into(),
            tenant_id: None,
            access: Access::Global,
        }
    }

    /// A signed-in user of a tenant, acting for themselves (a user token or an account-page session).
    pub fn user(user_id: &str, tenant_id: &str) -> Actor {
        Actor {
            subject: user_id.into(),
            tenant_id: Some(tenant_id.into()),
            access: Access::None,
        }
    }

    /// An operator in the console: global power, audited as their id.
    pub fn operator(operator_id: &str) -> Actor {
        Actor {
            subject: operator_id.into(),
            tenant_id: None,
            access: Access::Global,
        }
    }

    /// A tenant administrator in the console: everything inside their tenant, audited as their user id.
    pub fn tenant_admin(user_id: &str, tenant_id: &str) -> Actor {
        Actor {
            subject: user_id.into(),
            tenant_id: Some(tenant_id.into()),
            access: Access::Tenant(tenant_id.into()),
        }
    }

    /// A client registering itself (RFC 7591) or managing its registration (RFC 7592), in `tenant_id`: audited as
    /// `subject` (the initial access token's id, or the client's), with no power beyond its own registration.
    pub fn registrant(subject: &str, tenant_id: &str) -> Actor {
        Actor {
            subject: subject.into(),
            tenant_id: Some(tenant_id.into()),
            access: Access::None,
        }
    }

    /// The user and tenant when the actor is a user; other actors have nothing of their own.
    pub fn as_user(&self) -> Option<(&str, &str)> {
        match &self.tenant_id {
            Some(tenant) if IdKind::User.matches(&self.subject) => {
                Some((self.subject.as_str(), tenant.as_str()))
            }
            _ => None,
        }
    }

    /// Refuses actors who administer nothing.
    pub fn require_admin(&self) -> Result<(), ServiceError> {
        match self.access {
            Access::None => Err(ServiceError::Forbidden(NOT_ADMIN.into())),
            _ => Ok(()),
        }
    }

    /// Refuses everyone but global admins.
    pub fn require_global(&self) -> Result<(), ServiceError> {
        match self.access {
            Access::Global => Ok(()),
            _ => Err(ServiceError::Forbidden(
                "this endpoint needs the keygate:admin scope of a global client".into(),
            )),
        }
    }

    /// Whether an object of `tenant_id` is administered by this actor.
    pub fn can_see(&self, tenant_id: Option<&str>) -> bool {
        match &self.access {
            Access::Global => true,
            Access::Tenant(own) => tenant_id == Some(own.as_str()),
            Access::None => false,
        }
    }

    /// The tenant a listing is limited to: the actor's own for tenant admins, else what was asked.
    pub fn tenant_filter(&self, requested: Option<String>) -> Result<Option<String>, ServiceError> {
        match (&self.access, requested) {
            (Access::Global, requested) => Ok(requested),
            (Access::Tenant(own), Some(requested)) if &requested != own => {
                Err(ServiceError::NotFound("tenant"))
            }
            (Access::Tenant(own), _) => Ok(Some(own.clone())),
            (Access::None, _) => Err(ServiceError::Forbidden(NOT_ADMIN.into())),
        }
    }

    /// The tenant a new object goes into: always their own for tenant admins (another one is 404), the one asked
    /// for (or none: global) for global admins.
    pub fn tenant_for_new(&self, asked: Option<String>) -> Result<Option<String>, ServiceError> {
        match (&self.access, asked) {
            (Access::Tenant(own), Some(asked)) if &asked != own => {
                Err(ServiceError::NotFound("tenant"))
            }
            (Access::Tenant(own), _) => Ok(Some(own.clone())),
            (_, asked) => self.require_global().map(|()| asked),
        }
    }

    /// An audit event of this actor about `target`, in `tenant_id`, concerning the client `client_id`.
    fn event(
        &self,
        action: &'static str,
        tenant_id: Option<&str>,
        client_id: Option<&str>,
        target: &str,
    ) -> AuditEvent {
        AuditEvent {
            tenant_id: tenant_id.map(String::from),
            client_id: client_id.map(String::from),
            actor: Some(self.subject.clone()),
            target: Some(target.into()),
            ..AuditEvent::new(action)
        }
    }
}

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Absent, or in a tenant the actor does not administer (never 403: no existence oracle).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    /// Well-formed but against a rule (422).
    #[error("{1}")]
    Refused(ErrorCode, String),
    /// One field of the input is not acceptable (422): the field as the `/v1` JSON names it.
    #[error("{2}")]
    InvalidField(ErrorCode, &'static str, String),
    /// Collides with what exists (409).
    #[error("{1}")]
    Conflict(ErrorCode, String),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    /// A 422 refusal.
    pub fn refused(code: ErrorCode, message: impl Into<String>) -> ServiceError {
        ServiceError::Refused(code, message.into())
    }

    /// A 422 refusal of one field's value.
    pub fn invalid(
        code: ErrorCode,
        field: &'static str,
        message: impl Into<String>,
    ) -> ServiceError {
        ServiceError::InvalidField(code, field, message.into())
    }

    /// The input field the refusal is about, when it is about one: named by the refusal, or implied by its code
    /// (`slug_taken` is about `slug`).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ServiceError::InvalidField(_, field, _) => Some(field),
            ServiceError::Refused(code, _) | ServiceError::Conflict(code, _) => code.field(),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> ServiceError {
        ServiceError::Database(DbError::Query(error))
    }
}

impl QueryFailure for ServiceError {
    fn failed_query(&self) -> Option<&diesel::result::Error> {
        match self {
            ServiceError::Database(error) => error.failed_query(),
            _ => None,
        }
    }
}

/// What a committed change means for every node's memory.
#[derive(Debug, Default)]
pub struct Effects {
    /// Ids (of keys, clients, tenants, owning users) whose cached access keys must be read again.
    pub stale: Vec<String>,
    /// Subjects whose earlier tokens and sessions are now refused.
    pub revoked: Vec<RevokedSubjectRow>,
}

/// A committed change: its value, and what nodes must apply.
#[derive(Debug)]
pub struct Changed<T> {
    pub value: T,
    pub effects: Effects,
}

/// Runs `f` in one write transaction; nothing of it is stored unless all of it is.
pub fn transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn, &mut Effects) -> Result<T, ServiceError>,
) -> Result<Changed<T>, ServiceError> {
    let mut effects = Effects::default();
    let value = write_transaction(conn, |conn| f(conn, &mut effects))?;
    Ok(Changed { value, effects })
}

/// Writes an audit event inside the operation's transaction: stored if and only if the change is.
fn audit(conn: &mut DbConn, event: AuditEvent, detail: Option<Value>) -> Result<(), ServiceError> {
    Ok(audit::record_now(conn, AuditEvent { detail, ..event })?)
}

/// Refuses every access token and account session issued to `subject` up to this second, on every node: this one
/// through `effects` at once, the others at their next sync. Kept as long as such a token can live.
fn revoke_subject(
    conn: &mut DbConn,
    effects: &mut Effects,
    max_access_token_ttl: i64,
    subject: &str,
) -> Result<(), ServiceError> {
    let now = UnixTime::now();
    let row = RevokedSubjectRow {
        subject_id: subject.to_string(),
        revoked_at: now,
        expires_at: now + max_access_token_ttl.max(ACCOUNT_SESSION_SECONDS) + 60,
    };
    revoked_subjects::upsert(conn, &row)?;
    effects.revoked.push(row);
    effects.stale.push(subject.to_string());
    Ok(())
}

/// Maps a unique violation to a conflict with its own code; other failures pass.
fn unique_or(
    error: diesel::result::Error,
    code: ErrorCode,
    message: impl FnOnce() -> String,
) -> ServiceError {
    match crate::db::is_unique_violation(&error) {
        true => ServiceError::Conflict(code, message()),
        false => error.into(),
    }
}
