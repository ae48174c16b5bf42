//! A small bounded cache of positive answers, keyed by the SHA-256 of a credential so the raw
//! token or cookie is never kept past its request.
//!
//! Entries expire at a time chosen by the caller (never past the credential's own expiry).
//! When full, expired entries go first, then the one closest to expiry: a flood of distinct
//! credentials costs memory up to `capacity` entries and no more.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

pub(super) type CacheKey = [u8; 32];

/// The cache key of a credential: SHA-256 over a kind label and the credential, so a cookie
/// and a session token with the same text never share an entry.
pub(super) fn cache_key(kind: &str, credential: &str) -> CacheKey {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    hasher.update([0]);
    hasher.update(credential.as_bytes());
    hasher.finalize().into()
}

/// `now + duration`, saturating instead of overflowing for absurd configured durations.
pub(super) fn later(now: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(duration)
        .ok()
        .and_then(|delta| now.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

pub(super) struct TtlCache<V> {
    capacity: usize,
    entries: Mutex<HashMap<CacheKey, Entry<V>>>,
}

struct Entry<V> {
    expires_at: DateTime<Utc>,
    value: V,
}

impl<V: Clone> TtlCache<V> {
    /// A cache of at most `capacity` entries; `0` caches nothing.
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn get(&self, key: &CacheKey, now: DateTime<Utc>) -> Option<V> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some(entry) if entry.expires_at > now => Some(entry.value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    pub(super) fn insert(
        &self,
        key: CacheKey,
        value: V,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        if self.capacity == 0 || expires_at <= now {
            return;
        }
        // A poisoned lock only means another request panicked mid-insert; the map is still a
        // valid map, and a cache must never take the service down with it.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, entry| entry.expires_at > now);
            if entries.len() >= self.capacity
                && let Some(soonest) = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.expires_at)
                    .map(|(key, _)| *key)
            {
                entries.remove(&soonest);
            }
        }
        entries.insert(key, Entry { expires_at, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn entries_expire() {
        let cache = TtlCache::new(4);
        let key = cache_key("token", "a");
        cache.insert(key, 1, at(10), at(0));
        assert_eq!(cache.get(&key, at(9)), Some(1));
        assert_eq!(cache.get(&key, at(10)), None);
    }

    #[test]
    fn stays_within_capacity_dropping_the_soonest_to_expire() {
        let cache = TtlCache::new(2);
        let (a, b, c) = (
            cache_key("t", "a"),
            cache_key("t", "b"),
            cache_key("t", "c"),
        );
        cache.insert(a, 1, at(30), at(0));
        cache.insert(b, 2, at(10), at(0));
        cache.insert(c, 3, at(20), at(0));
        assert_eq!(cache.get(&a, at(1)), Some(1));
        assert_eq!(cache.get(&b, at(1)), None);
        assert_eq!(cache.get(&c, at(1)), Some(3));
    }

    #[test]
    fn kinds_do_not_share_keys() {
        assert_ne!(cache_key("cookie", "x"), cache_key("token", "x"));
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = TtlCache::new(0);
        let key = cache_key("t", "a");
        cache.insert(key, 1, at(10), at(0));
        assert_eq!(cache.get(&key, at(1)), None);
    }
}
