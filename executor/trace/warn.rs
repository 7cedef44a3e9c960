//! Warnings for the classic mistakes, and the deadlock check.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! Tokio and asyncio hang silently when a future forgets its waker; this
//! executor explains. Every message says what happened and what to do.
//!
//! | mistake | how it is seen | cost |
//! |---|---|---|
//! | a blocking poll | the real clock read around each poll | two clock readings per poll (~40 ns); on by default in debug builds only |
//! | a lost waker | after `Pending`: the task is not queued and its `Arc` count shows no waker clone | one atomic load per `Pending`; always on |
//! | a certain deadlock | the same for `block_on`'s future, after each of its polls and before parking; when no timer is left, a look at every task | one atomic load per park; the look at every task only when there is no timer |
//!
//! **Why the `Arc` count tells.** A waker is a counted reference to its task
//! (`waker.rs`). The executor holds a known number of references itself (the
//! task table, the `JoinHandle`, the poll in progress). Any reference beyond
//! those is a waker clone somewhere: in a timer, in another task's
//! `JoinHandle` awaiter slot, in a channel, on another thread. All of those
//! count as "someone may wake it". When there is none, and the task is not
//! queued, nothing can ever wake it: the waker is handed out only by a poll,
//! and no poll will come. The count is read before the `queued` flag, so a
//! clone woken and dropped on another thread in between is seen as "queued".

use std::sync::Arc;
use std::time::Duration;

use crate::context;
use crate::executor::Core;
use crate::queue::{TaskKey, MAIN_SLOT};
use crate::task::Header;

use super::recorder::Recorder;

/// How a warning names a task: `task `toast` (task-3)`.
fn describe(core: &Core, key: TaskKey) -> String {
    if key.slot == MAIN_SLOT {
        return format!("the future passed to block_on ({})", key.id);
    }
    let tasks = core.tasks.try_borrow();
    let task = tasks.as_ref().ok().and_then(|tasks| tasks.get(key.slot));
    match task.and_then(|task| task.name()) {
        Some(name) => format!("task `{name}` ({})", key.id),
        None => key.id.to_string(),
    }
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// A poll held the thread for `took`, longer than the threshold.
pub(crate) fn blocking_poll(recorder: &Recorder, key: TaskKey, took: Duration) {
    let who = context::with_core(|core| match core {
        Some(core) => describe(core, key),
        None => key.id.to_string(),
    });
    let limit = recorder.blocking_threshold().unwrap_or_default();
    recorder.warning(
        Some(key.id),
        format!(
            "busy-chef warning: {who} blocked the executor for {} in one poll (the limit \
             is {}). Every other task and every timer waited that long. A poll must not \
             block: await `busy_chef::time::sleep(..)` instead of calling \
             `std::thread::sleep`, and move heavy computation to a thread (or break it \
             up with `busy_chef::yield_now().await`). Set the limit with \
             `Executor::warn_blocking_polls` or BUSY_CHEF_WARN_BLOCKING=<ms>|off.",
            millis(took),
            millis(limit),
        ),
    );
}

/// A spawned task returned `Pending`, is not queued, and has no waker clone.
pub(crate) fn lost_waker(core: &Core, key: TaskKey) {
    let who = describe(core, key);
    core.trace.warning(
        Some(key.id),
        format!(
            "busy-chef warning: {who} returned Pending, but no clone of its waker exists \
             (no timer, no other task, no thread holds one), so nothing can ever wake it: \
             it will never be polled again. Before a future returns Pending it must make \
             sure it will be woken: keep `cx.waker().clone()` where the event it waits for \
             will find it (or call `cx.waker().wake_by_ref()` to be polled again soon). \
             Only `JoinHandle::abort` or dropping the executor can end this task now."
        ),
    );
}

const HOW_TO_FIX: &str = "Before a future returns Pending it must make sure it will be woken: \
    keep `cx.waker().clone()` where the event it waits for will find it (a timer, a \
    channel, another thread), or call `cx.waker().wake_by_ref()` to be polled again soon. \
    Run with BUSY_CHEF_TRACE=1 to see the timeline of what happened before.";

/// `block_on`, after its future returned `Pending`: a certain deadlock if
/// nothing can wake it.
pub(crate) fn check_main_after_poll(main: &Arc<Header>) {
    // `main` itself and `block_on`'s own waker: two references.
    if main.is_stranded(Arc::strong_count(main), 2) {
        panic!(
            "busy-chef: deadlock: the future passed to block_on ({}) returned Pending, but \
             no clone of its waker exists (no timer, no task, no thread holds one), so \
             nothing can ever wake it and block_on would wait forever. {HOW_TO_FIX}",
            main.id
        );
    }
}

/// `block_on`, before parking: is there anything left that could wake the
/// main future? If its waker is gone, panic rather than hang. O(1): this runs
/// every time the executor runs out of work.
pub(crate) fn check_before_park(main: &Arc<Header>) {
    if main.is_stranded(Arc::strong_count(main), 2) {
        panic!(
            "busy-chef: deadlock: nothing is left that could wake the future passed to \
             block_on ({}): the last clone of its waker was dropped without waking it, so \
             block_on would wait forever. {HOW_TO_FIX}",
            main.id
        );
    }
}

/// The executor has waited a while with no timer set for a wake that only
/// another thread could send (`Core::wait_for_another_thread`). Can one
/// still come? If every task, and the main future, is stuck, panic rather
/// than hang. This walks every task, so it runs only after such a wait, never
/// on the hot path.
pub(crate) fn check_while_idle(core: &Core, main: &Arc<Header>) {
    check_before_park(main);
    if !core.timers.borrow().is_empty() || !core.queues.channel_is_empty() {
        return; // a timer will fire, or a wake is on its way
    }
    // No timer and nothing queued: only a wake from another thread could
    // help. If every clone of the main waker sits in the awaiter slot of a
    // task that nothing can wake either, none will come.
    if let Some(stuck) = stuck_awaited_tasks(core, main) {
        let stuck: Vec<String> = stuck.into_iter().map(|key| describe(core, key)).collect();
        panic!(
            "busy-chef: deadlock: nothing is left that could wake anything. No task is \
             ready, no timer is set, and the future passed to block_on ({}) awaits {}, \
             which returned Pending with no clone of its waker anywhere. {HOW_TO_FIX}",
            main.id,
            stuck.join(" and ")
        );
    }
}

/// When every task is stuck and the main future's waker clones all sit in
/// the awaiter slots of stuck tasks: those tasks (the ones main awaits).
///
/// "Stuck" is the largest set of tasks such that each is not queued and has
/// no waker clone except in the awaiter slots of stuck tasks (a circle of
/// tasks awaiting each other is stuck as a whole). A clone anywhere else (a
/// channel, another thread, a `join_all` child waker) counts as live.
fn stuck_awaited_tasks(core: &Core, main: &Arc<Header>) -> Option<Vec<TaskKey>> {
    let tasks = core.tasks.try_borrow().ok()?;
    // (key, strong count, the waker data of its awaiter, its own data pointer)
    let all: Vec<_> = tasks
        .iter()
        .map(|task| {
            let data = Arc::as_ptr(task).cast::<()>();
            (task, Arc::strong_count(task), task.awaiter_data(), data)
        })
        .collect();
    let mut stuck = vec![true; all.len()];
    // Clones of `data` held by the awaiter slots of tasks still thought stuck.
    let dead_clones = |stuck: &[bool], data: *const ()| {
        let held = all
            .iter()
            .zip(stuck)
            .filter(|((.., awaiter, _), s)| **s && *awaiter == Some(data));
        held.count()
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
    if !main.is_stranded(Arc::strong_count(main), 2 + awaited) {
        return None;
    }
    let keys = all
        .iter()
        .filter(|(.., awaiter, _)| *awaiter == Some(main_data))
        .map(|(task, ..)| task.header().key());
    Some(keys.collect())
}
