//! `keygate bench-seed` (hidden): many clients with one secret key each, written in batched transactions, for the
//! benchmark suite's cold and million-key scenarios. Writes `client_id:secret` lines to a file (mode 0600): these
//! are real credentials of the benchmark database.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::crypto::client_keys;
use crate::db::access_keys::{self, AccessKeyRow};
use crate::db::service_clients::{self, ServiceClientRow};
use crate::db::{write_transaction, Db};
use crate::domain::access_key::KeyRequest;
use crate::domain::service_client::ClientSpec;
use crate::domain::time::UnixTime;

/// Clients per transaction: large enough to amortise the commit, small enough to keep memory flat.
const BATCH: usize = 2_000;

/// Creates `count` clients of `tenant` with one secret key each.
pub fn seed(db: &Db, tenant: Option<String>, count: usize, out: &Path) -> anyhow::Result<()> {
    let file = secret_file(out)?;
    let mut file = std::io::BufWriter::new(file);
    let mut conn = db.conn()?;
    let spec = ClientSpec::confidential("bench", tenant, Vec::new());
    let mut left = count;
    while left > 0 {
        let now = UnixTime::now();
        let mut clients = Vec::new();
        let mut keys = Vec::new();
        for _ in 0..left.min(BATCH) {
            let client = ServiceClientRow::new(&spec, now);
            let made = client_keys::make(KeyRequest::Secret, &client.id, "")?;
            let secret = made.shown_once.clone().context("a secret key")?;
            writeln!(file, "{}:{secret}", client.id)?;
            keys.push(AccessKeyRow::new(&made, &client.id, now, None));
            clients.push(client);
        }
        write_transaction(&mut conn, |conn| {
            clients
                .iter()
                .try_for_each(|client| service_clients::insert(conn, client))?;
            keys.iter()
                .try_for_each(|key| access_keys::insert(conn, key))
        })?;
        left -= clients.len();
    }
    file.flush()?;
    Ok(())
}

fn secret_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}
