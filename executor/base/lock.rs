//! `lock`: a mutex lock that carries on after a panic.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning. A panic while the lock was held (in a
/// waker, in a user's closure) leaves plain data behind, which is still
/// consistent for every caller here: each critical section is a single push,
/// take or swap. The executor must carry on after a caught panic, so it does
/// not pass the poison on.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
