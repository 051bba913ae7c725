//! The redb tables behind the outbox, and every transaction on them.
//!
//! Tables (all values are JSON, so `outbox show` can print them as stored):
//! - `pending`: id → [`Entry`], in acceptance order (ids only grow);
//! - `delivered`: id → [`Entry`] once Zeebe acknowledged it;
//! - `dead`: id → [`Entry`] with the permanent failure in `last_error`;
//! - `seen`: deduplication key → expiry (Unix ms);
//! - `meta`: `next_id`;
//! - `pending_keys`: order key → how many pending entries carry it.
//!
//! Every write transaction commits with redb's default durability
//! (`Immediate`: fsync before `commit` returns). Accepted events, claimed
//! keys and delivery outcomes come in batches ([`Store::write_batch`], fed
//! by the group-commit writer), one transaction per batch.

use std::collections::HashSet;
use std::path::Path;

use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use super::command::StoredCommand;
use super::OutboxError;

const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
const DELIVERED: TableDefinition<u64, &[u8]> = TableDefinition::new("delivered");
const DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("dead");
const SEEN: TableDefinition<&str, u64> = TableDefinition::new("seen");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const KEYS: TableDefinition<&str, u64> = TableDefinition::new("pending_keys");
/// The `meta` row holding the next entry id.
const NEXT_ID: &str = "next_id";

/// How many pending entries one [`Store::due`] call reads at most, so a
/// long outage backlog costs each pass a bounded amount; entries beyond are
/// newer and wait for the next passes.
const MAX_SCAN: usize = 10_000;

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    fn table(self) -> TableDefinition<'static, u64, &'static [u8]> {
        match self {
            EntryState::Pending => PENDING,
            EntryState::Delivered => DELIVERED,
            EntryState::Dead => DEAD,
        }
    }

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

/// The database handle (blocking calls: run them off the async threads).
#[derive(Debug)]
pub struct Store {
    db: Database,
}

fn encode(entry: &Entry) -> Result<Vec<u8>, OutboxError> {
    serde_json::to_vec(entry).map_err(|e| OutboxError::Corrupt(e.to_string()))
}

fn decode(bytes: &[u8]) -> Result<Entry, OutboxError> {
    serde_json::from_slice(bytes).map_err(|e| OutboxError::Corrupt(e.to_string()))
}

/// Adds one to (`up`) or removes one from the pending count of `key`.
fn count_key(
    keys: &mut redb::Table<&str, u64>,
    key: Option<&str>,
    up: bool,
) -> Result<(), OutboxError> {
    let Some(key) = key else { return Ok(()) };
    let current = keys.get(key)?.map_or(0, |v| v.value());
    let next = if up {
        current + 1
    } else {
        current.saturating_sub(1)
    };
    if next == 0 {
        keys.remove(key)?;
    } else {
        keys.insert(key, next)?;
    }
    Ok(())
}

/// One write of a batch ([`Store::write_batch`]).
#[derive(Debug)]
pub enum Write {
    /// Store an accepted event and/or claim deduplication keys.
    Enqueue(Enqueue),
    /// Record a delivery attempt: move the pending entry to `to` (delivered
    /// or dead), or rewrite it in place when `to` is pending (a retry is
    /// scheduled).
    Settle {
        /// The entry as it is now.
        entry: Entry,
        /// Where it goes.
        to: EntryState,
    },
}

/// What one [`Write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The answer to a [`Write::Enqueue`].
    Enqueued(Enqueued),
    /// A [`Write::Settle`] is done.
    Settled,
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
    /// The deduplication keys.
    pub keys: Vec<String>,
    /// Keys expiring at or before this time are free again (Unix ms).
    pub now_ms: u64,
    /// When the claimed keys expire (Unix ms).
    pub expires_ms: u64,
}

/// The tables a batch writes, open for the whole transaction.
struct BatchTables<'txn> {
    seen: redb::Table<'txn, &'static str, u64>,
    meta: redb::Table<'txn, &'static str, u64>,
    pending: redb::Table<'txn, u64, &'static [u8]>,
    delivered: redb::Table<'txn, u64, &'static [u8]>,
    dead: redb::Table<'txn, u64, &'static [u8]>,
    keys: redb::Table<'txn, &'static str, u64>,
}

/// What the steps of a batch return: the outer `Err` is a storage failure
/// (the whole transaction must be dropped), the inner one the write's own,
/// found before it wrote anything.
type Step = Result<Result<Written, OutboxError>, OutboxError>;

impl BatchTables<'_> {
    fn apply(&mut self, write: Write) -> Step {
        match write {
            Write::Enqueue(request) => self.enqueue(request),
            Write::Settle { entry, to } => self.settle(&entry, to),
        }
    }

    /// The one place that deduplicates and stores an event.
    fn enqueue(&mut self, request: Enqueue) -> Step {
        for key in &request.keys {
            let live = self
                .seen
                .get(key.as_str())?
                .is_some_and(|expiry| expiry.value() > request.now_ms);
            if live {
                return Ok(Ok(Written::Enqueued(Enqueued::Duplicate)));
            }
        }
        // Everything that can fail for this request alone happens before
        // its first write.
        let stored = match request.entry {
            None => None,
            Some(mut entry) => {
                let id = self.meta.get(NEXT_ID)?.map_or(1, |v| v.value());
                let Some(next_id) = id.checked_add(1) else {
                    return Ok(Err(OutboxError::Refused(
                        "the outbox has used up its entry ids".into(),
                    )));
                };
                entry.id = id;
                match encode(&entry) {
                    Ok(bytes) => Some((entry, bytes, next_id)),
                    Err(e) => return Ok(Err(e)),
                }
            }
        };
        for key in &request.keys {
            self.seen.insert(key.as_str(), request.expires_ms)?;
        }
        let Some((entry, bytes, next_id)) = stored else {
            return Ok(Ok(Written::Enqueued(Enqueued::Stored(0))));
        };
        self.meta.insert(NEXT_ID, next_id)?;
        self.pending.insert(entry.id, bytes.as_slice())?;
        count_key(&mut self.keys, entry.order_key.as_deref(), true)?;
        Ok(Ok(Written::Enqueued(Enqueued::Stored(entry.id))))
    }

    /// The one place that records a delivery attempt.
    fn settle(&mut self, entry: &Entry, to: EntryState) -> Step {
        let bytes = match encode(entry) {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Err(e)),
        };
        if to != EntryState::Pending && self.pending.remove(entry.id)?.is_some() {
            count_key(&mut self.keys, entry.order_key.as_deref(), false)?;
        }
        let target = match to {
            EntryState::Pending => &mut self.pending,
            EntryState::Delivered => &mut self.delivered,
            EntryState::Dead => &mut self.dead,
        };
        target.insert(entry.id, bytes.as_slice())?;
        Ok(Ok(Written::Settled))
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path`. Fails with
    /// [`OutboxError::Locked`] when another process has it open.
    pub fn open(path: &Path) -> Result<Store, OutboxError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => OutboxError::Locked(path.to_path_buf()),
            other => OutboxError::Open(path.to_path_buf(), Box::new(redb::Error::from(other))),
        })?;
        let store = Store { db };
        store.write(|tx| {
            tx.open_table(PENDING)?;
            tx.open_table(DELIVERED)?;
            tx.open_table(DEAD)?;
            tx.open_table(SEEN)?;
            tx.open_table(META)?;
            tx.open_table(KEYS)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        let tx = self.db.begin_write().map_err(redb::Error::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(redb::Error::from)?;
        Ok(value)
    }

    /// Applies `batch` in arrival order in ONE durable transaction (one
    /// fsync for all of it); see [`Write`] for what each write does.
    ///
    /// `Err`: the transaction failed and nothing of the batch is stored.
    /// `Ok`: one answer per write, in order. A write's own failure (its
    /// entry cannot be encoded, or no id is left) is answered to it alone:
    /// it is detected before the write changes anything, so the others
    /// commit as if it had not been there.
    pub fn write_batch(&self, batch: Vec<Write>) -> Result<Vec<Answer>, OutboxError> {
        self.write(|tx| {
            let mut tables = BatchTables {
                seen: tx.open_table(SEEN)?,
                meta: tx.open_table(META)?,
                pending: tx.open_table(PENDING)?,
                delivered: tx.open_table(DELIVERED)?,
                dead: tx.open_table(DEAD)?,
                keys: tx.open_table(KEYS)?,
            };
            batch.into_iter().map(|write| tables.apply(write)).collect()
        })
    }

    /// Forgets deduplication keys (a synchronous dispatch that failed
    /// permanently: the caller's retry may try again).
    pub fn release(&self, keys: &[String]) -> Result<(), OutboxError> {
        self.write(|tx| {
            let mut seen = tx.open_table(SEEN).map_err(redb::Error::from)?;
            for key in keys {
                seen.remove(key.as_str()).map_err(redb::Error::from)?;
            }
            Ok(())
        })
    }

    /// Removes expired deduplication keys; returns how many.
    pub fn prune_seen(&self, now_ms: u64) -> Result<u64, OutboxError> {
        self.write(|tx| {
            let mut seen = tx.open_table(SEEN).map_err(redb::Error::from)?;
            let removed = seen
                .extract_if(|_, expiry| expiry <= now_ms)
                .map_err(redb::Error::from)?
                .count();
            Ok(removed as u64)
        })
    }

    /// Whether an entry with this order key is pending.
    pub fn has_pending(&self, order_key: &str) -> Result<bool, OutboxError> {
        let tx = self.db.begin_read()?;
        let keys = tx.open_table(KEYS)?;
        Ok(keys.get(order_key)?.is_some())
    }

    /// Up to `limit` pending entries that may be sent now: due, and first of
    /// their order key. Also returns the earliest future attempt time among
    /// the heads that are not due yet.
    pub fn due(&self, now_ms: u64, limit: usize) -> Result<(Vec<Entry>, Option<u64>), OutboxError> {
        let tx = self.db.begin_read().map_err(redb::Error::from)?;
        let pending = tx.open_table(PENDING).map_err(redb::Error::from)?;
        let mut blocked = HashSet::new();
        let mut ready = Vec::new();
        let mut next: Option<u64> = None;
        for item in pending.iter().map_err(redb::Error::from)?.take(MAX_SCAN) {
            let (_, value) = item.map_err(redb::Error::from)?;
            let entry = decode(value.value())?;
            if let Some(key) = &entry.order_key {
                if !blocked.insert(key.clone()) {
                    continue;
                }
            }
            if entry.next_attempt_ms > now_ms {
                next = Some(next.map_or(entry.next_attempt_ms, |n| n.min(entry.next_attempt_ms)));
                continue;
            }
            ready.push(entry);
            if ready.len() >= limit {
                break;
            }
        }
        Ok((ready, next))
    }

    /// The entry with this id, wherever it is.
    pub fn get(&self, id: u64) -> Result<Option<(EntryState, Entry)>, OutboxError> {
        let tx = self.db.begin_read().map_err(redb::Error::from)?;
        for state in EntryState::ALL {
            let table = tx.open_table(state.table()).map_err(redb::Error::from)?;
            if let Some(value) = table.get(id).map_err(redb::Error::from)? {
                return Ok(Some((state, decode(value.value())?)));
            }
        }
        Ok(None)
    }

    /// The entries in `state`, oldest first, at most `limit`.
    pub fn list(&self, state: EntryState, limit: usize) -> Result<Vec<Entry>, OutboxError> {
        let tx = self.db.begin_read().map_err(redb::Error::from)?;
        let table = tx.open_table(state.table()).map_err(redb::Error::from)?;
        let mut out = Vec::new();
        for item in table.iter().map_err(redb::Error::from)?.take(limit) {
            let (_, value) = item.map_err(redb::Error::from)?;
            out.push(decode(value.value())?);
        }
        Ok(out)
    }

    /// Moves dead entries (these ids, or all with `None`) back to pending,
    /// due now with a fresh attempt count; returns how many moved.
    pub fn retry(&self, ids: Option<&[u64]>, now_ms: u64) -> Result<u64, OutboxError> {
        self.write(|tx| {
            let mut dead = tx.open_table(DEAD).map_err(redb::Error::from)?;
            let mut pending = tx.open_table(PENDING).map_err(redb::Error::from)?;
            let mut keys = tx.open_table(KEYS)?;
            let chosen: Vec<u64> = match ids {
                Some(ids) => ids.to_vec(),
                None => {
                    let mut all = Vec::new();
                    for item in dead.iter().map_err(redb::Error::from)? {
                        all.push(item.map_err(redb::Error::from)?.0.value());
                    }
                    all
                }
            };
            let mut moved = 0;
            for id in chosen {
                let Some(value) = dead.remove(id).map_err(redb::Error::from)? else {
                    continue;
                };
                let mut entry = decode(value.value())?;
                drop(value);
                entry.attempts = 0;
                entry.next_attempt_ms = now_ms;
                entry.finished_ms = None;
                let bytes = encode(&entry)?;
                pending
                    .insert(id, bytes.as_slice())
                    .map_err(redb::Error::from)?;
                count_key(&mut keys, entry.order_key.as_deref(), true)?;
                moved += 1;
            }
            Ok(moved)
        })
    }

    /// Deletes every entry in `state` (delivered or dead); returns how many.
    pub fn purge(&self, state: EntryState) -> Result<u64, OutboxError> {
        if state == EntryState::Pending {
            return Err(OutboxError::Refused(
                "pending entries are never purged; wait for them or let them fail".into(),
            ));
        }
        self.write(|tx| {
            let mut table = tx.open_table(state.table()).map_err(redb::Error::from)?;
            let removed = table
                .extract_if(|_, _| true)
                .map_err(redb::Error::from)?
                .count();
            Ok(removed as u64)
        })
    }

    /// Counts for metrics and health.
    pub fn stats(&self) -> Result<Stats, OutboxError> {
        let tx = self.db.begin_read().map_err(redb::Error::from)?;
        let pending = tx.open_table(PENDING).map_err(redb::Error::from)?;
        let dead = tx.open_table(DEAD).map_err(redb::Error::from)?;
        let oldest = match pending.first().map_err(redb::Error::from)? {
            Some((_, value)) => Some(decode(value.value())?.accepted_ms),
            None => None,
        };
        Ok(Stats {
            pending: pending.len().map_err(redb::Error::from)?,
            dead: dead.len().map_err(redb::Error::from)?,
            oldest_pending_ms: oldest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(order_key: Option<&str>) -> Entry {
        Entry {
            id: 0,
            webhook: "w".into(),
            order_key: order_key.map(str::to_owned),
            command: StoredCommand::CreateProcessInstance {
                bpmn_process_id: "p".into(),
                version: -1,
                tenant_id: None,
                variables: Default::default(),
            },
            accepted_ms: 1,
            attempts: 0,
            next_attempt_ms: 0,
            last_error: None,
            finished_ms: None,
        }
    }

    fn request(entry: Option<Entry>, keys: &[&str], now_ms: u64) -> Write {
        Write::Enqueue(Enqueue {
            entry,
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            now_ms,
            expires_ms: now_ms + 100,
        })
    }

    fn enqueued(answer: Answer) -> Enqueued {
        match answer.unwrap() {
            Written::Enqueued(enqueued) => enqueued,
            other => panic!("an enqueue answered {other:?}"),
        }
    }

    /// A batch of one.
    fn one(store: &Store, write: Write) -> Answer {
        let mut answers = store.write_batch(vec![write]).unwrap();
        assert_eq!(answers.len(), 1);
        answers.pop().unwrap()
    }

    fn enqueue(store: &Store, entry: Option<Entry>, keys: &[&str], now_ms: u64) -> Enqueued {
        enqueued(one(store, request(entry, keys, now_ms)))
    }

    fn settle(store: &Store, entry: &Entry, to: EntryState) {
        let entry = entry.clone();
        assert_eq!(
            one(store, Write::Settle { entry, to }).unwrap(),
            Written::Settled
        );
    }

    fn ids(entries: &[Entry]) -> Vec<u64> {
        entries.iter().map(|e| e.id).collect()
    }

    #[test]
    fn a_later_event_for_a_key_waits_for_the_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        for key in [Some("k"), Some("k"), None, Some("j")] {
            enqueue(&store, Some(entry(key)), &[], 10);
        }
        let (due, _) = store.due(10, 10).unwrap();
        assert_eq!(ids(&due), [1, 3, 4]);

        // The head of `k` backs off: its successor still waits.
        let mut first = due[0].clone();
        first.next_attempt_ms = 50;
        settle(&store, &first, EntryState::Pending);
        let (due, next) = store.due(10, 10).unwrap();
        assert_eq!((ids(&due), next), (vec![3, 4], Some(50)));

        assert!(store.has_pending("k").unwrap());
        settle(&store, &first, EntryState::Delivered);
        let (due, _) = store.due(10, 10).unwrap();
        assert_eq!(ids(&due), [2, 3, 4]);
        assert!(store.has_pending("k").unwrap());
        settle(&store, &due[0], EntryState::Dead);
        assert!(!store.has_pending("k").unwrap());
        assert_eq!(store.retry(None, 10).unwrap(), 1);
        assert!(store.has_pending("k").unwrap());
        assert_eq!(store.stats().unwrap().pending, 3);
        assert!(!store.has_pending("nope").unwrap());
    }

    #[test]
    fn dedup_keys_expire_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let keys = ["w\u{0}key\u{0}SM1"];
        {
            let store = Store::open(&path).unwrap();
            let first = enqueue(&store, Some(entry(None)), &keys, 0);
            assert_eq!(first, Enqueued::Stored(1));
        }
        let store = Store::open(&path).unwrap();
        let again = enqueue(&store, Some(entry(None)), &keys, 99);
        assert_eq!(again, Enqueued::Duplicate);
        assert_eq!(store.stats().unwrap().pending, 1);
        // Past the window (expiry 0 + 100) the key is free again.
        let later = enqueue(&store, Some(entry(None)), &keys, 100);
        assert_eq!(later, Enqueued::Stored(2));
        assert_eq!(store.prune_seen(200).unwrap(), 1);
    }

    #[test]
    fn pending_entries_cannot_be_purged() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        enqueue(&store, Some(entry(None)), &[], 1);
        assert!(matches!(
            store.purge(EntryState::Pending),
            Err(OutboxError::Refused(_))
        ));
        assert_eq!(store.purge(EntryState::Dead).unwrap(), 0);
    }

    #[test]
    fn a_batch_deduplicates_in_arrival_order_and_numbers_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let answers: Vec<Enqueued> = store
            .write_batch(vec![
                request(Some(entry(Some("k"))), &["a"], 10),
                request(Some(entry(Some("k"))), &["b", "a"], 10),
                request(None, &["c"], 10),
                request(Some(entry(Some("k"))), &["c"], 10),
                request(Some(entry(None)), &[], 10),
                request(Some(entry(Some("j"))), &["d"], 10),
                request(Some(entry(Some("k"))), &["d"], 10),
            ])
            .unwrap()
            .into_iter()
            .map(enqueued)
            .collect();
        use Enqueued::{Duplicate, Stored};
        assert_eq!(
            answers,
            [
                Stored(1),
                Duplicate,
                Stored(0),
                Duplicate,
                Stored(2),
                Stored(3),
                Duplicate
            ]
        );
        // A duplicate writes nothing: not even its other, fresh key.
        assert_eq!(enqueue(&store, None, &["b"], 10), Stored(0));
        let pending = store.list(EntryState::Pending, 10).unwrap();
        assert_eq!(ids(&pending), [1, 2, 3]);
        assert_eq!(store.stats().unwrap().pending, 3);
        // One pending entry each for `k` and `j`: settling it frees the key.
        for (id, key) in [(1, "k"), (3, "j")] {
            assert!(store.has_pending(key).unwrap());
            let entry = pending.iter().find(|e| e.id == id).unwrap();
            settle(&store, entry, EntryState::Delivered);
            assert!(!store.has_pending(key).unwrap(), "{key}");
        }
        // Ids keep growing after the batch.
        assert_eq!(enqueue(&store, Some(entry(None)), &[], 10), Stored(4));
    }

    #[test]
    fn a_request_that_fails_alone_leaves_the_rest_of_its_batch_intact() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        // The last id: the next event cannot be numbered.
        store
            .write(|tx| {
                tx.open_table(META)?.insert(NEXT_ID, u64::MAX)?;
                Ok(())
            })
            .unwrap();
        let answers = store
            .write_batch(vec![
                request(None, &["a"], 10),
                request(Some(entry(Some("k"))), &["b"], 10),
                request(None, &["c"], 10),
            ])
            .unwrap();
        assert_eq!(answers.len(), 3);
        assert!(matches!(
            answers[0],
            Ok(Written::Enqueued(Enqueued::Stored(0)))
        ));
        assert!(
            matches!(&answers[1], Err(OutboxError::Refused(m)) if m.contains("ids")),
            "{:?}",
            answers[1]
        );
        assert!(matches!(
            answers[2],
            Ok(Written::Enqueued(Enqueued::Stored(0)))
        ));
        // Its neighbours' keys are claimed; its own key and entry are not.
        assert_eq!(enqueue(&store, None, &["a"], 20), Enqueued::Duplicate);
        assert_eq!(enqueue(&store, None, &["c"], 20), Enqueued::Duplicate);
        assert_eq!(enqueue(&store, None, &["b"], 20), Enqueued::Stored(0));
        assert_eq!(store.stats().unwrap().pending, 0);
        assert!(!store.has_pending("k").unwrap());
    }

    #[test]
    fn settles_and_enqueues_share_a_batch_and_keep_the_key_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        enqueue(&store, Some(entry(Some("k"))), &[], 10);
        enqueue(&store, Some(entry(Some("j"))), &[], 10);
        let (due, _) = store.due(10, 10).unwrap();
        let (first_k, first_j) = (due[0].clone(), due[1].clone());
        let mut retry_j = first_j.clone();
        retry_j.attempts = 1;
        let answers = store
            .write_batch(vec![
                Write::Settle {
                    entry: first_k.clone(),
                    to: EntryState::Delivered,
                },
                request(Some(entry(Some("k"))), &[], 20),
                Write::Settle {
                    entry: retry_j,
                    to: EntryState::Pending,
                },
            ])
            .unwrap();
        assert_eq!(
            answers.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [
                Written::Settled,
                Written::Enqueued(Enqueued::Stored(3)),
                Written::Settled
            ]
        );
        assert_eq!(store.get(1).unwrap().unwrap().0, EntryState::Delivered);
        let (state, j) = store.get(2).unwrap().unwrap();
        assert_eq!((state, j.attempts), (EntryState::Pending, 1));
        // `k`: one delivered, one newly pending.
        assert!(store.has_pending("k").unwrap());
        let (due, _) = store.due(20, 10).unwrap();
        assert_eq!(ids(&due), [2, 3]);
        settle(&store, &due[1], EntryState::Dead);
        assert!(!store.has_pending("k").unwrap());
        assert!(store.has_pending("j").unwrap());
        let stats = store.stats().unwrap();
        assert_eq!((stats.pending, stats.dead), (1, 1));
    }
}
