//! The `access_records` and `record_subjects` tables: who holds which roles on which resources.

use diesel::prelude::*;

use super::column::Json;
use super::schema::{access_records, record_subjects};
use super::DbConn;
use crate::domain::access::Statement;
use crate::domain::time::UnixTime;

/// An access record row; `admins` and `statements` are JSON.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_records)]
pub struct AccessRecordRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub admins: Json<Vec<String>>,
    pub statements: Json<Vec<Statement>>,
    pub created_at: UnixTime,
}

/// Stores a record and its subjects, or replaces them; the caller provides the transaction.
pub fn save(conn: &mut DbConn, row: &AccessRecordRow, subjects: &[String]) -> QueryResult<()> {
    diesel::delete(access_records::table.find(&row.id)).execute(conn)?;
    insert(conn, row, subjects)
}

/// The subjects of each of these records, by record id: one read for a whole page.
pub fn subjects_of(
    conn: &mut DbConn,
    record_ids: &[String],
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = record_subjects::table
        .filter(record_subjects::record_id.eq_any(record_ids))
        .order((record_subjects::record_id, record_subjects::subject_id))
        .select((record_subjects::record_id, record_subjects::subject_id))
        .load(conn)?;
    let mut by_record = std::collections::HashMap::<String, Vec<String>>::new();
    for (record, subject) in pairs {
        by_record.entry(record).or_default().push(subject);
    }
    Ok(by_record)
}

/// Removes these users and clients from the subjects of every record (they are being deleted).
pub fn forget_subjects(conn: &mut DbConn, subject_ids: &[String]) -> QueryResult<()> {
    for chunk in subject_ids.chunks(500) {
        diesel::delete(record_subjects::table.filter(record_subjects::subject_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes a user from the admins of every record of their tenant (the user is being deleted).
pub fn forget_admin(conn: &mut DbConn, tenant_id: &str, user_id: &str) -> QueryResult<()> {
    let rows: Vec<AccessRecordRow> = access_records::table
        .filter(access_records::tenant_id.eq(tenant_id))
        .filter(access_records::admins.like(format!("%\"{user_id}\"%")))
        .select(AccessRecordRow::as_select())
        .load(conn)?;
    for row in rows {
        let mut admins = row.admins;
        admins.0.retain(|a| a != user_id);
        diesel::update(access_records::table.find(&row.id))
            .set(access_records::admins.eq(admins))
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts a record and its subjects; the caller provides the transaction.
pub fn insert(conn: &mut DbConn, row: &AccessRecordRow, subjects: &[String]) -> QueryResult<()> {
    diesel::insert_into(access_records::table)
        .values(row)
        .execute(conn)?;
    for subject in subjects {
        diesel::insert_into(record_subjects::table)
            .values((
                record_subjects::record_id.eq(&row.id),
                record_subjects::subject_id.eq(subject),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_by_id(
    conn: &mut DbConn,
    id: &str,
) -> QueryResult<Option<(AccessRecordRow, Vec<String>)>> {
    let Some(row) = access_records::table
        .find(id)
        .select(AccessRecordRow::as_select())
        .get_result(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let subjects = record_subjects::table
        .filter(record_subjects::record_id.eq(id))
        .select(record_subjects::subject_id)
        .load(conn)?;
    Ok(Some((row, subjects)))
}

/// The records that name `subject`, of `tenant_id` and global ones (or global ones only): two indexed reads,
/// whatever the number of records in the tenant.
pub fn find_for_subject(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    subject: &str,
) -> QueryResult<Vec<AccessRecordRow>> {
    // Record ids by subject first (the subject index), then those records by primary key: a join would let the
    // planner scan the tenant's records instead, which grows with the tenant.
    let record_ids: Vec<String> = record_subjects::table
        .filter(record_subjects::subject_id.eq(subject))
        .select(record_subjects::record_id)
        .load(conn)?;
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = access_records::table
        .filter(access_records::id.eq_any(record_ids))
        .select(AccessRecordRow::as_select())
        .into_boxed();
    // A tenant's subject is decided by its tenant's records and the global ones.
    query = match tenant_id {
        Some(tenant_id) => query.filter(
            access_records::tenant_id
                .eq(tenant_id.to_string())
                .or(access_records::tenant_id.is_null()),
        ),
        None => query.filter(access_records::tenant_id.is_null()),
    };
    query.load(conn)
}

/// Up to `limit` records (of one tenant, when given), ordered by id after `after`.
pub fn list(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AccessRecordRow>> {
    let mut query = access_records::table
        .select(AccessRecordRow::as_select())
        .order(access_records::id)
        .limit(limit)
        .into_boxed();
    if let Some(tenant_id) = tenant_id {
        query = query.filter(access_records::tenant_id.eq(tenant_id.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(access_records::id.gt(after.to_string()));
    }
    query.load(conn)
}

pub fn delete_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(access_records::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
