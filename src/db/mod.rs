//! Storage: one diesel code base over SQLite (embedded default) and PostgreSQL, an r2d2 pool, embedded migrations.
//!
//! A lookup by a unique key reads with `get_result`, never `first`: `first` adds `LIMIT ?` with a bound value, and
//! SQLite re-prepares (parses and plans again) a statement whose `LIMIT` is bound each time it is bound, so the
//! statement cache would not hold for the hottest reads (seen in a profile of the refresh grant: 5 % of its CPU).
//! `tests/queries.rs` keeps `first` out of this module.

pub mod access_keys;
pub mod access_records;
pub mod activity_hours;
pub mod audit_events;
pub mod authorization_codes;
pub mod column;
pub mod operators;
pub mod refresh_tokens;
pub mod registrations;
pub mod revoked_subjects;
pub mod revoked_tokens;
pub mod roles;
pub mod schema;
pub mod service_clients;
pub mod signing_keys;
pub mod tenants;
pub mod trusted_issuers;
pub mod used_assertions;
pub mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Picks the backend from the URL's scheme: `postgres://`/`postgresql://`, `sqlite://path`, or a bare file path.
pub fn parse_database_url(url: &str) -> anyhow::Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok((Backend::Sqlite, path.to_string()));
    }
    anyhow::ensure!(
        !url.contains("://"),
        "unsupported database URL {url:?}: use postgres://… or an SQLite file path (optionally sqlite://path)"
    );
    anyhow::ensure!(!url.is_empty(), "the database URL is empty");
    Ok((Backend::Sqlite, url.to_string()))
}

/// The SQLite database holds hashes and sealed keys: like the master key, it is readable by its owner only. A new
/// file is created 0600 before SQLite opens it (its `-wal` and `-shm` files take the database file's mode), and
/// files an older version left readable to others are narrowed.
fn owner_only_files(database: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if database.as_os_str() == ":memory:" || database.to_string_lossy().starts_with("file:") {
        return Ok(());
    }
    if !database.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(database)
            .with_context(|| format!("cannot create the database file {}", database.display()))?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = Path::new(&name);
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot make {} owner-only", path.display()))?;
                tracing::warn!(path = %path.display(), "the database file was readable by others; it is now 0600");
            }
            _ => {}
        }
    }
    Ok(())
}

/// Opens connections of the backend its URL names, with SQLite tuned for a server.
#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
    target: String,
}

/// A connection in the pool, with what the pool needs to know about it. Derefs to the `DbConn` queries take.
pub struct PooledDbConn {
    conn: DbConn,
    /// When a query or a check last succeeded on it.
    alive_at: Instant,
    /// A query failed because the server is gone: the pool drops this connection instead of lending it again.
    broken: bool,
}

impl std::ops::Deref for PooledDbConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledDbConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// A PostgreSQL connection that answered this recently is lent without asking it again.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

impl ManageConnection for ConnectionManager {
    type Connection = PooledDbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PooledDbConn, Self::Error> {
        Ok(PooledDbConn {
            conn: self.open()?,
            alive_at: Instant::now(),
            broken: false,
        })
    }

    /// Runs on every checkout. An SQLite file cannot disconnect; a PostgreSQL connection may have died with its
    /// server, so one idle for over a second is asked (`SELECT 1`, a round trip). A busy pool skips the check, and
    /// a connection whose query fails as disconnected is dropped by `has_broken`.
    fn is_valid(&self, conn: &mut PooledDbConn) -> Result<(), Self::Error> {
        if matches!(conn.conn, DbConn::Sqlite(_)) || conn.alive_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)?;
        conn.alive_at = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut PooledDbConn) -> bool {
        conn.broken
    }
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConn, diesel::r2d2::Error> {
        match self.backend {
            Backend::Postgres => Ok(DbConn::Postgres(PgConnection::establish(&self.target)?)),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // WAL lets readers run beside the one writer; busy_timeout makes writers queue instead of failing,
                // and comes first so that switching to WAL waits too when another process is writing.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the database task was cancelled")]
    Cancelled,
    /// One failure answered to every request of a group written together (`group_commit`).
    #[error(transparent)]
    Shared(Arc<DbError>),
}

impl DbError {
    /// Whether the database could not be reached or was too busy (answered 503, retried by callers), as opposed to
    /// a query that is wrong: no connection within the timeout, a connection that died, or SQLite still locked
    /// after `busy_timeout`.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) => true,
            DbError::Query(error) => {
                is_disconnection(error)
                    || matches!(error, diesel::result::Error::DatabaseError(_, info)
                        if info.message().contains("database is locked")
                            || info.message().contains("database table is locked"))
            }
            DbError::Cancelled => false,
            DbError::Shared(error) => error.is_unavailable(),
        }
    }

    /// Whether PostgreSQL refused text the caller sent (a NUL character, which SQLite stores but PostgreSQL's text
    /// type cannot hold): the request's fault, answered 400, not a server error.
    pub fn is_unstorable_text(&self) -> bool {
        match self {
            DbError::Query(diesel::result::Error::DatabaseError(_, info)) => info
                .message()
                .contains("invalid byte sequence for encoding"),
            DbError::Shared(error) => error.is_unstorable_text(),
            _ => false,
        }
    }
}

/// An error that may come from a failed query, so that the pool can tell whether the connection died.
pub trait QueryFailure {
    fn failed_query(&self) -> Option<&diesel::result::Error>;
}

impl QueryFailure for DbError {
    fn failed_query(&self) -> Option<&diesel::result::Error> {
        match self {
            DbError::Query(error) => Some(error),
            _ => None,
        }
    }
}

/// The pool, shared by handlers and the CLI.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    pub backend: Backend,
    /// SQLite has one writer at a time: this process's writers (`Db::write`) queue here, woken in turn, instead of
    /// in SQLite's busy handler, which sleeps between tries (1 ms, 2 ms, 5 ms, …) and leaves the lock idle while
    /// the queue sleeps. `None` on PostgreSQL, whose writers do not exclude one another.
    writers: Option<Arc<std::sync::Mutex<()>>>,
}

impl Db {
    /// Opens the pool and brings the schema up to date. A request waits at most `timeout` for a connection, and
    /// PostgreSQL connection attempts give up after it too, so that an unreachable database answers 503 quickly.
    pub fn connect(url: &str, pool_size: u32, timeout: Duration) -> anyhow::Result<Db> {
        let (backend, mut target) = parse_database_url(url)?;
        if backend == Backend::Postgres && !target.contains("connect_timeout=") {
            let separator = if target.contains('?') { '&' } else { '?' };
            // libpq's floor is 2 seconds.
            target = format!(
                "{target}{separator}connect_timeout={}",
                timeout.as_secs().max(2)
            );
        }
        if backend == Backend::Sqlite {
            owner_only_files(Path::new(&target))?;
        }
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .build(ConnectionManager { backend, target })
            .with_context(|| format!("cannot open the database ({})", redact(url)))?;
        let writers = (backend == Backend::Sqlite).then(|| Arc::new(std::sync::Mutex::new(())));
        let db = Db {
            pool,
            backend,
            writers,
        };
        db.migrate()?;
        Ok(db)
    }

    /// Runs the embedded migrations that have not run yet; returns their names.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.conn()?;
        let applied = match &mut **conn {
            DbConn::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|applied| applied.iter().map(|m| m.to_string()).collect()),
            DbConn::Postgres(c) => {
                // Several nodes may start at once: one migrates, the others wait for it.
                c.batch_execute("SELECT pg_advisory_lock(7460504)")?;
                let result = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|applied| applied.iter().map(|m| m.to_string()).collect::<Vec<_>>());
                c.batch_execute("SELECT pg_advisory_unlock(7460504)")?;
                result
            }
        };
        applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    }

    /// How many connections the pool holds and how many of them are idle (for `/metrics`).
    pub fn pool_state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    /// A pooled connection, for synchronous callers (the CLI).
    pub fn conn(&self) -> Result<PooledConnection<ConnectionManager>, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, so no connection is held across an await.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> diesel::QueryResult<T> + Send + 'static,
    {
        self.run_as(move |conn| f(conn).map_err(DbError::Query))
            .await
    }

    /// `run` for work with an error type of its own (the service layer's), which says what query failed.
    pub async fn run_as<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + QueryFailure + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        self.on_pool(None, f).await
    }

    /// `run` for work that writes: on SQLite it waits its turn among this process's writers first.
    pub async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> diesel::QueryResult<T> + Send + 'static,
    {
        self.write_as(move |conn| f(conn).map_err(DbError::Query))
            .await
    }

    /// `write` with an error type of its own, as `run_as`.
    pub async fn write_as<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + QueryFailure + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        self.on_pool(self.writers.clone(), f).await
    }

    /// `write` for a thread of its own, off the async workers: runs `f` here and now.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConn) -> diesel::QueryResult<T>,
    {
        with_connection(&self.pool, self.writers.as_deref(), |conn| {
            f(conn).map_err(DbError::Query)
        })
    }

    /// Runs `f` on the blocking pool (`with_connection`).
    async fn on_pool<T, E, F>(&self, turn: Option<Arc<std::sync::Mutex<()>>>, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + QueryFailure + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || with_connection(&pool, turn.as_deref(), f))
            .await
            .map_err(|_| E::from(DbError::Cancelled))?
    }
}

/// Runs `f` with a pooled connection, holding `turn` (the writers' queue) if given: taken before the connection, so
/// that a writer waiting its turn holds no connection. A connection whose query found it dead leaves the pool.
fn with_connection<T, E, F>(
    pool: &Pool<ConnectionManager>,
    turn: Option<&std::sync::Mutex<()>>,
    f: F,
) -> Result<T, E>
where
    E: From<DbError> + QueryFailure,
    F: FnOnce(&mut DbConn) -> Result<T, E>,
{
    let _turn = turn.map(|t| t.lock().unwrap_or_else(|e| e.into_inner()));
    let mut conn = pool.get().map_err(DbError::from)?;
    let result = f(&mut conn);
    match &result {
        Ok(_) => conn.alive_at = Instant::now(),
        Err(error) => conn.broken = error.failed_query().is_some_and(is_disconnection),
    }
    result
}

/// Runs `f` in a transaction that may read and then write. On SQLite it starts with `BEGIN IMMEDIATE`, taking the
/// write lock up front (waiting up to busy_timeout), so that upgrading a read to a write never fails as busy.
/// Inside a caller's transaction it is a savepoint of that one.
pub fn write_transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    fn outermost_sqlite(conn: &mut DbConn) -> diesel::QueryResult<Option<&mut SqliteConnection>> {
        match conn {
            DbConn::Sqlite(sqlite) => {
                let status = AnsiTransactionManager::transaction_manager_status_mut(sqlite);
                Ok(status.transaction_depth()?.is_none().then_some(sqlite))
            }
            DbConn::Postgres(_) => Ok(None),
        }
    }
    let Some(sqlite) = outermost_sqlite(conn)? else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    if let DbConn::Sqlite(sqlite) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(sqlite)?,
            Err(_) => {
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            }
        }
    }
    result
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Whether a query failed because the connection to the server is gone.
fn is_disconnection(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}

/// Whether a query failed on a unique constraint (a duplicate slug, say).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Whether `error` is a unique violation of an index on `column` (PostgreSQL names the index, SQLite the columns).
pub fn is_unique_violation_of(error: &diesel::result::Error, column: &str) -> bool {
    match error {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        ) => {
            info.constraint_name()
                .is_some_and(|name| name.contains(column))
                || info.message().contains(column)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_backend_or_are_refused() {
        assert_eq!(parse_database_url("keygate.db").unwrap().0, Backend::Sqlite);
        assert_eq!(
            parse_database_url("sqlite:///tmp/k.db").unwrap(),
            (Backend::Sqlite, "/tmp/k.db".into())
        );
        assert_eq!(
            parse_database_url("postgres://h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(parse_database_url("mysql://h/db").is_err());
    }

    #[test]
    fn redact_hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
