//! The outbox store: one append-only log file ([`super::log`]) and the state
//! it describes, kept in memory.
//!
//! - **Writes** come in batches from the group-commit writer
//!   ([`Store::write_batch`]): each batch is decided against the state in
//!   memory (deduplication, ids), written as ONE frame, made durable with
//!   one `fdatasync`, and only then applied to the state and answered. So
//!   the state never holds anything that is not on disk, and a failed write
//!   (a full disk) changes nothing: the file is cut back to where it was.
//! - **Reads** (the worker's due entries, `must_wait`, the operator
//!   commands, metrics) are served from memory under a short lock. Pending
//!   events keep their command in memory for the worker; delivered and dead
//!   ones are read back from the file when an operator asks.
//! - **Opening** replays the log into memory ([`Record`]s, in order, through
//!   the same [`State::apply`] as every commit). A torn last frame (a power
//!   cut during a write, so never acknowledged) is cut off and logged;
//!   anything else unreadable stops the open with an error that names the
//!   file, what is wrong and what to do.
//! - **Compaction**: once the log has grown to twice its size after the last
//!   compaction (and at least [`COMPACT_MIN`]), the live state (pending and
//!   dead events, live deduplication keys, the next id) is written to a new
//!   file, synced, and renamed over the log. Delivered events are dropped
//!   there: `outbox list --state delivered` shows those delivered since.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::command::StoredCommand;
use super::log::{self, FrameBuilder, HeaderError, Key, Record};
use super::OutboxError;
use crate::sync::lock;
use crate::zeebe::now_ms;

/// How many pending entries one [`Store::due`] call looks at at most, so a
/// long outage backlog costs each pass a bounded amount; entries beyond are
/// newer and wait for the next passes.
const MAX_SCAN: usize = 10_000;
/// The log is not compacted below this size.
pub const COMPACT_MIN: u64 = 64 << 20;
/// A compaction frame is closed once it passes this size.
const SNAPSHOT_FRAME: usize = 4 << 20;
/// Live keys per record in a snapshot.
const KEYS_PER_RECORD: usize = 10_000;
/// The log is extended with zeros this much at a time, ahead of the frames.
/// A frame then overwrites space the file already has, so its `fdatasync`
/// writes data only, not the file's new size and blocks (on ext4 a journal
/// commit each time): measured on this project's VM, 35 % less CPU and
/// half the time per commit.
const PREALLOCATE: u64 = 1 << 20;
/// Zeros to write ahead from.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

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

/// How [`Store::open`] treats the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the store if there is no file; refuse an unreadable one.
    Create,
    /// The file must exist (operator commands on a stopped service).
    Existing,
    /// Like `Create`, but an unreadable file (empty, foreign, damaged) is
    /// renamed aside and a new, empty store takes its place.
    Replace,
}

/// The digest under which a deduplication key is kept.
pub fn digest(key: &str) -> u128 {
    let hash = Sha256::digest(key.as_bytes());
    let mut first = [0; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(first)
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
    /// The deduplication keys.
    pub keys: Vec<String>,
    /// Keys expiring at or before this time are free again (Unix ms).
    pub now_ms: u64,
    /// When the claimed keys expire (Unix ms).
    pub expires_ms: u64,
}

/// Where a record's JSON is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    offset: u64,
    len: usize,
}

/// One entry in memory: everything but the command, which only pending
/// entries keep (the others are read back from `loc` when asked for).
#[derive(Debug)]
struct Slot {
    state: EntryState,
    webhook: String,
    order_key: Option<String>,
    command: Option<StoredCommand>,
    accepted_ms: u64,
    attempts: u32,
    next_attempt_ms: u64,
    last_error: Option<String>,
    finished_ms: Option<u64>,
    /// The record holding the command.
    loc: Loc,
}

/// A new log file's bytes, and where each kept entry's record is in them.
type Snapshot = (Vec<u8>, Vec<(u64, Loc)>);

/// The state the log describes.
#[derive(Debug)]
struct State {
    /// The log, for reading commands back (`None`: replayed from bytes
    /// alone, see [`inspect`]).
    file: Option<Arc<File>>,
    next_id: u64,
    slots: BTreeMap<u64, Slot>,
    pending: BTreeSet<u64>,
    dead: u64,
    /// Pending entries per order key.
    order: HashMap<String, u32>,
    /// Deduplication keys → expiry (Unix ms).
    keys: HashMap<u128, u64>,
}

impl State {
    fn new(file: Option<Arc<File>>) -> State {
        State {
            file,
            next_id: 1,
            slots: BTreeMap::new(),
            pending: BTreeSet::new(),
            dead: 0,
            order: HashMap::new(),
            keys: HashMap::new(),
        }
    }

    fn count_order(&mut self, key: Option<&str>, up: bool) {
        let Some(key) = key else { return };
        if up {
            *self.order.entry(key.to_owned()).or_default() += 1;
        } else if let Some(n) = self.order.get_mut(key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.order.remove(key);
            }
        }
    }

    /// Takes `id` out of the pending/dead bookkeeping (not out of `slots`).
    fn leave(&mut self, id: u64, state: EntryState, order_key: Option<&str>) {
        match state {
            EntryState::Pending => {
                self.pending.remove(&id);
                self.count_order(order_key, false);
            }
            EntryState::Dead => self.dead = self.dead.saturating_sub(1),
            EntryState::Delivered => {}
        }
    }

    fn enter(&mut self, id: u64, state: EntryState, order_key: Option<&str>) {
        match state {
            EntryState::Pending => {
                self.pending.insert(id);
                self.count_order(order_key, true);
            }
            EntryState::Dead => self.dead += 1,
            EntryState::Delivered => {}
        }
    }

    /// Applies one durable record. `loc` is where its JSON is in the file.
    fn apply(&mut self, record: Record, loc: Loc) {
        match record {
            Record::Event { entry, state, keys } => {
                self.keys.extend(keys);
                self.next_id = self.next_id.max(entry.id.saturating_add(1));
                if let Some(old) = self.slots.remove(&entry.id) {
                    self.leave(entry.id, old.state, old.order_key.as_deref());
                }
                self.enter(entry.id, state, entry.order_key.as_deref());
                let slot = Slot {
                    state,
                    webhook: entry.webhook,
                    order_key: entry.order_key,
                    command: (state == EntryState::Pending).then_some(entry.command),
                    accepted_ms: entry.accepted_ms,
                    attempts: entry.attempts,
                    next_attempt_ms: entry.next_attempt_ms,
                    last_error: entry.last_error,
                    finished_ms: entry.finished_ms,
                    loc,
                };
                self.slots.insert(entry.id, slot);
            }
            Record::Keys { keys } => self.keys.extend(keys),
            Record::Release { keys } => {
                for key in keys {
                    self.keys.remove(&key);
                }
            }
            Record::Settle {
                id,
                state,
                attempts,
                next_attempt_ms,
                last_error,
                finished_ms,
            } => {
                let Some(slot) = self.slots.get_mut(&id) else {
                    // Its event was purged, or lost to damage that salvage
                    // skipped: nothing to settle.
                    return;
                };
                let from = slot.state;
                slot.state = state;
                slot.attempts = attempts;
                slot.next_attempt_ms = next_attempt_ms;
                slot.last_error = last_error;
                slot.finished_ms = finished_ms;
                if state != EntryState::Pending {
                    slot.command = None;
                }
                if from != state {
                    let order_key = slot.order_key.clone();
                    self.leave(id, from, order_key.as_deref());
                    self.enter(id, state, order_key.as_deref());
                }
            }
            Record::Forget { ids } => {
                for id in ids {
                    let purgeable = self
                        .slots
                        .get(&id)
                        .is_some_and(|s| s.state != EntryState::Pending);
                    if purgeable {
                        if let Some(slot) = self.slots.remove(&id) {
                            self.leave(id, slot.state, slot.order_key.as_deref());
                        }
                    }
                }
            }
            Record::NextId { next_id } => self.next_id = self.next_id.max(next_id),
        }
    }

    /// The command of `slot`: from memory, or read back from the log.
    fn command(&self, id: u64, slot: &Slot) -> Result<StoredCommand, OutboxError> {
        match &slot.command {
            Some(command) => Ok(command.clone()),
            None => state_command(self.file.as_deref(), id, slot.loc),
        }
    }

    fn entry(&self, id: u64, slot: &Slot) -> Result<Entry, OutboxError> {
        Ok(Entry {
            id,
            webhook: slot.webhook.clone(),
            order_key: slot.order_key.clone(),
            command: self.command(id, slot)?,
            accepted_ms: slot.accepted_ms,
            attempts: slot.attempts,
            next_attempt_ms: slot.next_attempt_ms,
            last_error: slot.last_error.clone(),
            finished_ms: slot.finished_ms,
        })
    }

    fn stats(&self) -> Stats {
        let oldest = self
            .pending
            .first()
            .and_then(|id| self.slots.get(id))
            .map(|slot| slot.accepted_ms);
        Stats {
            pending: self.pending.len() as u64,
            dead: self.dead,
            oldest_pending_ms: oldest,
        }
    }

    fn live_key(&self, key: u128, now_ms: u64) -> bool {
        self.keys.get(&key).is_some_and(|&expiry| expiry > now_ms)
    }

    /// The live state as a new log file: its bytes, and where each kept
    /// entry's record is in them. Delivered entries and expired keys are
    /// left out.
    fn snapshot(&self, now_ms: u64) -> Result<Snapshot, OutboxError> {
        let mut out = log::header().to_vec();
        let mut locs = Vec::new();
        let mut frame = FrameBuilder::default();
        let mut in_frame: Vec<(u64, (usize, usize))> = Vec::new();
        let encode = |e: serde_json::Error| OutboxError::Corrupt(e.to_string());
        let flush = |out: &mut Vec<u8>,
                     frame: &mut FrameBuilder,
                     in_frame: &mut Vec<(u64, (usize, usize))>,
                     locs: &mut Vec<(u64, Loc)>| {
            let start = out.len() as u64;
            out.extend_from_slice(frame.finish());
            for (id, (at, len)) in in_frame.drain(..) {
                let offset = start + at as u64;
                locs.push((id, Loc { offset, len }));
            }
            *frame = FrameBuilder::default();
        };
        frame
            .push(&Record::NextId {
                next_id: self.next_id,
            })
            .map_err(encode)?;
        for (&id, slot) in &self.slots {
            if slot.state == EntryState::Delivered {
                continue;
            }
            let record = Record::Event {
                entry: self.entry(id, slot)?,
                state: slot.state,
                keys: Vec::new(),
            };
            in_frame.push((id, frame.push(&record).map_err(encode)?));
            if frame.len() >= SNAPSHOT_FRAME {
                flush(&mut out, &mut frame, &mut in_frame, &mut locs);
            }
        }
        let live: Vec<Key> = self
            .keys
            .iter()
            .filter(|(_, &expiry)| expiry > now_ms)
            .map(|(&k, &e)| (k, e))
            .collect();
        for chunk in live.chunks(KEYS_PER_RECORD) {
            frame
                .push(&Record::Keys {
                    keys: chunk.to_vec(),
                })
                .map_err(encode)?;
            if frame.len() >= SNAPSHOT_FRAME {
                flush(&mut out, &mut frame, &mut in_frame, &mut locs);
            }
        }
        flush(&mut out, &mut frame, &mut in_frame, &mut locs);
        Ok((out, locs))
    }
}

/// The command of entry `id`, read back from its record at `loc`.
fn state_command(file: Option<&File>, id: u64, loc: Loc) -> Result<StoredCommand, OutboxError> {
    let Some(file) = file else {
        return Err(OutboxError::Corrupt(format!(
            "entry {id}: no file to read it back from"
        )));
    };
    let mut bytes = vec![0; loc.len];
    file.read_exact_at(&mut bytes, loc.offset).map_err(|e| {
        OutboxError::Corrupt(format!(
            "entry {id}: cannot read it back at byte {}: {e}",
            loc.offset
        ))
    })?;
    match log::decode(&bytes) {
        Ok(Record::Event { entry, .. }) if entry.id == id => Ok(entry.command),
        Ok(_) => Err(OutboxError::Corrupt(format!(
            "entry {id}: the record at byte {} is another one",
            loc.offset
        ))),
        Err(e) => Err(OutboxError::Corrupt(format!(
            "entry {id}: the record at byte {} does not decode: {e}",
            loc.offset
        ))),
    }
}

/// What a failed commit left: the service answers 503 until a write works.
#[derive(Debug, Clone)]
struct Failure {
    reason: String,
    since: Instant,
}

/// The log file as the writer sees it.
#[derive(Debug)]
struct LogFile {
    file: Arc<File>,
    /// Where the next frame goes (the end of the last durable frame).
    end: u64,
    /// The file's length: zeros from `end` to here were written ahead.
    allocated: u64,
    /// Compact once `end` reaches this.
    compact_at: u64,
}

/// A fault to inject into the next writes (tests only).
#[cfg(any(test, feature = "testing"))]
#[derive(Debug, Default)]
struct Faults {
    /// An OS error number every append fails with while set.
    fail_with: Mutex<Option<i32>>,
}

/// The store (blocking calls; the writer thread runs the writes).
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    state: Mutex<State>,
    log: Mutex<LogFile>,
    failure: Mutex<Option<Failure>>,
    commit_failures: AtomicU64,
    #[cfg(any(test, feature = "testing"))]
    faults: Faults,
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> OutboxError {
    let path = path.to_path_buf();
    move |source| OutboxError::Io {
        path,
        action,
        source,
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Writes `bytes` as the file `path`, atomically: a temporary sibling,
/// synced, locked, renamed into place, the directory synced. Returns the
/// new file, open for reading and writing, locked.
fn install(path: &Path, bytes: &[u8]) -> Result<File, OutboxError> {
    let tmp = sibling(path, ".new");
    let written = (|| {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all_at(bytes, 0)?;
        file.sync_data()?;
        Ok::<File, io::Error>(file)
    })();
    let file = match written {
        Ok(file) => file,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error(path, "write a new")(e));
        }
    };
    // Nobody else knows the temporary file: the lock is ours at once.
    let _ = file.try_lock();
    std::fs::rename(&tmp, path)
        .and_then(|()| sync_dir(path))
        .map_err(io_error(path, "install a new"))?;
    Ok(file)
}

/// Writes zeros into `file` from `from` to `to`.
fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    let mut at = from;
    while at < to {
        let n = (to - at).min(ZEROS.len() as u64) as usize;
        file.write_all_at(&ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Why the file at `path` cannot be opened, and what to do about it.
fn unreadable(path: &Path, problem: String, advice: &str) -> OutboxError {
    OutboxError::Unreadable {
        path: path.to_path_buf(),
        problem: format!("{problem}. {advice}"),
    }
}

const NEW_STORE_ADVICE: &str = "Nothing was changed. If this is the right path and you want a new, empty outbox there, start with --new-store (the file is renamed aside, not deleted); otherwise point --outbox at the outbox file";
const SALVAGE_ADVICE: &str = "Events that were acknowledged may be damaged, so the service does not start on it. Stop the service and run `webhook outbox --outbox <this file> salvage <new file>` to copy every readable event into a new store, then start with --outbox <new file> (or start with --new-store to set this file aside and begin empty)";

/// A file's contents replayed.
struct Replayed {
    state: State,
    end: u64,
    torn: Option<u64>,
}

fn replay(path: &Path, file: Option<Arc<File>>, bytes: &[u8]) -> Result<Replayed, OutboxError> {
    log::check_header(bytes).map_err(|e| {
        let advice = match e {
            HeaderError::Version(_) => "Use the build that wrote it",
            _ => NEW_STORE_ADVICE,
        };
        unreadable(path, e.to_string(), advice)
    })?;
    let scanned = log::scan(bytes)
        .map_err(|damage| unreadable(path, format!("damaged: {damage}"), SALVAGE_ADVICE))?;
    let mut state = State::new(file);
    for frame in &scanned.frames {
        let records = log::records(frame)
            .map_err(|e| unreadable(path, format!("damaged: {e}"), SALVAGE_ADVICE))?;
        for (offset, len, record) in records {
            state.apply(record, Loc { offset, len });
        }
    }
    Ok(Replayed {
        state,
        end: scanned.end,
        torn: scanned.torn,
    })
}

/// What the log `bytes` (a whole file) hold, as [`Store::open`] would read
/// them, without a file: for tools and the fuzz target. `Err` is what
/// opening such a file says (the file named `<bytes>`).
pub fn inspect(bytes: &[u8]) -> Result<Stats, OutboxError> {
    let replayed = replay(Path::new("<bytes>"), None, bytes)?;
    Ok(replayed.state.stats())
}

/// What [`Store::salvage`] read and wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Salvaged {
    /// Good frames read.
    pub frames: usize,
    /// Records in them that did not decode (left out).
    pub bad_records: usize,
    /// Unreadable runs skipped: `(offset, length)` in bytes.
    pub skipped: Vec<(u64, u64)>,
    /// Entries written to the new store, pending.
    pub pending: u64,
    /// Entries written to the new store, dead.
    pub dead: u64,
    /// Delivered entries found (not carried over: they are done).
    pub delivered: u64,
    /// Live deduplication keys carried over.
    pub keys: usize,
}

impl Store {
    /// Opens the store at `path` (see [`OpenMode`]). Fails with
    /// [`OutboxError::Locked`] when another process has it open, and with
    /// [`OutboxError::Unreadable`] (naming the file, the problem and what to
    /// do) when it is empty, not an outbox, or damaged.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, OutboxError> {
        if !path.exists() {
            if mode == OpenMode::Existing {
                return Err(OutboxError::Unreadable {
                    path: path.to_path_buf(),
                    problem: "there is no such file. Check --outbox (or WEBHOOK_OUTBOX)".into(),
                });
            }
            install(path, &log::header())?;
            tracing::info!(outbox = %path.display(), "created a new outbox");
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_error(path, "open"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(OutboxError::Locked(path.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(path, "lock")(e)),
        }
        let mut bytes = Vec::new();
        (&file)
            .read_to_end(&mut bytes)
            .map_err(io_error(path, "read"))?;
        let file = Arc::new(file);
        let replayed = match replay(path, Some(Arc::clone(&file)), &bytes) {
            Ok(replayed) => replayed,
            Err(e @ OutboxError::Unreadable { .. }) if mode == OpenMode::Replace => {
                let aside = sibling(path, &format!(".unreadable-{}", now_ms()));
                tracing::warn!(outbox = %path.display(), aside = %aside.display(), error = %e, "--new-store: setting the unreadable outbox aside and starting with an empty one");
                drop(file);
                std::fs::rename(path, &aside).map_err(io_error(path, "set aside"))?;
                return Store::open(path, OpenMode::Create);
            }
            Err(e) => return Err(e),
        };
        if let Some(torn) = replayed.torn {
            tracing::warn!(
                outbox = %path.display(),
                at = replayed.end,
                bytes = torn,
                "the last write before the previous stop was cut short (a crash or power loss during a commit); \
                 it was never acknowledged, and is cut off"
            );
        }
        if bytes.len() as u64 > replayed.end {
            // The torn tail, or zeros written ahead: the next commit writes
            // ahead again.
            file.set_len(replayed.end)
                .and_then(|()| file.sync_data())
                .map_err(io_error(path, "cut the torn tail off"))?;
        }
        let _ = std::fs::remove_file(sibling(path, ".new"));
        let end = replayed.end;
        Ok(Store {
            path: path.to_path_buf(),
            state: Mutex::new(replayed.state),
            log: Mutex::new(LogFile {
                file,
                end,
                allocated: end,
                compact_at: COMPACT_MIN.max(end.saturating_mul(2)),
            }),
            failure: Mutex::new(None),
            commit_failures: AtomicU64::new(0),
            #[cfg(any(test, feature = "testing"))]
            faults: Faults::default(),
        })
    }

    /// Reads every good frame of the (stopped) store `from`, skipping
    /// damage, and writes what it holds (pending and dead entries, live
    /// keys, the next id) as a new store at `to`, which must not exist.
    pub fn salvage(from: &Path, to: &Path) -> Result<Salvaged, OutboxError> {
        if to.exists() {
            return Err(OutboxError::Refused(format!(
                "{} exists; salvage writes a new store and never overwrites a file",
                to.display()
            )));
        }
        let file = File::open(from).map_err(io_error(from, "open"))?;
        if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock_shared() {
            return Err(OutboxError::Locked(from.to_path_buf()));
        }
        let mut bytes = Vec::new();
        (&file)
            .read_to_end(&mut bytes)
            .map_err(io_error(from, "read"))?;
        let (frames, skipped) = log::salvage(&bytes);
        let mut state = State::new(Some(Arc::new(file)));
        let mut bad_records = 0;
        let mut delivered = 0;
        for frame in &frames {
            // Record by record: one that does not decode is left out alone.
            let mut at = 0;
            let payload = frame.payload;
            while at + 4 <= payload.len() {
                let mut word = [0; 4];
                word.copy_from_slice(&payload[at..at + 4]);
                let len = u32::from_le_bytes(word) as usize;
                let start = at + 4;
                let Some(json) = payload.get(start..start + len) else {
                    bad_records += 1;
                    break;
                };
                let offset = frame.payload_offset() + start as u64;
                match log::decode(json) {
                    Ok(record) => state.apply(record, Loc { offset, len }),
                    Err(_) => bad_records += 1,
                }
                at = start + len;
            }
        }
        for slot in state.slots.values() {
            if slot.state == EntryState::Delivered {
                delivered += 1;
            }
        }
        let (snapshot, _) = state.snapshot(now_ms())?;
        let pending = state.pending.len() as u64;
        let keys = state.keys.values().filter(|&&e| e > now_ms()).count();
        install(to, &snapshot)?;
        Ok(Salvaged {
            frames: frames.len(),
            bad_records,
            skipped,
            pending,
            dead: state.dead,
            delivered,
            keys,
        })
    }

    /// Why the last commit failed, while no commit has worked since.
    pub fn unavailable(&self) -> Option<(String, std::time::Duration)> {
        lock(&self.failure)
            .as_ref()
            .map(|f| (f.reason.clone(), f.since.elapsed()))
    }

    /// Commits that failed (a full disk, an I/O error).
    pub fn commit_failures(&self) -> u64 {
        self.commit_failures.load(Ordering::Relaxed)
    }

    /// From now on, every append fails with OS error `errno` (`None`: works
    /// again). For tests of what a full disk does.
    #[cfg(any(test, feature = "testing"))]
    pub fn inject_write_error(&self, errno: Option<i32>) {
        *lock(&self.faults.fail_with) = errno;
    }

    /// Appends `frame` at the end of the log and syncs it; returns where it
    /// starts. A failure cuts the file back, so the next frame goes where
    /// this one should have.
    fn append(&self, frame: &[u8]) -> io::Result<u64> {
        let mut log = lock(&self.log);
        #[cfg(any(test, feature = "testing"))]
        if let Some(errno) = *lock(&self.faults.fail_with) {
            return Err(io::Error::from_raw_os_error(errno));
        }
        let at = log.end;
        let needed = at + frame.len() as u64;
        if needed > log.allocated {
            let ahead = needed.next_multiple_of(PREALLOCATE);
            match write_zeros(&log.file, log.allocated, ahead) {
                Ok(()) => log.allocated = ahead,
                // Not enough space to write ahead: the frame alone may fit.
                Err(_) => {
                    let _ = log.file.set_len(at);
                    log.allocated = at;
                }
            }
        }
        match log
            .file
            .write_all_at(frame, at)
            .and_then(|()| log.file.sync_data())
        {
            Ok(()) => {
                log.end = needed;
                log.allocated = log.allocated.max(needed);
                Ok(at)
            }
            Err(e) => {
                let _ = log.file.set_len(at);
                log.allocated = at;
                Err(e)
            }
        }
    }

    fn commit_failed(&self, e: &io::Error) -> OutboxError {
        let reason = format!("cannot write the outbox {}: {e}", self.path.display());
        self.commit_failures.fetch_add(1, Ordering::Relaxed);
        let mut failure = lock(&self.failure);
        if failure.is_none() {
            tracing::error!("{reason}; answering 503 until a commit works again");
            *failure = Some(Failure {
                reason: reason.clone(),
                since: Instant::now(),
            });
        }
        OutboxError::Unavailable(reason)
    }

    fn commit_worked(&self) {
        let mut failure = lock(&self.failure);
        if let Some(gone) = failure.take() {
            tracing::warn!(after = ?gone.since.elapsed(), "the outbox can store events again");
        }
    }

    /// Applies `batch` in arrival order as ONE frame (one `fdatasync` for
    /// all of it); see [`Write`] for what each write does.
    ///
    /// `Err`: the frame could not be written and nothing of the batch is
    /// stored. `Ok`: one answer per write, in order. A write's own failure
    /// (no id left, pending entries cannot be purged) is answered to it
    /// alone: it is found before anything is written, so the others commit
    /// as if it had not been there.
    pub fn write_batch(&self, batch: Vec<Write>) -> Result<Vec<Answer>, OutboxError> {
        let mut frame = FrameBuilder::default();
        let mut planned: Vec<(Record, (usize, usize))> = Vec::new();
        let answers: Vec<Answer> = {
            let state = lock(&self.state);
            let mut plan = Plan {
                state: &state,
                keys: HashMap::new(),
                touched: HashSet::new(),
                next_id: state.next_id,
                frame: &mut frame,
                planned: &mut planned,
            };
            batch.into_iter().map(|write| plan.decide(write)).collect()
        };
        if frame.is_empty() {
            return Ok(answers);
        }
        let at = match self.append(frame.finish()) {
            Ok(at) => at,
            Err(e) => return Err(self.commit_failed(&e)),
        };
        self.commit_worked();
        {
            let mut state = lock(&self.state);
            for (record, (offset, len)) in planned {
                let offset = at + offset as u64;
                state.apply(record, Loc { offset, len });
            }
        }
        self.maybe_compact();
        Ok(answers)
    }

    /// What the writer does when it has nothing to write: after a failed
    /// commit, try an empty frame, so the service recovers (and `/health`
    /// says so) without waiting for traffic.
    pub fn idle(&self) {
        if lock(&self.failure).is_none() {
            return;
        }
        let mut empty = FrameBuilder::default();
        match self.append(empty.finish()) {
            Ok(_) => self.commit_worked(),
            Err(e) => {
                tracing::debug!(error = %e, "the outbox still cannot write");
            }
        }
    }

    fn maybe_compact(&self) {
        let due = {
            let log = lock(&self.log);
            log.end >= log.compact_at
        };
        if !due {
            return;
        }
        let started = Instant::now();
        match self.compact() {
            Ok((before, after)) => {
                tracing::info!(before, after, took = ?started.elapsed(), "outbox compacted");
            }
            Err(e) => {
                let mut log = lock(&self.log);
                log.compact_at = log.end.saturating_add(COMPACT_MIN);
                tracing::warn!(error = %e, "cannot compact the outbox; trying again later");
            }
        }
    }

    /// Rewrites the log as its live state; returns the sizes before and
    /// after.
    fn compact(&self) -> Result<(u64, u64), OutboxError> {
        let mut state = lock(&self.state);
        let mut log = lock(&self.log);
        let now = now_ms();
        state.keys.retain(|_, expiry| *expiry > now);
        let (bytes, locs) = state.snapshot(now)?;
        let file = Arc::new(install(&self.path, &bytes)?);
        let before = log.end;
        let after = bytes.len() as u64;
        log.file = Arc::clone(&file);
        log.end = after;
        log.allocated = after;
        log.compact_at = COMPACT_MIN.max(after.saturating_mul(2));
        state.file = Some(file);
        state.slots.retain(|_, s| s.state != EntryState::Delivered);
        for (id, loc) in locs {
            if let Some(slot) = state.slots.get_mut(&id) {
                slot.loc = loc;
            }
        }
        Ok((before, after))
    }

    /// Whether an entry with this order key is pending.
    pub fn has_pending(&self, order_key: &str) -> bool {
        lock(&self.state).order.contains_key(order_key)
    }

    /// Up to `limit` pending entries that may be sent now: due, and first of
    /// their order key. Also returns the earliest future attempt time among
    /// the heads that are not due yet.
    ///
    /// The entries' commands are handed over, not copied: the worker sends
    /// each one and settles it, which drops the command from memory anyway;
    /// if it stays pending (a retry), its command is read back from the log.
    /// So the caller must settle an entry before asking for due ones again.
    pub fn due(&self, now_ms: u64, limit: usize) -> Result<(Vec<Entry>, Option<u64>), OutboxError> {
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let mut blocked = HashSet::new();
        let mut ready = Vec::new();
        let mut next: Option<u64> = None;
        for &id in state.pending.iter().take(MAX_SCAN) {
            let Some(slot) = state.slots.get_mut(&id) else {
                continue;
            };
            if let Some(key) = &slot.order_key {
                if !blocked.insert(key.clone()) {
                    continue;
                }
            }
            if slot.next_attempt_ms > now_ms {
                next = Some(next.map_or(slot.next_attempt_ms, |n| n.min(slot.next_attempt_ms)));
                continue;
            }
            let command = match slot.command.take() {
                Some(command) => command,
                None => state_command(state.file.as_deref(), id, slot.loc)?,
            };
            ready.push(Entry {
                id,
                webhook: slot.webhook.clone(),
                order_key: slot.order_key.clone(),
                command,
                accepted_ms: slot.accepted_ms,
                attempts: slot.attempts,
                next_attempt_ms: slot.next_attempt_ms,
                last_error: slot.last_error.clone(),
                finished_ms: slot.finished_ms,
            });
            if ready.len() >= limit {
                break;
            }
        }
        Ok((ready, next))
    }

    /// The entry with this id, wherever it is.
    pub fn get(&self, id: u64) -> Result<Option<(EntryState, Entry)>, OutboxError> {
        let state = lock(&self.state);
        match state.slots.get(&id) {
            Some(slot) => Ok(Some((slot.state, state.entry(id, slot)?))),
            None => Ok(None),
        }
    }

    /// The entries in `state`, oldest first, at most `limit`.
    pub fn list(&self, which: EntryState, limit: usize) -> Result<Vec<Entry>, OutboxError> {
        let state = lock(&self.state);
        state
            .slots
            .iter()
            .filter(|(_, slot)| slot.state == which)
            .take(limit)
            .map(|(&id, slot)| state.entry(id, slot))
            .collect()
    }

    /// Counts for metrics and health.
    pub fn stats(&self) -> Stats {
        lock(&self.state).stats()
    }

    /// The log's length in bytes.
    pub fn log_bytes(&self) -> u64 {
        lock(&self.log).end
    }
}

/// One batch being decided: what the state plus the batch's earlier writes
/// say, and the frame the decisions go into.
struct Plan<'a> {
    state: &'a State,
    /// Keys claimed (`Some(expiry)`) or released (`None`) earlier in the batch.
    keys: HashMap<u128, Option<u64>>,
    /// Entries settled, retried or purged earlier in the batch.
    touched: HashSet<u64>,
    next_id: u64,
    frame: &'a mut FrameBuilder,
    planned: &'a mut Vec<(Record, (usize, usize))>,
}

impl Plan<'_> {
    fn live(&self, key: u128, now_ms: u64) -> bool {
        match self.keys.get(&key) {
            Some(claimed) => claimed.is_some_and(|expiry| expiry > now_ms),
            None => self.state.live_key(key, now_ms),
        }
    }

    /// Puts `record` into the frame, to be applied once the frame is durable.
    fn record(&mut self, record: Record) -> Result<(), OutboxError> {
        let at = self
            .frame
            .push(&record)
            .map_err(|e| OutboxError::Corrupt(format!("cannot encode an outbox record: {e}")))?;
        self.planned.push((record, at));
        Ok(())
    }

    fn decide(&mut self, write: Write) -> Answer {
        match write {
            Write::Enqueue(request) => self.enqueue(request),
            Write::Settle { entry, to } => {
                self.touched.insert(entry.id);
                self.record(Record::Settle {
                    id: entry.id,
                    state: to,
                    attempts: entry.attempts,
                    next_attempt_ms: entry.next_attempt_ms,
                    last_error: entry.last_error,
                    finished_ms: entry.finished_ms,
                })?;
                Ok(Written::Settled)
            }
            Write::Release(keys) => {
                let keys: Vec<u128> = keys.iter().map(|k| digest(k)).collect();
                for &key in &keys {
                    self.keys.insert(key, None);
                }
                self.record(Record::Release { keys })?;
                Ok(Written::Settled)
            }
            Write::Retry { ids, now_ms } => {
                let chosen: Vec<u64> = match ids {
                    Some(ids) => ids,
                    None => self.state.slots.keys().copied().collect(),
                };
                let mut moved = 0;
                for id in chosen {
                    let Some(slot) = self.state.slots.get(&id) else {
                        continue;
                    };
                    if slot.state != EntryState::Dead || !self.touched.insert(id) {
                        continue;
                    }
                    self.record(Record::Settle {
                        id,
                        state: EntryState::Pending,
                        attempts: 0,
                        next_attempt_ms: now_ms,
                        last_error: slot.last_error.clone(),
                        finished_ms: None,
                    })?;
                    moved += 1;
                }
                Ok(Written::Count(moved))
            }
            Write::Purge(which) => {
                if which == EntryState::Pending {
                    return Err(OutboxError::Refused(
                        "pending entries are never purged; wait for them or let them fail".into(),
                    ));
                }
                let ids: Vec<u64> = self
                    .state
                    .slots
                    .iter()
                    .filter(|(id, s)| s.state == which && !self.touched.contains(id))
                    .map(|(&id, _)| id)
                    .collect();
                let count = ids.len() as u64;
                if count > 0 {
                    self.touched.extend(ids.iter().copied());
                    self.record(Record::Forget { ids })?;
                }
                Ok(Written::Count(count))
            }
        }
    }

    /// The one place that deduplicates and stores an event.
    fn enqueue(&mut self, request: Enqueue) -> Answer {
        let keys: Vec<u128> = request.keys.iter().map(|k| digest(k)).collect();
        if keys.iter().any(|&k| self.live(k, request.now_ms)) {
            return Ok(Written::Enqueued(Enqueued::Duplicate));
        }
        let claimed: Vec<Key> = keys.iter().map(|&k| (k, request.expires_ms)).collect();
        let Some(mut entry) = request.entry else {
            if !claimed.is_empty() {
                self.record(Record::Keys {
                    keys: claimed.clone(),
                })?;
            }
            for (key, expiry) in claimed {
                self.keys.insert(key, Some(expiry));
            }
            return Ok(Written::Enqueued(Enqueued::Stored(0)));
        };
        let id = self.next_id;
        let Some(next_id) = id.checked_add(1) else {
            return Err(OutboxError::Refused(
                "the outbox has used up its entry ids".into(),
            ));
        };
        entry.id = id;
        self.record(Record::Event {
            entry,
            state: EntryState::Pending,
            keys: claimed.clone(),
        })?;
        self.next_id = next_id;
        for (key, expiry) in claimed {
            self.keys.insert(key, Some(expiry));
        }
        Ok(Written::Enqueued(Enqueued::Stored(id)))
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
