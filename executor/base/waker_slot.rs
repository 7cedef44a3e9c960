//! `keep_latest`: where a future keeps the waker of its latest poll.

use std::task::Waker;

/// Stores `waker` in `slot`, the place where a future keeps the waker it
/// will wake. Only the latest poll's waker counts (the future may have moved
/// to another task since), but cloning it every poll would be waste when it
/// is the same waker as before: `Waker::clone_from` keeps the old one if it
/// `will_wake` the same task.
pub(crate) fn keep_latest(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(kept) => kept.clone_from(waker),
        None => *slot = Some(waker.clone()),
    }
}
