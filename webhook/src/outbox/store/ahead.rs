//! Zeros written ahead of the log's frames, by a thread of their own.
//!
//! A frame written over zeros the file already has makes its `fdatasync`
//! write the data alone; one that extends the file makes it write the new
//! size and blocks too (see [`super::PREALLOCATE`]). The writer used to
//! write those zeros itself, 1 MiB at a time: under load that held it (and
//! every caller of the commit) 2–4 ms, most of it waiting for a CPU, and the
//! next commit's `fdatasync` wrote the zeros out as well.
//!
//! Now this thread keeps zeros ahead of the frames: when fewer than
//! [`LOW`] bytes are left, it writes up to [`LOW`] + [`CHUNK`] ahead, in
//! [`PIECE`]s that are
//! each synced at once, so a commit's `fdatasync` finds at most one piece
//! not yet written out. The writer writes zeros itself only when it gets
//! there first (a burst, or the thread failed).
//!
//! Every call but the thread's own comes from the writer, holding the log's
//! lock: the only concurrency is between the writer and this thread, which
//! writes beyond [`Space::ready`] only, and only while a fill is asked for.

use std::fs::File;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::background;
use super::files::write_zeros;
use crate::sync::lock;

/// A fill is asked for when fewer zeros than this are left ahead.
const LOW: u64 = 1 << 20;
/// A fill writes zeros up to [`LOW`] + this ahead.
const CHUNK: u64 = 1 << 20;
/// A fill syncs after each piece this long.
const PIECE: u64 = 256 << 10;
/// After a failed fill (a full disk), the next one waits this long.
const BACK_OFF: Duration = Duration::from_secs(1);

/// The zeros ahead of the log.
#[derive(Debug)]
pub(super) struct Ahead {
    shared: Arc<Shared>,
    /// Started on the first fill asked for (operator commands never need
    /// one).
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Shared {
    space: Mutex<Space>,
    changed: Condvar,
}

#[derive(Debug)]
struct Space {
    file: Arc<File>,
    /// Zeros are written and synced up to here: frames may go below it.
    ready: u64,
    /// A fill up to here is asked for or running.
    filling: Option<u64>,
    /// Counts [`Ahead::reset`]s: a fill started before the last one was on
    /// the old file, and its zeros do not count.
    file_number: u64,
    /// No fill is asked for before this (after a failed one).
    not_before: Option<Instant>,
    stopping: bool,
}

impl Ahead {
    /// `file` holds frames (or zeros) up to `end`, and nothing beyond.
    pub(super) fn new(file: Arc<File>, end: u64) -> Ahead {
        Ahead {
            shared: Arc::new(Shared {
                space: Mutex::new(Space {
                    file,
                    ready: end,
                    filling: None,
                    file_number: 0,
                    not_before: None,
                    stopping: false,
                }),
                changed: Condvar::new(),
            }),
            thread: Mutex::new(None),
        }
    }

    /// The space with no fill running.
    fn idle(&self) -> MutexGuard<'_, Space> {
        let mut space = lock(&self.shared.space);
        while space.filling.is_some() {
            space = self
                .shared
                .changed
                .wait(space)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        space
    }

    /// Makes sure zeros reach at least `needed`: waits for a fill running,
    /// and if the zeros still fall short, writes them up to the next
    /// multiple of `step` itself. An error leaves the file as it was.
    pub(super) fn reserve(&self, needed: u64, step: u64) -> io::Result<()> {
        {
            let space = lock(&self.shared.space);
            if needed <= space.ready {
                return Ok(());
            }
        }
        let mut space = self.idle();
        if needed <= space.ready {
            return Ok(());
        }
        let to = needed.next_multiple_of(step);
        match write_zeros(&space.file, space.ready, to) {
            Ok(()) => {
                space.ready = to;
                Ok(())
            }
            Err(e) => {
                let _ = space.file.set_len(space.ready);
                Err(e)
            }
        }
    }

    /// Cuts the file back to `end` (a frame failed to go there), after any
    /// fill running.
    pub(super) fn cut(&self, end: u64) {
        let mut space = self.idle();
        let _ = space.file.set_len(end);
        space.ready = end;
    }

    /// From now on the log is `file`, ending at `end`, with zeros written
    /// and synced up to `zeros_to` (a compaction put it in place); returns
    /// the old one. A fill running on the old file stops
    /// after its piece, and is not waited for: its zeros go to a file nobody
    /// writes to.
    pub(super) fn reset(&self, file: Arc<File>, end: u64, zeros_to: u64) -> Arc<File> {
        let mut space = lock(&self.shared.space);
        let old = std::mem::replace(&mut space.file, file);
        space.ready = end.max(zeros_to);
        space.filling = None;
        space.file_number += 1;
        drop(space);
        self.shared.changed.notify_all();
        old
    }

    /// Called after each frame, which ended at `end`: asks for a fill when
    /// the zeros left are few.
    pub(super) fn used(&self, end: u64) {
        {
            let mut space = lock(&self.shared.space);
            space.ready = space.ready.max(end);
            let wanted = space.filling.is_none()
                && space.ready - end < LOW
                && space.not_before.is_none_or(|t| Instant::now() >= t);
            if !wanted {
                return;
            }
            space.filling = Some(end + LOW + CHUNK);
            space.not_before = None;
        }
        self.shared.changed.notify_all();
        let mut thread = lock(&self.thread);
        if thread.is_none() {
            let shared = Arc::clone(&self.shared);
            match background::spawn("outbox-zeros", move || fill(&shared)) {
                Ok(started) => *thread = Some(started),
                Err(e) => {
                    tracing::debug!(error = %e, "cannot start the thread that writes zeros ahead");
                    lock(&self.shared.space).filling = None;
                    self.shared.changed.notify_all();
                }
            }
        }
    }

    /// How far zeros are written and synced (tests).
    #[cfg(test)]
    pub(super) fn ready(&self) -> u64 {
        self.idle().ready
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        lock(&self.shared.space).stopping = true;
        self.shared.changed.notify_all();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

/// The thread: runs each fill asked for, until the store goes.
fn fill(shared: &Shared) {
    let mut space = lock(&shared.space);
    loop {
        if space.stopping {
            return;
        }
        let Some(to) = space.filling else {
            space = shared
                .changed
                .wait(space)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            continue;
        };
        let (file, number, from) = (Arc::clone(&space.file), space.file_number, space.ready);
        drop(space);
        let written = write_synced(&file, from, to, || {
            lock(&shared.space).file_number != number
        });
        space = lock(&shared.space);
        if space.file_number != number {
            // The log was replaced meanwhile: any fill asked for now is on
            // the new file.
            continue;
        }
        match written {
            Ok(()) => space.ready = space.ready.max(to),
            Err(e) => {
                tracing::debug!(error = %e, "cannot write zeros ahead of the outbox log; the writer will");
                space.not_before = Some(Instant::now() + BACK_OFF);
            }
        }
        space.filling = None;
        shared.changed.notify_all();
    }
}

/// Zeros from `from` to `to`, synced piece by piece, until done or
/// `replaced` says the file is no longer the log.
fn write_synced(file: &File, from: u64, to: u64, replaced: impl Fn() -> bool) -> io::Result<()> {
    let mut at = from;
    while at < to && !replaced() {
        let end = (at + PIECE).min(to);
        write_zeros(file, at, end)?;
        file.sync_data()?;
        at = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use super::*;

    fn file(dir: &tempfile::TempDir) -> Arc<File> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.path().join("log"))
            .unwrap();
        file.write_all_at(b"frames", 0).unwrap();
        Arc::new(file)
    }

    #[test]
    fn a_fill_keeps_zeros_ahead_and_never_writes_below_the_frames() {
        let dir = tempfile::tempdir().unwrap();
        let file = file(&dir);
        let ahead = Ahead::new(Arc::clone(&file), 6);
        ahead.used(6);
        let first = 6 + LOW + CHUNK;
        assert_eq!(ahead.ready(), first);
        assert_eq!(file.metadata().unwrap().len(), first);
        let mut start = [0; 6];
        file.read_exact_at(&mut start, 0).unwrap();
        assert_eq!(&start, b"frames");
        // Enough left: no fill.
        ahead.used(6 + CHUNK);
        assert_eq!(ahead.ready(), first);
        // Fewer than LOW left: a fill.
        ahead.used(7 + CHUNK);
        assert_eq!(ahead.ready(), 7 + CHUNK + LOW + CHUNK);
    }

    #[test]
    fn reserve_writes_what_no_fill_did_and_cut_waits_for_the_fill() {
        let dir = tempfile::tempdir().unwrap();
        let file = file(&dir);
        let ahead = Ahead::new(Arc::clone(&file), 6);
        ahead.reserve(100, 64).unwrap();
        assert_eq!(ahead.ready(), 128);
        ahead.reserve(50, 64).unwrap();
        assert_eq!(ahead.ready(), 128);
        ahead.used(100);
        // Whether the fill has run or not, the cut comes after it.
        ahead.cut(100);
        assert_eq!(ahead.ready(), 100);
        assert_eq!(file.metadata().unwrap().len(), 100);
    }

    #[test]
    fn after_a_reset_the_zeros_go_to_the_new_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let old = file(&dir);
        let ahead = Ahead::new(Arc::clone(&old), 6);
        ahead.used(6);
        let new = Arc::new(tempfile::tempfile_in(dir.path()).unwrap());
        ahead.reset(Arc::clone(&new), 0, 0);
        assert_eq!(ahead.ready(), 0);
        ahead.used(0);
        assert_eq!(ahead.ready(), LOW + CHUNK);
        assert_eq!(new.metadata().unwrap().len(), LOW + CHUNK);
        // The fill on the old file stopped where it was when the log was
        // replaced (perhaps before it began), and moved nothing.
        assert!(old.metadata().unwrap().len() <= 6 + LOW + CHUNK);
    }
}
