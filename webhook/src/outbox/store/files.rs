//! The outbox's file handling: installing a file atomically, writing zeros
//! ahead, replaying a log into a [`State`], and the errors that say what is
//! wrong with a file and what to do.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::state::{Loc, State};
use crate::outbox::log::{self, HeaderError};
use crate::outbox::OutboxError;

/// [`write_paced`] syncs after each piece this long.
const SYNC_PIECE: usize = 256 << 10;
/// Zeros to write ahead from.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

pub(super) fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> OutboxError {
    let path = path.to_path_buf();
    move |source| OutboxError::Io {
        path,
        action,
        source,
    }
}

/// `path` with `suffix` appended to its file name.
pub(super) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Writes `bytes` as the file `path`, atomically: a temporary sibling,
/// synced, locked, renamed into place, the directory synced. Returns the
/// new file, open for reading and writing, locked.
pub(super) fn install(path: &Path, bytes: &[u8]) -> Result<File, OutboxError> {
    let file = write_new(path, bytes)?;
    put_in_place(path)?;
    Ok(file)
}

/// Writes `bytes` to `path` + `.new` and syncs it, paced (see
/// [`write_paced`]); [`put_in_place`] then renames it over `path`.
pub(super) fn write_new(path: &Path, bytes: &[u8]) -> Result<File, OutboxError> {
    let file = create_new(path)?;
    match write_paced(&file, 0, bytes).and_then(|()| file.sync_data()) {
        Ok(()) => Ok(file),
        Err(e) => {
            let _ = std::fs::remove_file(sibling(path, ".new"));
            Err(io_error(path, "write a new")(e))
        }
    }
}

/// Creates `path` + `.new`, empty (replacing one left by a crash), locked:
/// nobody else knows the file yet, so the lock is ours at once.
pub(super) fn create_new(path: &Path) -> Result<File, OutboxError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(sibling(path, ".new"))
        .map_err(io_error(path, "create a new"))?;
    let _ = file.try_lock();
    Ok(file)
}

/// Writes `bytes` to `file` at `at`, syncing after each [`SYNC_PIECE`] and
/// then resting as long as the piece took, so a big file (a compaction's)
/// keeps the disk busy half the time at most: the log's commits share the
/// disk meanwhile, and each `fdatasync` of theirs waits for whatever else
/// is being written. Syncing once at the end, one commit waited 107 ms
/// behind 20 MB; syncing every MiB without rest, commits took 3-20 ms
/// for as long as a 100 MB compaction lasted.
pub(super) fn write_paced(file: &File, at: u64, bytes: &[u8]) -> io::Result<()> {
    let mut offset = at;
    for piece in bytes.chunks(SYNC_PIECE) {
        let started = std::time::Instant::now();
        file.write_all_at(piece, offset)?;
        file.sync_data()?;
        offset += piece.len() as u64;
        std::thread::sleep(started.elapsed());
    }
    Ok(())
}

/// Renames the synced `path` + `.new` over `path`, durably.
pub(super) fn put_in_place(path: &Path) -> Result<(), OutboxError> {
    std::fs::rename(sibling(path, ".new"), path)
        .and_then(|()| sync_dir(path))
        .map_err(io_error(path, "install a new"))
}

pub(super) fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    let mut at = from;
    while at < to {
        let n = (to - at).min(ZEROS.len() as u64) as usize;
        file.write_all_at(&ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Why the file at `path` cannot be opened, and what to do about it.
pub(super) fn unreadable(path: &Path, problem: String, advice: &str) -> OutboxError {
    OutboxError::Unreadable {
        path: path.to_path_buf(),
        problem: format!("{problem}. {advice}"),
    }
}

pub(super) const NEW_STORE_ADVICE: &str = "Nothing was changed. If this is the right path and you want a new, empty outbox there, start with --new-store (the file is renamed aside, not deleted); otherwise point --outbox at the outbox file";
pub(super) const SALVAGE_ADVICE: &str = "Events that were acknowledged may be damaged, so the service does not start on it. Stop the service and run `webhook outbox --outbox <this file> salvage <new file>` to copy every readable event into a new store, then start with --outbox <new file> (or start with --new-store to set this file aside and begin empty)";

/// A file's contents replayed.
pub(super) struct Replayed {
    pub(super) state: State,
    pub(super) end: u64,
    pub(super) torn: Option<u64>,
}

pub(super) fn replay(
    path: &Path,
    file: Option<Arc<File>>,
    bytes: &[u8],
) -> Result<Replayed, OutboxError> {
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
