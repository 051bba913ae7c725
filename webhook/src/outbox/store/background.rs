//! The store's background threads: compaction, zeros ahead of the log, and
//! freeing what a compaction dropped.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The nice value of a background thread. Under load the commits and the
/// connections keep both CPUs busy; a compaction encoding a million keys
/// at normal priority took its share of them for half a second and held
/// commits up to 27 ms.
const NICE: i32 = 10;

/// Starts `work` on a thread named `name`, at a lower CPU priority than the
/// rest of the service.
pub(super) fn spawn<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<JoinHandle<T>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            // The nice value is per thread on Linux. A thread that cannot lower
            // its priority does its work all the same.
            let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE);
            work()
        })
}

/// [`retire`] frees a replaced log this much at a time...
const SHRINK_STEP: u64 = 4 << 20;
/// ...with this pause in between.
const SHRINK_PAUSE: Duration = Duration::from_millis(10);

/// Frees a log a compaction replaced (renamed over: `log` and the handles
/// in `garbage` are the last ones on it) a few MiB at a time, on a
/// background thread, then drops `garbage`. Freed blocks are discarded on
/// disks mounted with `discard`: closing a 230 MB log at once queued that
/// much discarding ahead of the commits' syncs, which then took 50-100 ms
/// for 200 ms.
pub(super) fn retire(log: Arc<File>, garbage: impl Send + 'static) {
    drop_elsewhere(move || {
        if let Ok(meta) = log.metadata() {
            let mut len = meta.len();
            while len > 0 {
                len = len.saturating_sub(SHRINK_STEP);
                if log.set_len(len).is_err() {
                    break;
                }
                std::thread::sleep(SHRINK_PAUSE);
            }
        }
        drop(garbage);
    });
}

/// Runs `garbage` (which frees things) on a background thread: freeing
/// hundreds of thousands of delivered entries, or closing the last handle
/// on a replaced log (which frees its blocks on disk), held the writer tens
/// of milliseconds.
fn drop_elsewhere(garbage: impl FnOnce() + Send + 'static) {
    // If no thread can be started, the closure is dropped here, and the
    // garbage with it.
    let _ = spawn("outbox-free", garbage);
}
