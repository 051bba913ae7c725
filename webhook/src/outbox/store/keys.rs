//! The deduplication keys in memory: each key's digest (see
//! [`super::entries::digest`]) → when it expires (Unix ms).
//!
//! A day of keys is kept by default, which under load is millions, and two
//! things used to hold the writer thread for tens of milliseconds with one
//! map: growing it (every key re-hashed at once) and copying it for a
//! compaction. So the keys are spread over [`SHARDS`] maps, each behind an
//! `Arc`:
//! - a map that grows re-hashes a `1/SHARDS` part of the keys;
//! - [`Keys::clone`] (the compaction's copy) clones `SHARDS` pointers, and
//!   the writer copies a shard only when it next changes it
//!   ([`Arc::make_mut`]), one shard at a time;
//! - expired keys are dropped one shard at a time ([`Keys::prune`]), not all
//!   at once.

use std::collections::HashMap;
use std::sync::Arc;

/// How many maps the keys are spread over.
const SHARDS: usize = 64;
/// [`Keys::prune`] cleans one shard at most this often, so every expired key
/// is gone from memory within `SHARDS` times this after it expires (it stops
/// counting at once: see [`Keys::live`]).
const PRUNE_EVERY_MS: u64 = 1_000;

type Shard = HashMap<u128, u64>;

/// The keys and their expiry times. Cloning is cheap: see the module.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    shards: Vec<Arc<Shard>>,
    /// The shard [`Keys::prune`] cleans next, and when.
    prune_next: usize,
    prune_at_ms: u64,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            shards: (0..SHARDS).map(|_| Arc::default()).collect(),
            prune_next: 0,
            prune_at_ms: 0,
        }
    }
}

/// The shard of `key`. Keys are digests, so any of their bits spreads them.
fn shard_of(key: u128) -> usize {
    (key >> 64) as usize % SHARDS
}

impl Keys {
    fn shard_mut(&mut self, key: u128) -> &mut Shard {
        Arc::make_mut(&mut self.shards[shard_of(key)])
    }

    /// Records `key` as claimed until `expiry`.
    pub(super) fn insert(&mut self, key: u128, expiry: u64) {
        self.shard_mut(key).insert(key, expiry);
    }

    pub(super) fn extend(&mut self, keys: impl IntoIterator<Item = (u128, u64)>) {
        for (key, expiry) in keys {
            self.insert(key, expiry);
        }
    }

    pub(super) fn remove(&mut self, key: u128) {
        if self.shards[shard_of(key)].contains_key(&key) {
            self.shard_mut(key).remove(&key);
        }
    }

    /// Whether `key` is claimed and not expired at `now_ms`.
    pub(super) fn live(&self, key: u128, now_ms: u64) -> bool {
        self.shards[shard_of(key)]
            .get(&key)
            .is_some_and(|&expiry| expiry > now_ms)
    }

    /// Every key live at `now_ms`, in no particular order.
    pub(super) fn iter_live(&self, now_ms: u64) -> impl Iterator<Item = (u128, u64)> + '_ {
        self.shards
            .iter()
            .flat_map(|shard| shard.iter())
            .filter(move |(_, &expiry)| expiry > now_ms)
            .map(|(&key, &expiry)| (key, expiry))
    }

    /// Drops the expired keys of one shard, when the last shard was cleaned
    /// at least [`PRUNE_EVERY_MS`] ago. Returns how many were dropped.
    pub(super) fn prune(&mut self, now_ms: u64) -> usize {
        if now_ms < self.prune_at_ms {
            return 0;
        }
        self.prune_at_ms = now_ms.saturating_add(PRUNE_EVERY_MS);
        let at = self.prune_next;
        self.prune_next = (at + 1) % SHARDS;
        let shard = &mut self.shards[at];
        if shard.values().all(|&expiry| expiry > now_ms) {
            return 0;
        }
        let shard = Arc::make_mut(shard);
        let before = shard.len();
        shard.retain(|_, expiry| *expiry > now_ms);
        before - shard.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that land in every shard, several per shard.
    fn spread(n: u128) -> impl Iterator<Item = u128> {
        (0..n).map(|i| (i << 64) | (i * 7919))
    }

    #[test]
    fn a_key_is_live_until_it_expires_and_gone_once_removed() {
        let mut keys = Keys::default();
        keys.insert(5, 100);
        assert!(keys.live(5, 99));
        assert!(!keys.live(5, 100), "a key is dead at its expiry");
        assert!(!keys.live(6, 0));
        keys.remove(5);
        assert!(!keys.live(5, 0));
        keys.remove(5);
    }

    #[test]
    fn a_clone_keeps_what_it_saw_while_the_original_changes() {
        let mut keys = Keys::default();
        keys.extend(spread(200).map(|k| (k, 1_000)));
        let frozen = keys.clone();
        keys.extend(spread(300).skip(200).map(|k| (k, 1_000)));
        for key in spread(200) {
            keys.remove(key);
        }
        assert_eq!(frozen.iter_live(0).count(), 200);
        assert!(spread(200).all(|k| frozen.live(k, 0)));
        assert!(spread(300).skip(200).all(|k| !frozen.live(k, 0)));
        assert_eq!(keys.iter_live(0).count(), 100);
    }

    #[test]
    fn a_clone_shares_every_shard_until_the_original_changes_one() {
        let mut keys = Keys::default();
        keys.insert(1 << 64, 5);
        let copy = keys.clone();
        keys.insert(2 << 64, 5);
        keys.remove(3 << 64);
        let copied: Vec<usize> = (0..SHARDS)
            .filter(|&i| !Arc::ptr_eq(&keys.shards[i], &copy.shards[i]))
            .collect();
        assert_eq!(copied, [2], "only the shard written since is copied");
    }

    #[test]
    fn pruning_cleans_one_shard_per_second_until_every_expired_key_is_gone() {
        let mut keys = Keys::default();
        keys.extend(spread(SHARDS as u128 * 3).map(|k| (k, 10)));
        keys.insert(u128::MAX, 1_000_000);
        assert_eq!(keys.iter_live(5).count(), SHARDS * 3 + 1);
        assert_eq!(
            keys.iter_live(10).count(),
            1,
            "expired keys stop counting at once"
        );
        let mut dropped = 0;
        let mut now = 20;
        dropped += keys.prune(now);
        // Not a second later: nothing more is cleaned.
        assert_eq!(keys.prune(now + 999), 0);
        for _ in 1..SHARDS {
            now += PRUNE_EVERY_MS;
            dropped += keys.prune(now);
        }
        assert_eq!(dropped, SHARDS * 3);
        assert_eq!(keys.shards.iter().map(|s| s.len()).sum::<usize>(), 1);
        assert!(keys.live(u128::MAX, now));
    }
}
