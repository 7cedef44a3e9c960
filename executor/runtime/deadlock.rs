//! Telling a task that can never be woken: lost wakers and certain
//! deadlocks.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! **Why the reference count tells.** A waker is a counted reference to its
//! task (`task/header.rs`). The executor holds a known number of references
//! itself (the task table, the `JoinHandle`, `block_on`'s own waker). Any
//! reference beyond those is a waker clone somewhere: in a timer, in
//! another task's awaiter slot, in a channel, on another thread. All of
//! those count as "someone may wake it". When there is none, and the task is
//! not queued, nothing can ever wake it: a waker is handed out only by a
//! poll, and no poll will come.
//!
//! A spawned task in that state gets a warning (the loop calls
//! `Hooks::lost_waker`); `block_on`'s own future in that state is a certain
//! deadlock, and `block_on` panics with an explanation instead of hanging.

use std::sync::Arc;

use crate::diagnostics::warnings::Warnings;

use super::core::{Core, Entry};
use super::task::Header;

/// `block_on`'s own waker, and the `Arc` that `block_on` keeps: the
/// references to the main header that are not waker clones.
const MAIN_OWNERS: usize = 2;

/// After `block_on`'s future returned `Pending`: panics if nothing can wake it.
pub(crate) fn check_main_after_poll(main: &Arc<Header>) {
    if main.state.is_stranded(Arc::strong_count(main), MAIN_OWNERS) {
        panic!("{}", Warnings::deadlock_after_poll(main.id));
    }
}

/// Before parking: is there anything left that could wake `block_on`'s
/// future? O(1): this runs every time the executor runs out of work.
pub(crate) fn check_before_park(main: &Arc<Header>) {
    if main.state.is_stranded(Arc::strong_count(main), MAIN_OWNERS) {
        panic!("{}", Warnings::deadlock_before_park(main.id));
    }
}

/// The executor has waited a while, with no timer set, for a wake that only
/// another thread could send. Can one still come? If every task, and the
/// main future, is stuck, panic rather than hang. This walks every task, so
/// it runs only after such a wait, never on the hot path.
pub(crate) fn check_while_idle(core: &Core, main: &Arc<Header>) {
    check_before_park(main);
    if !core.timers.is_empty() || !core.run_queue.channel_is_empty() {
        return; // a timer will fire, or a wake is on its way
    }
    if let Some(stuck) = stuck_awaited_tasks(core, main) {
        panic!("{}", Warnings::deadlock_all_stuck(main.id, &stuck));
    }
}

/// When every task is stuck and the main future's waker clones all sit in
/// the awaiter slots of stuck tasks: those tasks (the ones main awaits),
/// described for the message.
///
/// "Stuck" is the largest set of tasks such that each is not queued and has
/// no waker clone except in the awaiter slots of stuck tasks (a circle of
/// tasks awaiting each other is stuck as a whole). A clone anywhere else (a
/// channel, another thread, a `join_all` child waker) counts as live.
fn stuck_awaited_tasks(core: &Core, main: &Arc<Header>) -> Option<Vec<String>> {
    let tasks = core.tasks.try_borrow().ok()?;
    // (task, its reference count, the data pointer of its awaiter's waker,
    // its own data pointer)
    let all: Vec<_> = tasks
        .iter()
        .filter_map(|(_, entry)| match entry {
            Entry::Task(task) => Some(task),
            Entry::BlockOn => None,
        })
        .map(|task| {
            let data = Arc::as_ptr(task).cast::<()>();
            (task, Arc::strong_count(task), task.awaiter_data(), data)
        })
        .collect();
    let mut stuck = vec![true; all.len()];
    // Clones of `data` held by the awaiter slots of tasks still thought stuck.
    let dead_clones = |stuck: &[bool], data: *const ()| {
        all.iter()
            .zip(stuck)
            .filter(|((.., awaiter, _), s)| **s && *awaiter == Some(data))
            .count()
    };
    loop {
        let mut changed = false;
        for i in 0..all.len() {
            let (task, count, _, data) = all[i];
            // Owners: the task table, plus the clones that can never fire.
            if stuck[i] && !task.is_stranded(count, 1 + dead_clones(&stuck, data)) {
                stuck[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if stuck.iter().any(|s| !s) {
        return None; // some task may still be woken (by another thread)
    }
    let main_data = Arc::as_ptr(main).cast::<()>();
    let awaited = dead_clones(&stuck, main_data);
    if !main
        .state
        .is_stranded(Arc::strong_count(main), MAIN_OWNERS + awaited)
    {
        return None;
    }
    let awaited = all
        .iter()
        .filter(|(.., awaiter, _)| *awaiter == Some(main_data))
        .map(|(task, ..)| Warnings::describe(task.id(), task.name()));
    Some(awaited.collect())
}
