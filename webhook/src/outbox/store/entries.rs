//! What the store holds (entries, their states, counts) and the writes that
//! change it, as the rest of the service sees them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::outbox::command::StoredCommand;
use crate::outbox::OutboxError;

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// Acknowledged by Zeebe (or written to the journal).
    Delivered,
    /// Failed permanently; kept with the reason until retried or purged.
    Dead,
}

impl EntryState {
    /// Every state.
    pub const ALL: [EntryState; 3] = [EntryState::Pending, EntryState::Delivered, EntryState::Dead];
}

/// One accepted event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its id (acceptance order).
    pub id: u64,
    /// The webhook that accepted it.
    pub webhook: String,
    /// Events with the same key are delivered in id order; `None`: unordered.
    pub order_key: Option<String>,
    /// What to send.
    pub command: StoredCommand,
    /// When it was accepted (Unix ms).
    pub accepted_ms: u64,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not before this time (Unix ms).
    pub next_attempt_ms: u64,
    /// The last failure, if any (for dead entries: why they are dead).
    pub last_error: Option<String>,
    /// When it was delivered or declared dead (Unix ms).
    pub finished_ms: Option<u64>,
}

/// What a [`Write::Enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored under this id.
    Stored(u64),
    /// A deduplication key was seen within the window: nothing stored.
    Duplicate,
}

/// Counts for metrics and health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Pending entries.
    pub pending: u64,
    /// Dead entries.
    pub dead: u64,
    /// When the oldest pending entry was accepted (Unix ms).
    pub oldest_pending_ms: Option<u64>,
}

/// The digest under which a deduplication key is kept.
pub(crate) fn digest(key: &str) -> u128 {
    let hash = Sha256::digest(key.as_bytes());
    let mut first = [0; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(first)
}

/// The outcome of one delivery attempt: move the pending entry `id` to `to`
/// (delivered or dead), or rewrite it in place when `to` is pending (a retry
/// is scheduled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// The entry.
    pub id: u64,
    /// Where it goes.
    pub to: EntryState,
    /// Delivery attempts so far, this one included.
    pub attempts: u32,
    /// Not before this time (Unix ms), when it stays pending.
    pub next_attempt_ms: u64,
    /// The attempt's failure, if any.
    pub last_error: Option<String>,
    /// When it was delivered or declared dead (Unix ms).
    pub finished_ms: Option<u64>,
}

impl Settlement {
    /// `entry` (its attempts, times and error as they are now) moving to `to`.
    pub fn new(entry: &Entry, to: EntryState) -> Settlement {
        Settlement {
            id: entry.id,
            to,
            attempts: entry.attempts,
            next_attempt_ms: entry.next_attempt_ms,
            last_error: entry.last_error.clone(),
            finished_ms: entry.finished_ms,
        }
    }
}

/// One write of a batch ([`Store::write_batch`]).
// Nearly every write is an `Enqueue` (one per accepted request): boxing it
// would add an allocation per request to save bytes on the rare others.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Write {
    /// Store an accepted event and/or claim deduplication keys.
    Enqueue(Enqueue),
    /// Record delivery attempts (a round of the worker's, in one write).
    Settle(Vec<Settlement>),
    /// Forget deduplication keys.
    Release(Vec<String>),
    /// Move dead entries (these ids, or all) back to pending, due at `now_ms`.
    Retry {
        /// The ids; `None`: every dead entry.
        ids: Option<Vec<u64>>,
        /// Now (Unix ms).
        now_ms: u64,
    },
    /// Delete every entry in this state (delivered or dead).
    Purge(EntryState),
}

/// What one [`Write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The answer to a [`Write::Enqueue`].
    Enqueued(Enqueued),
    /// A [`Write::Settle`] or [`Write::Release`] is done.
    Settled,
    /// How many entries a [`Write::Retry`] or [`Write::Purge`] moved.
    Count(u64),
}

/// One write's answer in a batch.
pub type Answer = Result<Written, OutboxError>;

/// Claim the deduplication `keys` (until `expires_ms`) and, unless one of
/// them is live at `now_ms`, store `entry` under the next id. With
/// `entry: None` only the keys are claimed (answered `Stored(0)`). A
/// duplicate writes nothing.
#[derive(Debug)]
pub struct Enqueue {
    /// The event; its `id` is assigned here.
    pub entry: Option<Entry>,
    /// The deduplication keys' digests ([`digest`]), taken on the caller's
    /// thread: the writer, which every request goes through, only looks
    /// them up.
    pub keys: Vec<u128>,
    /// Keys expiring at or before this time are free again (Unix ms).
    pub now_ms: u64,
    /// When the claimed keys expire (Unix ms).
    pub expires_ms: u64,
}
