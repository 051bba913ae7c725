//! Locking that survives a panic elsewhere.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, also when another thread panicked while holding it: every
/// mutex in this crate guards data that stays consistent between statements
/// (counters, byte buffers, file handles, recorded calls), so a poisoned
/// lock only says a panic happened, not that the data is broken.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
