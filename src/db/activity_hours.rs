//! The `activity_hours` table: tokens issued and failed authentications per tenant and hour, for the console.

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::activity_hours;
use super::DbConn;

/// One hour's count of one event in one tenant (`""`: none known).
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = activity_hours)]
pub struct ActivityRow {
    pub tenant_id: String,
    pub hour: i64,
    pub event: String,
    pub count: i64,
}

/// Adds each row's count to what is stored (several nodes add to the same hours), in one transaction.
pub fn add(conn: &mut DbConn, rows: &[ActivityRow]) -> QueryResult<()> {
    conn.transaction(|conn| {
        for row in rows {
            let upsert = diesel::insert_into(activity_hours::table)
                .values(row)
                .on_conflict((
                    activity_hours::tenant_id,
                    activity_hours::hour,
                    activity_hours::event,
                ))
                .do_update()
                .set(
                    activity_hours::count
                        .eq(activity_hours::count + excluded(activity_hours::count)),
                );
            // The enum connection has no upsert; each backend has the same one.
            match conn {
                DbConn::Sqlite(sqlite) => upsert.execute(sqlite)?,
                DbConn::Postgres(pg) => upsert.execute(pg)?,
            };
        }
        Ok(())
    })
}

/// One hour's count of one event, summed over the tenants asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCount {
    pub hour: i64,
    pub event: String,
    pub count: i64,
}

/// The counts per hour and event from `since_hour` on, in one tenant or summed over all.
pub fn since(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    since_hour: i64,
) -> QueryResult<Vec<HourCount>> {
    let mut query = activity_hours::table
        .filter(activity_hours::hour.ge(since_hour))
        .into_boxed();
    if let Some(tenant_id) = tenant_id {
        query = query.filter(activity_hours::tenant_id.eq(tenant_id.to_string()));
    }
    let rows: Vec<(i64, String, i64)> = query
        .select((
            activity_hours::hour,
            activity_hours::event,
            activity_hours::count,
        ))
        .load(conn)?;
    // Summed here rather than by GROUP BY: SUM's type differs between the backends, and the rows are few.
    let mut sums: std::collections::BTreeMap<(i64, String), i64> = Default::default();
    for (hour, event, count) in rows {
        *sums.entry((hour, event)).or_default() += count;
    }
    Ok(sums
        .into_iter()
        .map(|((hour, event), count)| HourCount { hour, event, count })
        .collect())
}

/// Forgets hours before `before_hour`.
pub fn delete_before(conn: &mut DbConn, before_hour: i64) -> QueryResult<usize> {
    diesel::delete(activity_hours::table.filter(activity_hours::hour.lt(before_hour))).execute(conn)
}
