//! A [`Trace`] and its events: what an executor recorded.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).

use std::fmt;
use std::time::Duration;

use crate::base::id::TaskId;

/// What an executor recorded: a list of [`Event`]s, oldest first.
///
/// Get one with [`Executor::take_trace`](crate::Executor::take_trace); draw it with [`Trace::timeline`],
/// [`Trace::to_svg`] or [`Trace::to_chrome_json`].
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// When recording started, on the executor's clock (time since the
    /// executor was created). Pictures start their time axis here.
    pub start: Duration,
    /// When the trace was taken: the end of the pictures' time axis.
    pub end: Duration,
    /// What happened, oldest first.
    pub events: Vec<Event>,
}

/// One thing the executor did, and when (on its own clock, as time since the
/// executor was created: a simulated executor starts at zero).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When it happened. For [`What::Polled`]: when the poll started.
    pub at: Duration,
    /// What happened.
    pub what: What,
}

/// What an [`Event`] records.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum What {
    /// A task was spawned (or `block_on` started polling its future, which is
    /// named `main`).
    Spawned {
        /// The new task.
        task: TaskId,
        /// Its name: the one given to `spawn_named`, else `task-N`.
        name: String,
        /// The task that spawned it, if one was being polled.
        by: Option<TaskId>,
    },
    /// A task was polled once.
    Polled {
        /// The task.
        task: TaskId,
        /// How long the poll took on the executor's clock (always zero on a
        /// simulated clock: time stands still while a task runs).
        took: Duration,
        /// How long it took on the real clock: the time it held the thread.
        real: Duration,
        /// What the poll returned.
        result: PollResult,
    },
    /// A task was woken: its key went into the waker queue.
    Woken {
        /// The task.
        task: TaskId,
        /// Who woke it.
        by: WakeSource,
    },
    /// A `Sleep` put a timer into the wheel.
    TimerRegistered {
        /// A number for this timer, unique within the trace.
        timer: u64,
        /// The task that was being polled (the one the timer will wake).
        by: Option<TaskId>,
        /// When it is due, on the same clock as [`Event::at`].
        deadline: Duration,
    },
    /// A timer was taken out of the wheel before it fired (its `Sleep` was
    /// dropped: a `timeout` or `select` that another branch won).
    TimerCancelled {
        /// The timer's number.
        timer: u64,
    },
    /// The timer step fired this many due timers.
    TimersFired {
        /// How many.
        count: usize,
    },
    /// A task is over.
    Finished {
        /// The task.
        task: TaskId,
        /// How it ended.
        how: Ending,
    },
    /// A warning (the same text went to stderr).
    Warning {
        /// The task it is about, if any.
        task: Option<TaskId>,
        /// The whole message.
        message: String,
    },
}

/// What a poll returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollResult {
    /// `Poll::Pending`: the task waits for a wake.
    Pending,
    /// `Poll::Ready`: the task is done.
    Ready,
    /// The poll panicked (the executor caught it).
    Panicked,
}

/// Who woke a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeSource {
    /// A task, while it was being polled (a `JoinHandle` it completed, a
    /// `yield_now`, a channel it sent on...).
    Task(TaskId),
    /// The timer step: a `Sleep`'s deadline passed.
    Timer,
    /// Something outside this executor's loop: another thread, or this
    /// thread outside `block_on`. The wake came through the channel.
    Outside,
    /// The executor itself, while shutting down (a cancelled task wakes its
    /// awaiter).
    Executor,
}

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Its future returned `Ready`.
    Completed,
    /// Its future panicked.
    Panicked,
    /// It was aborted, or its executor was dropped.
    Cancelled,
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ending::Completed => "done",
            Ending::Panicked => "panicked",
            Ending::Cancelled => "cancelled",
        })
    }
}
