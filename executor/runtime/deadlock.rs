//! Lost wakers and certain deadlocks: `block_on` panics with an
//! explanation instead of hanging.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`). Why a reference
//! count tells that nothing can wake a task: `diagnostics/deadlock.rs`.

use std::sync::Arc;

use crate::diagnostics::deadlock::{all_stuck, TaskFacts};
use crate::diagnostics::warnings::Warnings;

use super::core::{Core, Entry};
use super::task::Header;

/// `block_on`'s own waker, and the `Arc` that `block_on` keeps: the
/// references to its header that are not waker clones.
const MAIN_OWNERS: usize = 2;

/// After `block_on`'s future returned `Pending`: panics if nothing can wake it.
pub(crate) fn check_main_after_poll(main: &Arc<Header>) {
    if main.state.is_stranded(Arc::strong_count(main), MAIN_OWNERS) {
        panic!("{}", Warnings::deadlock_after_poll(main.id));
    }
}

/// Before parking: is anything left that could wake `block_on`'s future?
pub(crate) fn check_before_park(main: &Arc<Header>) {
    if main.state.is_stranded(Arc::strong_count(main), MAIN_OWNERS) {
        panic!("{}", Warnings::deadlock_before_park(main.id));
    }
}

/// After a while with no timer set, waiting for a wake only another thread
/// could send: can one still come? Walks every task, so it never runs on
/// the hot path.
pub(crate) fn check_while_idle(core: &Core, main: &Arc<Header>) {
    check_before_park(main);
    if !core.timers.is_empty() || !core.run_queue.channel_is_empty() {
        return; // a timer will fire, or a wake is on its way
    }
    let Ok(tasks) = core.tasks.try_borrow() else {
        return;
    };
    let facts: Vec<TaskFacts> = tasks
        .iter()
        .filter_map(|entry| match entry {
            Entry::Task(task) => Some(task.facts(Arc::strong_count(task))),
            Entry::BlockOn => None,
        })
        .collect();
    let references = Arc::strong_count(main);
    let main = TaskFacts {
        id: main.id,
        name: None,
        data: Arc::as_ptr(main).cast(),
        references,
        own: MAIN_OWNERS,
        queued: main.state.is_queued_after_count(),
        awaiter: None,
    };
    if let Some(message) = all_stuck(&main, &facts) {
        panic!("{message}");
    }
}
