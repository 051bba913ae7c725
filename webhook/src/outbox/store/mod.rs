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
//! - **Compaction** ([`compaction`], in the background while commits go
//!   on): once the log has grown to [`COMPACT_GROWTH`] times its size
//!   after the last compaction (and at least [`COMPACT_MIN`]), the live
//!   state (pending and dead events, live deduplication keys, the next id)
//!   is written to a new file, the frames committed meanwhile are copied
//!   after it, and it is synced and renamed over the log. Delivered events
//!   are dropped there:
//!   `outbox list --state delivered` shows those delivered since.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::log::{self, FrameBuilder, Record};
use super::OutboxError;
use crate::sync::lock;
use crate::zeebe::now_ms;
use ahead::Ahead;
pub(crate) use entries::digest;
pub use entries::{
    Answer, Enqueue, Enqueued, Entry, EntryState, Settlement, Stats, Write, Written,
};
use files::{install, io_error, replay, sibling};
use plan::Plan;
use state::{Loc, State};

mod ahead;
mod background;
mod compaction;
pub(super) mod entries;
mod files;
mod keys;
mod plan;
mod state;
#[cfg(test)]
mod tests;

/// How many pending entries one [`Store::take_due`] call looks at at most, so a
/// long outage backlog costs each pass a bounded amount; entries beyond are
/// newer and wait for the next passes.
const MAX_SCAN: usize = 10_000;
/// The frame buffer is kept from one commit to the next up to this size:
/// a fresh one per commit cost page faults (the allocator returns large
/// freed blocks to the system), about a tenth of the writer thread's time.
const SPARE_MAX: usize = 4 << 20;
/// The log is not compacted below this size.
pub const COMPACT_MIN: u64 = 64 << 20;
/// The log is compacted once it is this many times its size after the last
/// compaction. That size is mostly live deduplication keys, which each
/// compaction writes again while reclaiming only what came after: at 2,
/// each byte appended cost a byte rewritten (under load a 110 MB rewrite
/// every 3 s); at 4, a third of one. The price is a log and a set of
/// delivered entries in memory up to twice as large between compactions.
/// Measured in `benches/load/run.sh 15s 64 3` against 2, same session:
/// the compactions' threads 0.6–0.7 µs of CPU per request instead of
/// 0.8–1.7, the service 23.4–24.0 µs instead of 23.6–25.9; after 45 s at
/// 53,000 events a second, peak memory 661 MB instead of 588, the log
/// 451 MB instead of 339.
pub const COMPACT_GROWTH: u64 = 4;
/// The log is extended with zeros this much at a time, ahead of the frames.
/// A frame then overwrites space the file already has, so its `fdatasync`
/// writes data only, not the file's new size and blocks (on ext4 a journal
/// commit each time): measured on this project's VM, 35 % less CPU and
/// half the time per commit.
const PREALLOCATE: u64 = 1 << 20;

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
    /// Where the next frame goes (the end of the last durable frame). Only
    /// the writer moves it, holding this lock; a compaction's thread reads
    /// it without (see [`LogFile::end`]).
    end: Arc<AtomicU64>,
    /// The zeros beyond `end`.
    ahead: Ahead,
    /// Compact once `end` reaches this.
    compact_at: u64,
}

impl LogFile {
    fn end(&self) -> u64 {
        self.end.load(Ordering::Acquire)
    }

    fn set_end(&mut self, end: u64) {
        self.end.store(end, Ordering::Release);
    }
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
    /// The last commit's frame buffer, for the next (see [`SPARE_MAX`]).
    spare: Mutex<Vec<u8>>,
    /// The compaction in progress, if one is.
    compaction: Mutex<Option<compaction::Running>>,
    #[cfg(any(test, feature = "testing"))]
    faults: Faults,
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
                ahead: Ahead::new(Arc::clone(&file), end),
                file,
                end: Arc::new(AtomicU64::new(end)),
                compact_at: COMPACT_MIN.max(end.saturating_mul(COMPACT_GROWTH)),
            }),
            failure: Mutex::new(None),
            commit_failures: AtomicU64::new(0),
            spare: Mutex::new(Vec::new()),
            compaction: Mutex::new(None),
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
        let (snapshot, _) = state.freeze(now_ms()).encode()?;
        let pending = state.pending.len() as u64;
        let keys = state.keys.iter_live(now_ms()).count();
        install(to, &snapshot)?;
        Ok(Salvaged {
            frames: frames.len(),
            bad_records,
            skipped,
            pending,
            dead: state.dead.len() as u64,
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
        let at = log.end();
        let needed = at + frame.len() as u64;
        // Not enough space for zeros: the frame alone may fit.
        let _ = log.ahead.reserve(needed, PREALLOCATE);
        match log
            .file
            .write_all_at(frame, at)
            .and_then(|()| log.file.sync_data())
        {
            Ok(()) => {
                log.set_end(needed);
                log.ahead.used(needed);
                Ok(at)
            }
            Err(e) => {
                log.ahead.cut(at);
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
        let mut frame = FrameBuilder::reuse(std::mem::take(&mut *lock(&self.spare)));
        let result = self.write_frame(batch, &mut frame);
        let buffer = frame.into_buffer();
        if buffer.capacity() <= SPARE_MAX {
            *lock(&self.spare) = buffer;
        }
        result
    }

    fn write_frame(
        &self,
        batch: Vec<Write>,
        frame: &mut FrameBuilder,
    ) -> Result<Vec<Answer>, OutboxError> {
        let mut planned: Vec<(Record, (usize, usize))> = Vec::with_capacity(batch.len());
        let (answers, clock): (Vec<Answer>, u64) = {
            let state = lock(&self.state);
            state.keys.warm(batch.iter().flat_map(|write| match write {
                Write::Enqueue(request) => request.keys.as_slice(),
                _ => &[],
            }));
            let mut plan = Plan {
                state: &state,
                keys: HashMap::default(),
                touched: HashSet::new(),
                next_id: state.next_id,
                now_ms: 0,
                frame,
                planned: &mut planned,
            };
            let answers = batch.into_iter().map(|write| plan.decide(write)).collect();
            (answers, plan.now_ms)
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
            if clock > 0 {
                state.keys.prune(clock);
            }
        }
        self.maybe_compact();
        Ok(answers)
    }

    /// What the writer does when it has nothing to write: installs a
    /// compaction that has finished, and after a failed commit tries an
    /// empty frame, so the service recovers (and `/health` says so) without
    /// waiting for traffic.
    pub fn idle(&self) {
        self.maybe_compact();
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

    /// Whether an entry with this order key is pending.
    pub fn has_pending(&self, order_key: &str) -> bool {
        lock(&self.state).order.contains_key(order_key)
    }

    /// Takes up to `limit` pending entries that may be sent now: due, not
    /// taken already, and first of their order key (an entry taken and not
    /// yet settled still holds its key). Also returns the earliest future
    /// attempt time among the heads that are not due yet.
    ///
    /// A taken entry is not handed out again until it is settled (a commit
    /// of [`Write::Settle`] clears the mark) or [put back](Store::put_back),
    /// so the worker can go on sending while earlier outcomes are being
    /// recorded. The entries' commands are handed over, not copied: a
    /// settled entry drops its command from memory anyway, and one that
    /// stays pending (a retry) has it read back from the log.
    pub fn take_due(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<(Vec<Entry>, Option<u64>), OutboxError> {
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        // Keys met in this pass: a later entry of one of them waits.
        let mut blocked = HashSet::new();
        let mut ready = Vec::new();
        let mut next: Option<u64> = None;
        for &id in state.waiting.iter().take(MAX_SCAN) {
            if ready.len() >= limit {
                break;
            }
            let Some(slot) = state.slots.get_mut(&id) else {
                continue;
            };
            if let Some(key) = &slot.order_key {
                if state.holding.contains_key(key) || !blocked.insert(key.clone()) {
                    continue;
                }
            }
            if slot.next_attempt_ms > now_ms {
                next = Some(next.map_or(slot.next_attempt_ms, |n| n.min(slot.next_attempt_ms)));
                continue;
            }
            ready.push(slot.take_entry(id, state.file.as_deref())?);
        }
        for entry in &ready {
            state.take(entry.id);
        }
        Ok((ready, next))
    }

    /// Makes taken entries due again without settling them (their outcomes
    /// could not be recorded): they will be sent again.
    pub fn put_back(&self, ids: &[u64]) {
        let mut state = lock(&self.state);
        for &id in ids {
            state.untake(id);
        }
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
        lock(&self.log).end()
    }
}
