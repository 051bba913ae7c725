//! The deduplication keys in memory: each key's digest (see
//! [`super::entries::digest`]) → when it expires (Unix ms).
//!
//! A day of keys is kept by default, which under load is millions, and two
//! things used to hold the writer thread for tens of milliseconds with one
//! map: growing it (every key re-hashed at once) and copying it for a
//! compaction. So the keys are spread over [`SHARDS`] small maps (hundreds
//! of keys each at two million), each behind an `Arc`:
//! - a map that grows re-hashes a `1/SHARDS` part of the keys;
//! - [`Keys::clone`] (the compaction's copy) clones `SHARDS` pointers, and
//!   the writer copies a shard only when it next changes it
//!   ([`Arc::make_mut`]). A commit claims tens of keys, so it copies tens of
//!   small shards: with 64 big ones instead, the first commits after a
//!   compaction began copied nearly all of them, 30 ms under load;
//! - expired keys are dropped a few shards at a time ([`Keys::prune`]), not
//!   all at once.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, OnceLock};

/// How many maps the keys are spread over.
const SHARDS: usize = 4096;
/// [`Keys::prune`] goes over every shard once in this time, so an expired
/// key is gone from memory at most this long after it expires (it stops
/// counting at once: see [`Keys::live`]).
const PRUNE_ROUND_MS: u64 = 64_000;
/// How often one shard is due for pruning.
const PRUNE_EVERY_MS: u64 = PRUNE_ROUND_MS / SHARDS as u64;

type Shard = HashMap<u128, u64, Digests>;

/// Hashes key digests for the maps that hold them.
///
/// A digest is the first bits of a SHA-256, uniform already: hashing it
/// again with the standard SipHash cost more than the rest of a lookup
/// but the memory it touches. This folds the digest's two halves into a
/// per-process random seed instead, one multiplication each. A client
/// cannot choose digests (they are SHA-256 of its keys), and the seed
/// keeps it from choosing buckets even if it could.
#[derive(Debug, Clone, Copy)]
pub(super) struct Digests {
    seed: u64,
}

impl Default for Digests {
    fn default() -> Digests {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed = *SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
        Digests { seed }
    }
}

impl BuildHasher for Digests {
    type Hasher = DigestHasher;

    fn build_hasher(&self) -> DigestHasher {
        DigestHasher(self.seed)
    }
}

/// See [`Digests`].
pub(super) struct DigestHasher(u64);

impl DigestHasher {
    fn fold(&mut self, word: u64) {
        // The high and low halves of the 128-bit product, folded: every bit
        // of the result depends on every bit of the input.
        let product = u128::from(self.0 ^ word) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for DigestHasher {
    fn write_u128(&mut self, digest: u128) {
        self.fold(digest as u64);
        self.fold((digest >> 64) as u64);
    }

    /// Anything but a digest (nothing in these maps is): eight bytes at a
    /// time, the last padded with zeros.
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.fold(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

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

    /// Looks `keys` up in one tight pass, before a batch is decided write
    /// by write. A lookup is a few dependent reads of memory no cache holds
    /// (the keys are spread at random over up to millions); made one at a
    /// time, with a record encoded between two, each waits alone for
    /// memory; made in a row, the processor overlaps them, and the
    /// decisions that follow find the entries in its cache.
    pub(super) fn warm<'k>(&self, keys: impl Iterator<Item = &'k u128>) {
        let found = keys
            .filter(|&key| self.shards[shard_of(*key)].contains_key(key))
            .count();
        std::hint::black_box(found);
    }

    /// Every key live at `now_ms`, in no particular order.
    pub(super) fn iter_live(&self, now_ms: u64) -> impl Iterator<Item = (u128, u64)> + '_ {
        self.shards
            .iter()
            .flat_map(|shard| shard.iter())
            .filter(move |(_, &expiry)| expiry > now_ms)
            .map(|(&key, &expiry)| (key, expiry))
    }

    /// Drops the expired keys of the shards due at `now_ms` (the clock of
    /// the requests, which decides what is live): one per [`PRUNE_EVERY_MS`]
    /// since the last call, all of them at most; none at the first call,
    /// which starts the clock. Returns how many keys were dropped.
    pub(super) fn prune(&mut self, now_ms: u64) -> usize {
        if self.prune_at_ms == 0 {
            // The first call: the clock starts here, not at 1970.
            self.prune_at_ms = now_ms.saturating_add(PRUNE_EVERY_MS);
            return 0;
        }
        if now_ms < self.prune_at_ms {
            return 0;
        }
        let late = (now_ms - self.prune_at_ms) / PRUNE_EVERY_MS;
        let due = (late + 1).min(SHARDS as u64) as usize;
        self.prune_at_ms = now_ms.saturating_add(PRUNE_EVERY_MS);
        let mut dropped = 0;
        for _ in 0..due {
            let at = self.prune_next;
            self.prune_next = (at + 1) % SHARDS;
            let shard = &mut self.shards[at];
            if shard.values().all(|&expiry| expiry > now_ms) {
                continue;
            }
            let shard = Arc::make_mut(shard);
            let before = shard.len();
            shard.retain(|_, expiry| *expiry > now_ms);
            dropped += before - shard.len();
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Keys that land in every shard, several per shard.
    fn spread(n: u128) -> impl Iterator<Item = u128> {
        (0..n).map(|i| (i << 64) | (i * 7919))
    }

    #[test]
    fn digests_that_differ_in_one_bit_hash_apart_and_the_same_alike() {
        let digests = Digests::default();
        let hash = |d: u128| digests.hash_one(d);
        assert_eq!(hash(42), Digests::default().hash_one(42u128));
        let base = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        let flipped: Vec<u64> = (0..128).map(|bit| hash(base ^ (1 << bit))).collect();
        assert!(flipped.iter().all(|&h| h != hash(base)));
        // hashbrown picks buckets with the low bits and tags with the top
        // seven: one flipped bit spreads over both (128 values among 4096
        // and 128 would rarely share more than a few).
        let low: HashSet<u64> = flipped.iter().map(|h| h & 0xfff).collect();
        let top: HashSet<u64> = flipped.iter().map(|h| h >> 57).collect();
        assert!(low.len() > 110, "{} low values", low.len());
        assert!(top.len() > 60, "{} top values", top.len());
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
    fn pruning_cleans_the_shards_due_until_every_expired_key_is_gone() {
        let mut keys = Keys::default();
        keys.extend(spread(SHARDS as u128 * 3).map(|k| (k, 0)));
        keys.insert(u128::MAX, 10_000_000);
        assert_eq!(
            keys.iter_live(0).count(),
            1,
            "expired keys stop counting at once"
        );
        let mut now = 1;
        // Nothing at the first call, which starts the clock...
        assert_eq!(keys.prune(now), 0);
        // ...one shard when one is due...
        now += PRUNE_EVERY_MS;
        assert_eq!(keys.prune(now), 3);
        // ...none before the next is due...
        assert_eq!(keys.prune(now + PRUNE_EVERY_MS - 1), 0);
        // ...one per PRUNE_EVERY_MS since, when calls come late...
        now += 10 * PRUNE_EVERY_MS;
        assert_eq!(keys.prune(now), 3 * 10);
        // ...and every shard at most, however late.
        now += 100 * PRUNE_ROUND_MS;
        assert_eq!(keys.prune(now), 3 * (SHARDS - 11));
        assert_eq!(keys.prune(now + PRUNE_ROUND_MS), 0);
        assert_eq!(keys.shards.iter().map(|s| s.len()).sum::<usize>(), 1);
        assert!(keys.live(u128::MAX, now));
    }
}
