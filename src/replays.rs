//! Single-use identifiers (the `jti`s of client assertions, trusted issuers' tokens and DPoP proofs) are spent in
//! the database, so that each is accepted once on every node. Requests that arrive together spend theirs together:
//! one writer thread takes whatever is waiting, records it in one statement, and answers each request — a group
//! commit, with no timer: a lone request is written at once, and under load one round trip serves many. The thread
//! is the process's own (not an async worker's, which could stop) and ends when the last `Replays` handle goes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use crate::db::used_assertions::{self, NewUse};
use crate::db::{Db, DbError};

/// The most identifiers written in one statement.
const MAX_GROUP: usize = 512;

type Answer = oneshot::Sender<Result<bool, Arc<DbError>>>;
type Waiting = mpsc::UnboundedReceiver<(NewUse, Answer)>;

/// The queue of identifiers waiting to be spent; its writer starts with the first one.
#[derive(Clone)]
pub struct Replays {
    queue: mpsc::UnboundedSender<(NewUse, Answer)>,
    idle: Arc<Mutex<Option<Waiting>>>,
}

impl Default for Replays {
    fn default() -> Replays {
        let (queue, waiting) = mpsc::unbounded_channel();
        Replays {
            queue,
            idle: Arc::new(Mutex::new(Some(waiting))),
        }
    }
}

impl Replays {
    /// Records `new`; false when its identifier was already spent (a replay).
    pub async fn spend(&self, db: &Db, new: NewUse) -> Result<bool, DbError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(waiting) = idle {
            let db = db.clone();
            std::thread::Builder::new()
                .name("keygate-replays".into())
                .spawn(move || write_groups(&db, waiting))
                .map_err(|_| DbError::Cancelled)?;
        }
        let (answer, answered) = oneshot::channel();
        self.queue
            .send((new, answer))
            .map_err(|_| DbError::Cancelled)?;
        match answered.await {
            Ok(Ok(fresh)) => Ok(fresh),
            Ok(Err(error)) => Err(DbError::Shared(error)),
            Err(_) => Err(DbError::Cancelled),
        }
    }
}

/// Writes what waits, a group at a time, until every `Replays` handle is gone.
fn write_groups(db: &Db, mut waiting: Waiting) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = waiting.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match waiting.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        // The same identifier twice in one group: the first is written, the others are replays of it.
        let mut seen = HashSet::new();
        let (first, again): (Vec<_>, Vec<_>) = group
            .drain(..)
            .partition(|(new, _)| seen.insert((new.namespace.clone(), new.jti.clone())));
        for (_, answer) in again {
            let _ = answer.send(Ok(false));
        }
        match write(db, &first) {
            Ok(fresh) => answer_each(first, fresh.into_iter().map(Ok)),
            // A statement that failed for one row's sake (text PostgreSQL cannot hold) fails only that request.
            Err(error) if first.len() > 1 && !error.is_unavailable() => {
                for entry in first {
                    let fresh = write(db, std::slice::from_ref(&entry));
                    answer_each(vec![entry], [fresh.map(|f| f[0]).map_err(Arc::new)]);
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                let errors = std::iter::repeat_with(|| Err(error.clone()));
                answer_each(first, errors);
            }
        }
    }
}

fn write(db: &Db, entries: &[(NewUse, Answer)]) -> Result<Vec<bool>, DbError> {
    let uses: Vec<NewUse> = entries.iter().map(|(new, _)| new.clone()).collect();
    db.write_blocking(|conn| used_assertions::insert_new(conn, &uses))
}

fn answer_each(
    entries: Vec<(NewUse, Answer)>,
    answers: impl IntoIterator<Item = Result<bool, Arc<DbError>>>,
) {
    for ((_, answer), result) in entries.into_iter().zip(answers) {
        // A request that went away meanwhile needs no answer.
        let _ = answer.send(result);
    }
}
