#![allow(clippy::unwrap_used, reason = "tests")]

//! What the group commit tells an operator: requests waiting for a writer, and each commit.

use std::sync::Mutex;

use tokio::sync::Notify;
use tollgate_domain::organization::OrganizationId;

use super::*;
use crate::ports::IncomingEvent;

/// Holds every transaction until released, and says when one has begun.
#[derive(Default)]
struct HeldStore {
    begun: Notify,
    release: Notify,
}

#[async_trait]
impl UsageEventStore for HeldStore {
    async fn ingest(&self, batch: IngestBatch) -> Result<IngestReceipt, PortError> {
        self.begun.notify_one();
        self.release.notified().await;
        Ok(IngestReceipt {
            newly_stored: vec![true; batch.events.len()],
        })
    }
}

#[derive(Default)]
struct Commits(Mutex<Vec<usize>>);

impl CommitObserver for Commits {
    fn committed(&self, events: usize, _took: Duration) {
        self.0.lock().unwrap().push(events);
    }
}

fn batch(events: usize) -> IngestBatch {
    let key = |i: usize| format!("k{i}-{}", uuid::Uuid::new_v4());
    IngestBatch {
        events: (0..events)
            .map(|i| IncomingEvent {
                organization: OrganizationId::new(),
                payload: super::super::tests::event(&key(i)),
            })
            .collect(),
        quarantined: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_behind_a_busy_writer_are_counted_and_each_commit_is_observed() {
    let store = Arc::new(HeldStore::default());
    let commits = Arc::new(Commits::default());
    let settings = GroupCommitSettings {
        writers: 1,
        max_events: 1_000,
        linger: Duration::ZERO,
        queue_depth: 16,
    };
    let group = Arc::new(GroupCommit::start_observed(
        store.clone(),
        settings,
        commits.clone(),
    ));
    assert_eq!(group.queued(), 0);

    let first = {
        let group = Arc::clone(&group);
        tokio::spawn(async move { group.ingest(batch(3)).await })
    };
    store.begun.notified().await;
    // The writer is inside its transaction: the next two requests wait in the queue.
    let waiting: Vec<_> = [2, 4]
        .into_iter()
        .map(|events| {
            let group = Arc::clone(&group);
            tokio::spawn(async move { group.ingest(batch(events)).await })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while group.queued() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "{}", group.queued());
        tokio::task::yield_now().await;
    }
    assert_eq!(group.queued(), 2);

    store.release.notify_one();
    first.await.unwrap().unwrap();
    // Both waiting requests go together in the next transaction.
    store.begun.notified().await;
    assert_eq!(group.queued(), 0);
    store.release.notify_one();
    for request in waiting {
        request.await.unwrap().unwrap();
    }
    group.shutdown().await;
    assert_eq!(*commits.0.lock().unwrap(), vec![3, 6]);
}
