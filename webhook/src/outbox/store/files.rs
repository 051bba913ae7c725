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

/// [`write_new`] syncs after each piece this long.
const SYNC_PIECE: usize = 1 << 20;
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

/// Writes `bytes` to `path` + `.new` and syncs it (locked: nobody else knows
/// the file yet); [`put_in_place`] then renames it over `path`. A big file
/// (a compaction's) is synced every [`SYNC_PIECE`], so the log's commits,
/// syncing meanwhile, never queue behind all of it at once (one did behind
/// 20 MB: 107 ms).
pub(super) fn write_new(path: &Path, bytes: &[u8]) -> Result<File, OutboxError> {
    let tmp = sibling(path, ".new");
    let written = (|| {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        let mut at = 0;
        for piece in bytes.chunks(SYNC_PIECE) {
            file.write_all_at(piece, at)?;
            file.sync_data()?;
            at += piece.len() as u64;
        }
        if bytes.is_empty() {
            file.sync_data()?;
        }
        Ok::<File, io::Error>(file)
    })();
    match written {
        Ok(file) => {
            // Nobody else knows the temporary file: the lock is ours at once.
            let _ = file.try_lock();
            Ok(file)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(io_error(path, "write a new")(e))
        }
    }
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
