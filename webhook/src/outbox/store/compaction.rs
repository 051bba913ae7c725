//! Compaction in the background: the log is rewritten as its live state
//! while commits go on.
//!
//! Writing the live state out takes as long as it is big (mostly the live
//! deduplication keys: a day of them by default), and the writer thread used
//! to do it between two commits, holding every caller for the duration: about
//! 100 ms per 64 MiB of log under load, which was most of the load run's
//! p99. Now it goes in three steps:
//!
//! 1. **Freeze** (writer thread, between commits, tens of microseconds):
//!    the live state as of the log's current end `from` is taken
//!    ([`Frozen`]): the pending and dead entries are copied, the keys shared
//!    (see [`super::keys`]).
//! 2. **Prepare** (a thread of its own): the copy is encoded and written to
//!    the new file beside the log (`.new`), and synced. Commits go on
//!    appending to the old log meanwhile, and the frames they committed are
//!    copied after the snapshot, as long as there are many of them.
//! 3. **Finish** (writer thread, between commits): the frames committed
//!    since that copy are copied too, the new file is synced and renamed
//!    over the log, and the state's record locations are moved to the new
//!    file. The delivered entries dropped there, and the old file's last
//!    handles, are let go on a thread of their own.
//!
//! The threads of steps 2 and 3 run at a lower priority (see
//! [`super::background`]).
//!
//! Frames do not refer to positions, so the copied tail reads the same
//! after the snapshot as it did after `from`: replaying the new file gives
//! the state the old one gives. A crash before the rename leaves the old
//! log whole and a `.new` file that opening removes; after it, the new file
//! is complete and synced.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::background;
use super::files::{create_new, io_error, put_in_place, sibling, write_paced, write_zeros};
use super::state::{Frozen, Loc};
use super::{Store, COMPACT_GROWTH, COMPACT_MIN};
use crate::outbox::OutboxError;
use crate::sync::lock;
use crate::zeebe::now_ms;

/// Where the log was when the state was frozen.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    /// The log's end.
    from: u64,
    /// The next entry id: entries from it on were recorded after `from`
    /// (ids are given in log order).
    first_new: u64,
}

/// [`prepare`] copies the log's tail at most this many times over, while it
/// is at least [`TAIL_LEFT`] long: the finish copies what is left, holding
/// the writer.
const TAIL_PASSES: usize = 3;
/// See [`TAIL_PASSES`].
const TAIL_LEFT: u64 = 256 << 10;
/// Zeros written ahead in the new file (see [`Prepared::zeros_to`]).
const ZEROS_AHEAD: u64 = 2 << 20;
/// Tails are copied, and synced, this much at a time.
const COPY_PIECE: u64 = 1 << 20;

/// A compaction between its freeze and its finish.
#[derive(Debug)]
pub(super) struct Running {
    mark: Mark,
    started: Instant,
    prepare: JoinHandle<Result<Prepared, OutboxError>>,
}

#[cfg(test)]
impl Mark {
    pub(super) fn from(&self) -> u64 {
        self.from
    }
}

#[cfg(test)]
impl Prepared {
    pub(super) fn copied(&self) -> u64 {
        self.copied
    }
}

#[cfg(test)]
impl Running {
    pub(super) fn is_finished(&self) -> bool {
        self.prepare.is_finished()
    }
}

/// The new file, written and synced, not yet in place.
#[derive(Debug)]
pub(super) struct Prepared {
    file: File,
    /// The snapshot's length: where the copied tail goes.
    len: u64,
    /// How far in the log the tail is copied (from the mark's `from`).
    copied: u64,
    /// Zeros are written (and synced) from after that copy up to here, so
    /// the first commits to the new file need not write their own.
    zeros_to: u64,
    /// Where each kept entry's record is in it.
    locs: Vec<(u64, Loc)>,
}

impl Store {
    /// Called by the writer after each commit (and when idle): installs a
    /// finished compaction, or starts one when the log has grown enough.
    pub(super) fn maybe_compact(&self) {
        let mut running = lock(&self.compaction);
        if let Some(compaction) = running.take() {
            if !compaction.prepare.is_finished() {
                *running = Some(compaction);
                return;
            }
            drop(running);
            let Running {
                mark,
                started,
                prepare,
            } = compaction;
            let prepared = prepare.join().unwrap_or_else(|_| {
                Err(OutboxError::Task("the compaction thread panicked".into()))
            });
            match prepared.and_then(|prepared| self.finish_compaction(mark, prepared)) {
                Ok((before, after)) => {
                    tracing::info!(before, after, took = ?started.elapsed(), "outbox compacted");
                }
                Err(e) => self.compaction_failed(&e),
            }
            return;
        }
        let due = {
            let log = lock(&self.log);
            log.end() >= log.compact_at
        };
        if !due {
            return;
        }
        let (mark, frozen) = self.freeze();
        let tail = self.tail(mark);
        let path = self.path.clone();
        let started = Instant::now();
        match background::spawn("outbox-compact", move || prepare(&path, frozen, &tail)) {
            Ok(prepare) => {
                *running = Some(Running {
                    mark,
                    started,
                    prepare,
                })
            }
            Err(e) => self.compaction_failed(&OutboxError::Task(format!(
                "cannot start the compaction thread: {e}"
            ))),
        }
    }

    /// Rewrites the log as its live state now, in the three steps, on this
    /// thread; returns the sizes before and after.
    #[cfg(test)]
    pub(super) fn compact(&self) -> Result<(u64, u64), OutboxError> {
        let (mark, frozen) = self.freeze();
        let prepared = prepare(&self.path, frozen, &self.tail(mark))?;
        self.finish_compaction(mark, prepared)
    }

    /// Step 1: the live state and the log end it stands for.
    pub(super) fn freeze(&self) -> (Mark, Frozen) {
        let state = lock(&self.state);
        let log = lock(&self.log);
        let mark = Mark {
            from: log.end(),
            first_new: state.next_id,
        };
        (mark, state.freeze(now_ms()))
    }

    /// The log from `mark` on, for [`prepare`] to copy.
    pub(super) fn tail(&self, mark: Mark) -> Tail {
        let log = lock(&self.log);
        Tail {
            file: Arc::clone(&log.file),
            from: mark.from,
            end: Arc::clone(&log.end),
        }
    }

    /// Step 3: the frames committed since the freeze that [`prepare`] did
    /// not copy go after the snapshot and the rest of the tail, the new file
    /// replaces the log, and the state follows it.
    pub(super) fn finish_compaction(
        &self,
        Mark { from, first_new }: Mark,
        prepared: Prepared,
    ) -> Result<(u64, u64), OutboxError> {
        let mut state = lock(&self.state);
        let mut log = lock(&self.log);
        let installed = (|| {
            let at = prepared.len + (prepared.copied - from);
            copy_synced(
                &log.file,
                prepared.copied,
                log.end(),
                &prepared.file,
                at,
                false,
            )
            .and_then(|()| prepared.file.sync_data())
            .map_err(io_error(&self.path, "copy the tail of the log to a new"))?;
            put_in_place(&self.path)
        })();
        // On failure the caller removes the new file (`compaction_failed`).
        installed?;
        let before = log.end();
        let after = prepared.len + (before - from);
        let file = Arc::new(prepared.file);
        let old_files = (
            log.ahead.reset(Arc::clone(&file), after, prepared.zeros_to),
            std::mem::replace(&mut log.file, Arc::clone(&file)),
        );
        log.set_end(after);
        log.compact_at = COMPACT_MIN.max(after.saturating_mul(COMPACT_GROWTH));
        let old_state_file = state.file.replace(file);
        // An entry recorded since `from` is in the copied tail, moved by
        // the snapshot's length; one recorded before is in the snapshot
        // unless it was delivered by then, and then it is gone. Both are
        // found without walking the delivered entries, which under load are
        // hundreds of thousands: the older ones are split off at once, the
        // kept ones taken back out of them, and the rest freed on a thread
        // of their own.
        let newer = state.slots.split_off(&first_new);
        let mut older = std::mem::replace(&mut state.slots, newer);
        for slot in state.slots.values_mut() {
            slot.loc.offset = slot.loc.offset - from + prepared.len;
        }
        for (id, loc) in prepared.locs {
            if let Some(mut slot) = older.remove(&id) {
                slot.loc = loc;
                state.slots.insert(id, slot);
            }
        }
        drop(state);
        drop(log);
        let (old_zeros_file, old_log) = old_files;
        background::retire(old_log, (older, old_zeros_file, old_state_file));
        Ok((before, after))
    }

    fn compaction_failed(&self, e: &OutboxError) {
        let _ = std::fs::remove_file(sibling(&self.path, ".new"));
        let mut log = lock(&self.log);
        log.compact_at = log.end().saturating_add(COMPACT_MIN);
        tracing::warn!(error = %e, "cannot compact the outbox; trying again later");
    }
}

impl Drop for Store {
    /// A compaction still being prepared is waited for and thrown away, so
    /// no thread of this store writes beside the log once it is gone (a
    /// store opened next on the same file may start a compaction of its
    /// own).
    fn drop(&mut self) {
        let running = self
            .compaction
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(running) = running {
            let _ = running.prepare.join();
            let _ = std::fs::remove_file(sibling(&self.path, ".new"));
        }
    }
}

/// The log from a compaction's mark on, as it grows.
#[derive(Debug)]
pub(super) struct Tail {
    /// The log being compacted (it stays the log until the compaction
    /// finishes).
    file: Arc<File>,
    from: u64,
    /// The end of its last durable frame, moving as commits go on.
    end: Arc<AtomicU64>,
}

/// Step 2: the frozen state written to the new file beside `path`, synced;
/// then as much of the log's tail as has been committed since, so the
/// writer copies only the last of it at the finish (under load the tail is
/// megabytes: its copy held the writer 10-50 ms).
pub(super) fn prepare(path: &Path, frozen: Frozen, tail: &Tail) -> Result<Prepared, OutboxError> {
    let file = create_new(path)?;
    let mut at = 0;
    let (len, locs) = frozen.encode_to(&mut |bytes| {
        write_paced(&file, at, bytes).map_err(io_error(path, "write a new"))?;
        at += bytes.len() as u64;
        Ok(())
    })?;
    let mut copied = tail.from;
    for _ in 0..TAIL_PASSES {
        let end = tail.end.load(Ordering::Acquire);
        if end - copied < TAIL_LEFT {
            break;
        }
        let at = len + (copied - tail.from);
        let copy = copy_synced(&tail.file, copied, end, &file, at, true);
        copy.map_err(io_error(path, "copy the tail of the log to a new"))?;
        copied = end;
    }
    let zeros_from = len + (copied - tail.from);
    let zeros_to = zeros_from + ZEROS_AHEAD;
    write_zeros(&file, zeros_from, zeros_to)
        .and_then(|()| file.sync_data())
        .map_err(io_error(path, "write zeros ahead in a new"))?;
    Ok(Prepared {
        file,
        len,
        copied,
        zeros_to,
        locs,
    })
}

/// Copies `from..to` of `source` to `target` at `at`, in pieces; paced
/// (see [`write_paced`]) or, when the writer waits for it, each piece
/// synced at once.
fn copy_synced(
    source: &File,
    from: u64,
    to: u64,
    target: &File,
    at: u64,
    paced: bool,
) -> io::Result<()> {
    let mut piece = vec![0; COPY_PIECE.min(to - from) as usize];
    let mut done = 0;
    while from + done < to {
        let n = COPY_PIECE.min(to - from - done) as usize;
        source.read_exact_at(&mut piece[..n], from + done)?;
        if paced {
            write_paced(target, at + done, &piece[..n])?;
        } else {
            target.write_all_at(&piece[..n], at + done)?;
            target.sync_data()?;
        }
        done += n as u64;
    }
    Ok(())
}
