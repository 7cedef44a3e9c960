//! Warnings for the classic mistakes: the messages, and how many are printed.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! A future that forgets its waker hangs asyncio without a word, and tokio
//! says nothing either unless tokio-console is attached; this executor
//! explains, always. Every message says what happened and what to do. The
//! runtime detects each mistake (`runtime/deadlock.rs`, and the poll hooks)
//! and hands the facts here; this file only words them.
//!
//! | mistake | how it is seen | cost |
//! |---|---|---|
//! | a blocking poll | the real clock read around each poll; not blamed while a debugger is attached (`base/debugger.rs`) | two clock readings per poll; on by default in debug builds only |
//! | a lost waker | after `Pending`: the task is not queued and its `Arc` count shows no waker clone | one atomic load per `Pending`; always on |
//! | a certain deadlock | the same for `block_on`'s future, after each of its polls and before parking; when no timer is left, a look at every task | one atomic load per park; the look at every task only when there is no timer |
//!

use std::cell::Cell;
use std::time::Duration;

use crate::base::id::TaskId;

/// How many warnings one executor prints to stderr. A bug that strands
/// 100,000 tasks would otherwise print 100,000 identical paragraphs. Past
/// the limit, one line says so; the trace still records every warning.
pub(crate) const PRINTED_WARNINGS: usize = 10;

/// The printing side of the warnings: counts what was printed.
#[derive(Default)]
pub(crate) struct Warnings {
    printed: Cell<usize>,
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

const HOW_TO_FIX: &str = "Before a future returns Pending it must make sure it will be woken: \
    keep `cx.waker().clone()` where the event it waits for will find it (a timer, a \
    channel, another thread), or call `cx.waker().wake_by_ref()` to be polled again soon. \
    Run with BUSY_CHEF_TRACE=1 to see the timeline of what happened before.";

impl Warnings {
    /// Prints `message` to stderr, unless this executor has printed
    /// [`PRINTED_WARNINGS`] already.
    pub(crate) fn print(&self, message: &str) {
        let printed = self.printed.get();
        if printed < PRINTED_WARNINGS {
            eprintln!("{message}");
        } else if printed == PRINTED_WARNINGS {
            eprintln!(
                "busy-chef: {PRINTED_WARNINGS} warnings printed; this executor prints no more. \
                 Run with BUSY_CHEF_TRACE=1 to see every warning in the trace."
            );
        }
        self.printed.set(printed.saturating_add(1));
    }

    /// How a warning names a task: `task `toast` (task-3)`.
    pub(crate) fn describe(task: TaskId, name: Option<&str>) -> String {
        match name {
            Some(name) => format!("task `{name}` ({task})"),
            None => task.to_string(),
        }
    }

    /// A poll held the thread for `took`, longer than `limit`.
    pub(crate) fn blocking_poll(who: &str, took: Duration, limit: Duration) -> String {
        format!(
            "busy-chef warning: {who} blocked the executor for {} in one poll (the limit \
             is {}). Every other task and every timer waited that long. A poll must not \
             block: await `busy_chef::time::sleep(..)` instead of calling \
             `std::thread::sleep`, and move heavy computation to a thread (or break it \
             up with `busy_chef::yield_now().await`). Set the limit with \
             `Executor::warn_blocking_polls` or BUSY_CHEF_WARN_BLOCKING=<ms>|off.",
            millis(took),
            millis(limit),
        )
    }

    /// A poll lasted `took`, over the limit, while a debugger is attached:
    /// most likely a pause at a breakpoint, so nobody is blamed.
    pub(crate) fn paused_by_debugger(who: &str, took: Duration) -> String {
        format!(
            "busy-chef: a poll of {who} lasted {} while a debugger is attached. A pause at \
             a breakpoint is not a blocking poll, so busy-chef does not warn about slow \
             polls while a debugger is attached. On the real clock, time went on during the \
             pause: timers that came due meanwhile fire together at the next turn, and \
             `Instant::now()` jumps ahead (a simulated clock does not move).",
            millis(took),
        )
    }

    /// A spawned task returned `Pending`, is not queued, and has no waker clone.
    pub(crate) fn lost_waker(who: &str) -> String {
        format!(
            "busy-chef warning: {who} returned Pending, but no clone of its waker exists \
             (no timer, no other task, no thread holds one), so nothing can ever wake it: \
             it will never be polled again. Before a future returns Pending it must make \
             sure it will be woken: keep `cx.waker().clone()` where the event it waits for \
             will find it (or call `cx.waker().wake_by_ref()` to be polled again soon). \
             Only `JoinHandle::abort` or dropping the executor can end this task now."
        )
    }

    /// `block_on`'s future returned `Pending` with no clone of its waker left.
    pub(crate) fn deadlock_after_poll(main: TaskId) -> String {
        format!(
            "busy-chef: deadlock: the future passed to block_on ({main}) returned Pending, but \
             no clone of its waker exists (no timer, no task, no thread holds one), so \
             nothing can ever wake it and block_on would wait forever. {HOW_TO_FIX}"
        )
    }

    /// The last clone of `block_on`'s waker was dropped without waking it.
    pub(crate) fn deadlock_before_park(main: TaskId) -> String {
        format!(
            "busy-chef: deadlock: nothing is left that could wake the future passed to \
             block_on ({main}): the last clone of its waker was dropped without waking it, so \
             block_on would wait forever. {HOW_TO_FIX}"
        )
    }

    /// Every task is stuck, and `block_on`'s future awaits the `stuck` ones.
    pub(crate) fn deadlock_all_stuck(main: TaskId, stuck: &[String]) -> String {
        format!(
            "busy-chef: deadlock: nothing is left that could wake anything. No task is \
             ready, no timer is set, and the future passed to block_on ({main}) awaits {}, \
             which returned Pending with no clone of its waker anywhere. {HOW_TO_FIX}",
            stuck.join(" and ")
        )
    }
}
