//! Compaction in the background: the log is rewritten as its live state
//! while commits go on.
//!
//! Writing the live state out takes as long as it is big (mostly the live
//! deduplication keys: a day of them by default), and the writer thread used
//! to do it between two commits, holding every caller for the duration: about
//! 100 ms per 64 MiB of log under load, which was most of the load run's
//! p99. Now it goes in three steps:
//!
//! 1. **Freeze** (writer thread, between commits, short): the live state as
//!    of the log's current end `from` is copied ([`Frozen`]).
//! 2. **Prepare** (a thread of its own): the copy is encoded and written to
//!    the new file beside the log (`.new`), and synced. Commits go on
//!    appending to the old log meanwhile.
//! 3. **Finish** (writer thread, between commits): the frames committed
//!    since `from` are copied after the snapshot, the new file is synced and
//!    renamed over the log, and the state's record locations are moved to
//!    the new file.
//!
//! Frames do not refer to positions, so the copied tail reads the same
//! after the snapshot as it did after `from`: replaying the new file gives
//! the state the old one gives. A crash before the rename leaves the old
//! log whole and a `.new` file that opening removes; after it, the new file
//! is complete and synced.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::entries::EntryState;
use super::files::{io_error, put_in_place, sibling, write_new};
use super::state::{Frozen, Loc};
use super::{Store, COMPACT_MIN};
use crate::outbox::OutboxError;
use crate::sync::lock;
use crate::zeebe::now_ms;

/// A compaction between its freeze and its finish.
#[derive(Debug)]
pub(super) struct Running {
    /// The log's end when the state was frozen.
    from: u64,
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
                from,
                started,
                prepare,
            } = compaction;
            let prepared = prepare.join().unwrap_or_else(|_| {
                Err(OutboxError::Task("the compaction thread panicked".into()))
            });
            match prepared.and_then(|prepared| self.finish_compaction(from, prepared)) {
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
        let (from, frozen) = self.freeze();
        let path = self.path.clone();
        let started = Instant::now();
        match std::thread::Builder::new()
            .name("outbox-compact".into())
            .spawn(move || prepare(&path, frozen))
        {
            Ok(prepare) => {
                *running = Some(Running {
                    from,
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
        let (from, frozen) = self.freeze();
        let prepared = prepare(&self.path, frozen)?;
        self.finish_compaction(from, prepared)
    }

    /// Step 1: the live state and the log end it stands for. Expired keys
    /// are dropped from memory here too.
    pub(super) fn freeze(&self) -> (u64, Frozen) {
        let mut state = lock(&self.state);
        let log = lock(&self.log);
        let now = now_ms();
        state.keys.retain(|_, expiry| *expiry > now);
        (log.end, state.freeze(now))
    }

    /// Step 3: the frames committed since `from` go after the snapshot, the
    /// new file replaces the log, and the state follows it.
    pub(super) fn finish_compaction(
        &self,
        from: u64,
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
        log.file = Arc::clone(&file);
        log.end = after;
        log.allocated = after;
        log.compact_at = COMPACT_MIN.max(after.saturating_mul(2));
        state.file = Some(file);
        // An entry recorded since `from` is in the copied tail, moved by
        // the snapshot's length; one recorded before is in the snapshot
        // unless it was delivered by then, and then it is gone.
        let moved: HashMap<u64, Loc> = prepared.locs.into_iter().collect();
        state.slots.retain(|id, slot| {
            if slot.loc.offset >= from {
                slot.loc.offset = slot.loc.offset - from + prepared.len;
                true
            } else if let Some(&loc) = moved.get(id) {
                slot.loc = loc;
                true
            } else {
                debug_assert_eq!(slot.state, EntryState::Delivered);
                false
            }
        });
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
