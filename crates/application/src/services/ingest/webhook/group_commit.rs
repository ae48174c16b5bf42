//! Group commit: many small requests share one transaction.
//!
//! PostgreSQL manages a few thousand commits a second on a small machine, each costing an
//! fsync. Requests hand their batch to a few writer tasks; a writer takes everything queued
//! (up to `max_events`, waiting at most `linger` for more), stores it in one transaction and
//! answers each request through its own channel. Durability before the answer is unchanged:
//! the request still waits for the commit that contains its events.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use tokio::{
    sync::{Mutex, mpsc, oneshot},
    task::JoinHandle,
    time::{Instant, timeout_at},
};

use crate::{
    PortError,
    ports::{IngestBatch, IngestReceipt, UsageEventStore},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitSettings {
    /// Transactions in flight at once.
    pub writers: usize,
    /// Events gathered into one transaction at most (a single larger request still goes alone).
    pub max_events: usize,
    /// How long a writer waits for more requests once it has one.
    pub linger: Duration,
    /// Requests waiting for a writer at most; past that, callers wait to enqueue.
    pub queue_depth: usize,
}

impl Default for GroupCommitSettings {
    fn default() -> Self {
        Self {
            writers: 2,
            max_events: 1_000,
            linger: Duration::from_millis(1),
            queue_depth: 4_096,
        }
    }
}

struct Job {
    batch: IngestBatch,
    reply: oneshot::Sender<Result<IngestReceipt, PortError>>,
}

type SharedQueue = Arc<Mutex<mpsc::Receiver<Job>>>;

/// Told of every transaction the writers commit (for metrics).
pub trait CommitObserver: Send + Sync {
    /// One transaction stored `events` events (quarantined ones included) in `took`.
    fn committed(&self, events: usize, took: Duration);
}

/// Observes nothing.
struct Unobserved;

impl CommitObserver for Unobserved {
    fn committed(&self, _events: usize, _took: Duration) {}
}

/// A [`UsageEventStore`] that coalesces concurrent calls into shared transactions of `inner`.
pub struct GroupCommit {
    /// Taken at shutdown: once every clone is gone, writers drain the queue and stop.
    sender: std::sync::RwLock<Option<mpsc::Sender<Job>>>,
    writers: Mutex<Vec<JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts the writer tasks on the current tokio runtime.
    pub fn start(inner: Arc<dyn UsageEventStore>, settings: GroupCommitSettings) -> Self {
        Self::start_observed(inner, settings, Arc::new(Unobserved))
    }

    /// As [`GroupCommit::start`], telling `observer` of every commit.
    pub fn start_observed(
        inner: Arc<dyn UsageEventStore>,
        settings: GroupCommitSettings,
        observer: Arc<dyn CommitObserver>,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(settings.queue_depth.max(1));
        let queue: SharedQueue = Arc::new(Mutex::new(receiver));
        let writers = (0..settings.writers.max(1))
            .map(|_| {
                let store = Observed {
                    inner: Arc::clone(&inner),
                    observer: Arc::clone(&observer),
                };
                tokio::spawn(run_writer(store, Arc::clone(&queue), settings))
            })
            .collect();
        Self {
            sender: std::sync::RwLock::new(Some(sender)),
            writers: Mutex::new(writers),
        }
    }

    /// Requests queued for a writer now.
    pub fn queued(&self) -> usize {
        self.sender
            .read()
            .ok()
            .and_then(|sender| {
                sender
                    .as_ref()
                    .map(|sender| sender.max_capacity() - sender.capacity())
            })
            .unwrap_or(0)
    }

    /// Refuses new work, stores everything already queued, then stops the writers.
    pub async fn shutdown(&self) {
        drop(self.sender.write().map(|mut sender| sender.take()));
        let writers = std::mem::take(&mut *self.writers.lock().await);
        for writer in writers {
            if let Err(error) = writer.await {
                tracing::error!(%error, "a group-commit writer ended abnormally");
            }
        }
    }
}

#[async_trait]
impl UsageEventStore for GroupCommit {
    async fn ingest(&self, batch: IngestBatch) -> Result<IngestReceipt, PortError> {
        let (reply, answer) = oneshot::channel();
        let sender = self
            .sender
            .read()
            .ok()
            .and_then(|sender| sender.clone())
            .ok_or_else(stopped)?;
        sender
            .send(Job { batch, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> PortError {
    PortError::unavailable("event writer", "shutting down")
}

/// The store, timing each successful transaction for the observer.
struct Observed {
    inner: Arc<dyn UsageEventStore>,
    observer: Arc<dyn CommitObserver>,
}

#[async_trait]
impl UsageEventStore for Observed {
    async fn ingest(&self, batch: IngestBatch) -> Result<IngestReceipt, PortError> {
        let events = batch.events.len() + batch.quarantined.len();
        let started = std::time::Instant::now();
        let receipt = self.inner.ingest(batch).await?;
        self.observer.committed(events, started.elapsed());
        Ok(receipt)
    }
}

async fn run_writer(store: Observed, queue: SharedQueue, settings: GroupCommitSettings) {
    while let Some(jobs) = next_group(&queue, &settings).await {
        write_group(&store, jobs).await;
    }
}

/// Waits for one job, then gathers what else is queued, up to the size and time limits.
async fn next_group(queue: &SharedQueue, settings: &GroupCommitSettings) -> Option<Vec<Job>> {
    let mut receiver = queue.lock().await;
    let first = receiver.recv().await?;
    let mut events = first.batch.events.len();
    let mut jobs = vec![first];
    let deadline = Instant::now() + settings.linger;
    while events < settings.max_events {
        let next = match receiver.try_recv() {
            Ok(job) => job,
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            Err(mpsc::error::TryRecvError::Empty) if settings.linger.is_zero() => break,
            Err(mpsc::error::TryRecvError::Empty) => {
                match timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) | Err(_) => break,
                }
            }
        };
        events += next.batch.events.len();
        jobs.push(next);
    }
    Some(jobs)
}

async fn write_group(inner: &dyn UsageEventStore, jobs: Vec<Job>) {
    if jobs.len() == 1 {
        for job in jobs {
            let result = inner.ingest(job.batch).await;
            let _ = job.reply.send(result);
        }
        return;
    }
    let mut merged = IngestBatch::default();
    for job in &jobs {
        merged.events.extend(job.batch.events.iter().cloned());
        merged
            .quarantined
            .extend(job.batch.quarantined.iter().cloned());
    }
    match inner.ingest(merged).await {
        Ok(receipt) => {
            let mut flags = receipt.newly_stored.into_iter();
            for job in jobs {
                let newly_stored = flags.by_ref().take(job.batch.events.len()).collect();
                let _ = job.reply.send(Ok(IngestReceipt { newly_stored }));
            }
        }
        // One request's odd data must not fail the others that happened to share its
        // transaction: store each alone so the failure stays with the request that caused it.
        Err(
            PortError::Internal { .. }
            | PortError::InvalidInput { .. }
            | PortError::Conflict { .. }
            | PortError::Refused { .. }
            | PortError::InvalidAnswer { .. },
        ) => {
            for job in jobs {
                let result = inner.ingest(job.batch).await;
                let _ = job.reply.send(result);
            }
        }
        // The store itself failed: every request gets the same answer, none is tried alone.
        Err(error @ (PortError::Unavailable { .. } | PortError::TimedOut { .. })) => {
            for job in jobs {
                let _ = job.reply.send(Err(error.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests;
