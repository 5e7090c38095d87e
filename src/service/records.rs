//! Access records: who (users, clients) holds which roles on which resources, and who besides the tenant's admins
//! may change the record. A user who administers a record changes it only within what they hold themselves.

use crate::domain::ids::{SubjectId, UserId};
use serde::{Deserialize, Serialize};

use super::access::ensure_user_holds;
use super::{audit, transaction, Actor, Changed, ServiceError};
use crate::db::access_records::{self, AccessRecordRow};
use crate::db::column::Json;
use crate::db::{roles, service_clients, users, DbConn};
use crate::domain::access::{self, Statement, StatementInput};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::IdKind;
use crate::domain::ids::RecordId;
use crate::domain::time::UnixTime;

/// An access record as written.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    /// The tenant; a tenant admin's records are always its own. Ignored when replacing.
    #[schema(pattern = "^ten_[0-9A-Za-z]{22}$")]
    pub tenant_id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// Users and service clients of the record's tenant (of any tenant for a global record).
    #[serde(default)]
    #[schema(inline, value_type = Vec<SubjectId>)]
    pub subjects: Vec<String>,
    /// Users of the record's tenant who may change this record; a global record has none.
    #[serde(default)]
    #[schema(inline, value_type = Vec<UserId>)]
    pub admins: Vec<String>,
    pub statements: Vec<StatementInput>,
}

/// An access record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub subjects: Vec<String>,
    pub admins: Vec<String>,
    pub statements: Vec<Statement>,
    pub created_at: UnixTime,
}

impl Record {
    /// A stored record and its subjects.
    pub fn new(row: AccessRecordRow, subjects: Vec<String>) -> Record {
        Record {
            admins: row.admins.0,
            statements: row.statements.0,
            subjects,
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            created_at: row.created_at,
        }
    }
}

fn invalid(field: &'static str, message: String) -> ServiceError {
    ServiceError::invalid(ErrorCode::InvalidRecord, field, message)
}

/// Checks the input: its shape, that every role exists for the tenant, and that every subject and admin exists in
/// the record's tenant. Returns the statements with patterns in normal form.
fn checked(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    input: &RecordInput,
) -> Result<Vec<Statement>, ServiceError> {
    if input.name.trim().is_empty() || input.name.chars().count() > 200 {
        return Err(invalid("name", "name must be 1 to 200 characters".into()));
    }
    let statements = access::validate(&input.subjects, &input.admins, &input.statements)
        .map_err(|e| invalid(e.field, e.message))?;
    let mut names: Vec<String> = statements.iter().flat_map(|s| s.roles.clone()).collect();
    names.sort();
    names.dedup();
    let found = roles::find_visible(conn, tenant_id, Some(&names))?;
    if let Some(missing) = names.iter().find(|n| !found.iter().any(|r| &r.name == *n)) {
        return Err(invalid(
            "statements",
            format!("no role named {missing:?} in this tenant"),
        ));
    }
    for subject in &input.subjects {
        ensure_member(conn, tenant_id, subject, "subjects")?;
    }
    if tenant_id.is_none() && !input.admins.is_empty() {
        return Err(invalid(
            "admins",
            "a global record has no user admins".into(),
        ));
    }
    for admin in &input.admins {
        ensure_member(conn, tenant_id, admin, "admins")?;
    }
    Ok(statements)
}

/// Refuses an id of `field` (`subjects` or `admins`) that does not exist or is of another tenant (the same answer
/// for both: no existence oracle). A global record may name users and clients of any tenant.
fn ensure_member(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    id: &str,
    field: &'static str,
) -> Result<(), ServiceError> {
    let found_in = if IdKind::User.matches(id) {
        users::find_by_id(conn, id)?.map(|u| Some(u.tenant_id))
    } else {
        service_clients::find_by_id(conn, id)?.map(|c| c.tenant_id)
    };
    match (found_in, tenant_id) {
        (Some(_), None) => Ok(()),
        (Some(Some(theirs)), Some(ours)) if theirs == ours => Ok(()),
        _ => Err(ServiceError::invalid(
            ErrorCode::InvalidSubject,
            field,
            format!("{id:?} does not exist in this record's tenant"),
        )),
    }
}

fn row_of(
    id: String,
    tenant_id: Option<String>,
    input: &RecordInput,
    statements: &[Statement],
    created_at: UnixTime,
) -> AccessRecordRow {
    AccessRecordRow {
        id,
        tenant_id,
        name: input.name.trim().to_string(),
        admins: Json(input.admins.clone()),
        statements: Json(statements.to_vec()),
        created_at,
    }
}

/// A new record (tenant and global admins).
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    input: RecordInput,
) -> Result<Changed<Record>, ServiceError> {
    let tenant_id = actor.tenant_for_new(input.tenant_id.clone())?;
    transaction(conn, |conn, _| {
        if let Some(tenant_id) = &tenant_id {
            crate::db::tenants::find_by_id(conn, tenant_id)?
                .ok_or(ServiceError::NotFound("tenant"))?;
        }
        insert(conn, actor, tenant_id.as_deref(), &input)
    })
}

/// Checks and stores a record of an existing tenant (or a global one) and audits it; the caller provides the
/// transaction and has checked that the actor may make records there.
pub(super) fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: Option<&str>,
    input: &RecordInput,
) -> Result<Record, ServiceError> {
    let statements = checked(conn, tenant_id, input)?;
    let row = row_of(
        IdKind::AccessRecord.generate(),
        tenant_id.map(String::from),
        input,
        &statements,
        UnixTime::now(),
    );
    access_records::save(conn, &row, &input.subjects)?;
    audit(
        conn,
        actor.event("record.created", row.tenant_id.as_deref(), None, &row.id),
        None,
    )?;
    Ok(Record::new(row, input.subjects.clone()))
}

/// The record `id` if the actor administers its tenant or is one of its admins; whether they are a user-admin
/// (bounded by what they hold) or a full admin.
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: &RecordId,
) -> Result<(AccessRecordRow, Vec<String>, bool), ServiceError> {
    let (row, subjects) =
        access_records::find_by_id(conn, id.as_str())?.ok_or(ServiceError::NotFound("record"))?;
    if actor.can_see(row.tenant_id.as_deref()) {
        return Ok((row, subjects, false));
    }
    match actor.as_user() {
        Some((user, tenant))
            if row.tenant_id.as_deref() == Some(tenant) && row.admins.iter().any(|a| a == user) =>
        {
            Ok((row, subjects, true))
        }
        _ => Err(ServiceError::NotFound("record")),
    }
}

/// Replaces a record's name, subjects, admins and statements. A user-admin may grant only what they hold.
pub fn replace(
    conn: &mut DbConn,
    actor: &Actor,
    id: &RecordId,
    input: RecordInput,
) -> Result<Changed<Record>, ServiceError> {
    transaction(conn, |conn, _| {
        let (existing, _, bounded) = find_visible(conn, actor, id)?;
        let statements = checked(conn, existing.tenant_id.as_deref(), &input)?;
        if let (true, Some((user, tenant))) = (bounded, actor.as_user()) {
            ensure_user_holds(conn, user, tenant, &statements)?;
        }
        let row = row_of(
            existing.id.clone(),
            existing.tenant_id.clone(),
            &input,
            &statements,
            existing.created_at,
        );
        access_records::save(conn, &row, &input.subjects)?;
        audit(
            conn,
            actor.event("record.updated", row.tenant_id.as_deref(), None, &row.id),
            None,
        )?;
        Ok(Record::new(row, input.subjects.clone()))
    })
}

/// Deletes a record (its admins may too: that only takes power away).
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: &RecordId,
) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, _| {
        let (row, _, _) = find_visible(conn, actor, id)?;
        access_records::delete_by_id(conn, &row.id)?;
        audit(
            conn,
            actor.event("record.deleted", row.tenant_id.as_deref(), None, &row.id),
            None,
        )?;
        Ok(())
    })
}

/// A page of records (of the actor's tenant for tenant admins), each with its subjects.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Record>, ServiceError> {
    let tenant_id = actor.tenant_filter(None)?;
    let rows = access_records::list(conn, tenant_id.as_deref(), after, limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut subjects = access_records::subjects_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let of_row = subjects.remove(&row.id).unwrap_or_default();
            Record::new(row, of_row)
        })
        .collect())
}
