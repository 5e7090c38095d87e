//! Group commit: requests that write the same kind of row at the same time are written together. One writer thread
//! takes whatever is waiting, writes it with one call (one transaction, or one statement), and answers each request.
//! There is no timer: a lone request is written at once, and under load one commit serves many. The thread is the
//! process's own (not an async worker's, which could stop), starts with the first request and ends when the last
//! handle goes.

use std::sync::{Arc, Mutex};

use diesel::QueryResult;
use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, DbConn, DbError};

/// The most requests written by one call.
const MAX_GROUP: usize = 512;

type Answer<R> = oneshot::Sender<Result<R, Arc<DbError>>>;
type Waiting<T, R> = mpsc::UnboundedReceiver<(T, Answer<R>)>;

/// Writes a group, all of it or none of it; answers, in order, one outcome per item.
pub type WriteGroup<T, R> = fn(&mut DbConn, &[T]) -> QueryResult<Vec<R>>;

/// The queue of one kind of write; its writer thread starts with the first request.
pub struct GroupCommit<T, R> {
    queue: mpsc::UnboundedSender<(T, Answer<R>)>,
    idle: Arc<Mutex<Option<Waiting<T, R>>>>,
    thread_name: &'static str,
    write: WriteGroup<T, R>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
            idle: self.idle.clone(),
            thread_name: self.thread_name,
            write: self.write,
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    pub fn new(thread_name: &'static str, write: WriteGroup<T, R>) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        GroupCommit {
            queue,
            idle: Arc::new(Mutex::new(Some(waiting))),
            thread_name,
            write,
        }
    }

    /// Writes `item` with whatever else is waiting; its outcome.
    pub async fn submit(&self, db: &Db, item: T) -> Result<R, DbError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(waiting) = idle {
            let (db, write) = (db.clone(), self.write);
            std::thread::Builder::new()
                .name(self.thread_name.into())
                .spawn(move || write_groups(&db, write, waiting))
                .map_err(|_| DbError::Cancelled)?;
        }
        let (answer, answered) = oneshot::channel();
        self.queue
            .send((item, answer))
            .map_err(|_| DbError::Cancelled)?;
        match answered.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(error)) => Err(DbError::Shared(error)),
            Err(_) => Err(DbError::Cancelled),
        }
    }
}

/// Writes what waits, a group at a time, until every handle is gone.
fn write_groups<T, R>(db: &Db, write: WriteGroup<T, R>, mut waiting: Waiting<T, R>) {
    let (mut items, mut answers) = (Vec::with_capacity(MAX_GROUP), Vec::with_capacity(MAX_GROUP));
    while let Some(first) = waiting.blocking_recv() {
        let mut next = Some(first);
        while let Some((item, answer)) = next {
            items.push(item);
            answers.push(answer);
            next = (items.len() < MAX_GROUP)
                .then(|| waiting.try_recv().ok())
                .flatten();
        }
        match db.write_blocking(|conn| write(conn, &items)) {
            Ok(outcomes) => answer_each(answers.drain(..), outcomes.into_iter().map(Ok)),
            // A group that failed for one item's sake (text PostgreSQL cannot hold) fails only that request: the
            // group wrote nothing, so each is written again alone.
            Err(error) if items.len() > 1 && !error.is_unavailable() => {
                for (item, answer) in items.iter().zip(answers.drain(..)) {
                    let outcome = db.write_blocking(|conn| write(conn, std::slice::from_ref(item)));
                    let outcome = outcome
                        .map_err(Arc::new)
                        .and_then(|o| o.into_iter().next().ok_or(Arc::new(DbError::Cancelled)));
                    let _ = answer.send(outcome);
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                answer_each(
                    answers.drain(..),
                    std::iter::repeat_with(|| Err(error.clone())),
                );
            }
        }
        items.clear();
    }
}

fn answer_each<R>(
    answers: impl Iterator<Item = Answer<R>>,
    outcomes: impl Iterator<Item = Result<R, Arc<DbError>>>,
) {
    for (answer, outcome) in answers.zip(outcomes) {
        // A request that went away meanwhile needs no answer.
        let _ = answer.send(outcome);
    }
}
