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
//!    appending to the old log meanwhile.
//! 3. **Finish** (writer thread, between commits): the frames committed
//!    since `from` are copied after the snapshot, the new file is synced and
//!    renamed over the log, and the state's record locations are moved to
//!    the new file. The delivered entries dropped there are freed on a
//!    thread of their own.
//!
//! Frames do not refer to positions, so the copied tail reads the same
//! after the snapshot as it did after `from`: replaying the new file gives
//! the state the old one gives. A crash before the rename leaves the old
//! log whole and a `.new` file that opening removes; after it, the new file
//! is complete and synced.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::files::{io_error, put_in_place, sibling, write_new};
use super::state::{Frozen, Loc, Slot};
use super::{Store, COMPACT_MIN};
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

/// A compaction between its freeze and its finish.
#[derive(Debug)]
pub(super) struct Running {
    mark: Mark,
    started: Instant,
    prepare: JoinHandle<Result<Prepared, OutboxError>>,
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
            log.end >= log.compact_at
        };
        if !due {
            return;
        }
        let (mark, frozen) = self.freeze();
        let path = self.path.clone();
        let started = Instant::now();
        match std::thread::Builder::new()
            .name("outbox-compact".into())
            .spawn(move || prepare(&path, frozen))
        {
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
        let prepared = prepare(&self.path, frozen)?;
        self.finish_compaction(mark, prepared)
    }

    /// Step 1: the live state and the log end it stands for.
    pub(super) fn freeze(&self) -> (Mark, Frozen) {
        let state = lock(&self.state);
        let log = lock(&self.log);
        let mark = Mark {
            from: log.end,
            first_new: state.next_id,
        };
        (mark, state.freeze(now_ms()))
    }

    /// Step 3: the frames committed since the freeze go after the snapshot,
    /// the new file replaces the log, and the state follows it.
    pub(super) fn finish_compaction(
        &self,
        Mark { from, first_new }: Mark,
        prepared: Prepared,
    ) -> Result<(u64, u64), OutboxError> {
        let mut state = lock(&self.state);
        let mut log = lock(&self.log);
        let installed = (|| {
            let mut tail = vec![0; (log.end - from) as usize];
            log.file
                .read_exact_at(&mut tail, from)
                .map_err(io_error(&self.path, "read the tail of"))?;
            prepared
                .file
                .write_all_at(&tail, prepared.len)
                .and_then(|()| prepared.file.sync_data())
                .map_err(io_error(&self.path, "write a new"))?;
            put_in_place(&self.path)
        })();
        // On failure the caller removes the new file (`compaction_failed`).
        installed?;
        let before = log.end;
        let after = prepared.len + (log.end - from);
        let file = Arc::new(prepared.file);
        log.ahead.reset(Arc::clone(&file), after);
        log.file = Arc::clone(&file);
        log.end = after;
        log.compact_at = COMPACT_MIN.max(after.saturating_mul(2));
        state.file = Some(file);
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
        free_elsewhere(older);
        Ok((before, after))
    }

    fn compaction_failed(&self, e: &OutboxError) {
        let _ = std::fs::remove_file(sibling(&self.path, ".new"));
        let mut log = lock(&self.log);
        log.compact_at = log.end.saturating_add(COMPACT_MIN);
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

/// Drops `slots` on a thread of its own: freeing hundreds of thousands of
/// delivered entries took the writer tens of milliseconds.
fn free_elsewhere(slots: BTreeMap<u64, Slot>) {
    if slots.is_empty() {
        return;
    }
    // If no thread can be started, the closure is dropped here, and the
    // entries with it.
    let _ = std::thread::Builder::new()
        .name("outbox-free".into())
        .spawn(move || drop(slots));
}

/// Step 2: the frozen state written to the new file beside `path`, synced.
pub(super) fn prepare(path: &Path, frozen: Frozen) -> Result<Prepared, OutboxError> {
    let (bytes, locs) = frozen.encode()?;
    let file = write_new(path, &bytes)?;
    Ok(Prepared {
        file,
        len: bytes.len() as u64,
        locs,
    })
}
