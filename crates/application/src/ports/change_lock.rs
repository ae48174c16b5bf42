//! An exclusive lock held while one change is pushed to the billing engine and then stored.
//!
//! Pushing to the engine and storing are two steps in two systems: two changes of the same
//! thing that interleave them can leave the engine on one and Tollgate on the other. Holding
//! a [`ChangeLock`] across read, push and store makes such changes take turns, and each reads
//! the state the one before stored.

/// Proof that the holder has the lock; dropping it releases the lock.
#[must_use = "the lock is released as soon as it is dropped"]
pub struct ChangeLock {
    _held: Box<dyn Send + Sync>,
}

impl ChangeLock {
    /// Wraps whatever holds the lock in the adapter and releases it when dropped.
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for ChangeLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeLock")
    }
}
