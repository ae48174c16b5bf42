//! Idempotency keys this process has seen committed, so that retries and replays are answered
//! as duplicates without a database round trip.
//!
//! Only keys of committed batches are remembered, so "seen here" implies "durably stored".
//! The memory is bounded: two generations of at most `capacity` keys each; when the current one
//! fills, the older one is forgotten. A forgotten key costs only a database lookup.

use std::{collections::HashSet, sync::Mutex};

use tollgate_domain::{organization::OrganizationId, usage::IdempotencyKey};

type Key = (OrganizationId, IdempotencyKey);

pub(super) struct RecentKeys {
    capacity: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    current: HashSet<Key>,
    previous: HashSet<Key>,
}

impl RecentKeys {
    /// `capacity` 0 turns the memory off.
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            generations: Mutex::new(Generations::default()),
        }
    }

    pub(super) fn contains(&self, organization: OrganizationId, key: &IdempotencyKey) -> bool {
        if self.capacity == 0 {
            return false;
        }
        let Ok(generations) = self.generations.lock() else {
            return false;
        };
        // Lookups by reference would need a borrowed key type; cloning a short id is cheaper
        // than a database round trip by orders of magnitude.
        let probe = (organization, key.clone());
        generations.current.contains(&probe) || generations.previous.contains(&probe)
    }

    pub(super) fn remember<'a>(
        &self,
        organization: OrganizationId,
        keys: impl IntoIterator<Item = &'a IdempotencyKey>,
    ) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut generations) = self.generations.lock() else {
            return;
        };
        for key in keys {
            if generations.current.len() >= self.capacity {
                generations.previous = std::mem::take(&mut generations.current);
            }
            generations.current.insert((organization, key.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::parse(text).unwrap()
    }

    #[test]
    fn remembers_per_organization_and_forgets_the_oldest_generation() {
        let (a, b) = (OrganizationId::new(), OrganizationId::new());
        let recent = RecentKeys::new(2);
        recent.remember(a, [&key("1"), &key("2")]);
        assert!(recent.contains(a, &key("1")));
        assert!(!recent.contains(b, &key("1")));

        recent.remember(a, [&key("3"), &key("4"), &key("5")]);
        assert!(!recent.contains(a, &key("1")), "two generations ago");
        assert!(recent.contains(a, &key("3")) && recent.contains(a, &key("5")));
    }

    #[test]
    fn capacity_zero_remembers_nothing() {
        let org = OrganizationId::new();
        let recent = RecentKeys::new(0);
        recent.remember(org, [&key("1")]);
        assert!(!recent.contains(org, &key("1")));
    }
}
