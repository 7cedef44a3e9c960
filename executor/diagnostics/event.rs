//! A [`Trace`] and its events: what an executor recorded.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::base::id::TaskId;
use crate::collections::wheel::Place;

/// What an executor recorded: a list of [`Event`]s, oldest first.
///
/// Get one with [`Executor::take_trace`](crate::Executor::take_trace); draw it with [`Trace::timeline`],
/// [`Trace::to_svg`] or [`Trace::to_chrome_json`].
///
/// ```
/// use std::time::Duration;
/// use busy_chef::{time::sleep, trace::Trace};
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// exec.block_on(async { sleep(Duration::from_secs(2)).await });
/// let trace: Trace = exec.take_trace();
/// assert_eq!((trace.start, trace.end), (Duration::ZERO, Duration::from_secs(2)));
/// assert!(!trace.events.is_empty());
/// assert!(exec.take_trace().events.is_empty(), "a fresh recording after each take");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// When recording started, on the executor's clock (time since the
    /// executor was created). Pictures start their time axis here.
    pub start: Duration,
    /// When the trace was taken: the end of the pictures' time axis.
    pub end: Duration,
    /// What happened, oldest first.
    pub events: Vec<Event>,
    /// Recorded on a simulated clock (`Executor::simulated`): time stood
    /// still during every poll, and the real durations of the polls are
    /// noise that changes from run to run.
    pub simulated: bool,
}

/// One thing the executor did, and when (on its own clock, as time since the
/// executor was created: a simulated executor starts at zero).
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::sleep;
/// use busy_chef::trace::{Event, PollResult, What};
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// let eggs = exec.spawn(async { sleep(Duration::from_secs(2)).await });
/// let id = eggs.id();
/// exec.block_on(eggs).unwrap();
/// let trace = exec.take_trace();
/// let last_poll: &Event = trace
///     .events
///     .iter()
///     .filter(|event| matches!(event.what, What::Polled { task, .. } if task == id))
///     .last()
///     .unwrap();
/// assert_eq!(last_poll.at, Duration::from_secs(2));
/// assert!(matches!(last_poll.what, What::Polled { result: PollResult::Ready, .. }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When it happened. For [`What::Polled`]: when the poll started.
    pub at: Duration,
    /// What happened.
    pub what: What,
}

/// What an [`Event`] records.
///
/// ```
/// use busy_chef::trace::What;
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// exec.block_on(async { busy_chef::spawn_named("eggs", async {}).await.unwrap() });
/// let spawned: Vec<(String, bool)> = exec
///     .take_trace()
///     .events
///     .into_iter()
///     .filter_map(|event| match event.what {
///         What::Spawned { name, by, .. } => Some((name, by.is_some())),
///         _ => None,
///     })
///     .collect();
/// // `block_on`'s future is `main`; it spawned `eggs`.
/// assert_eq!(spawned, [("main".to_string(), false), ("eggs".to_string(), true)]);
/// ```
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
    /// A turn of the executor loop begins: ① take in the wakes that came
    /// through the channel. Turns are counted from 1, per executor.
    Turn {
        /// Which turn.
        number: u64,
    },
    /// A task's key joined the run queue (after its [`What::Spawned`] or
    /// its [`What::Woken`]).
    Queued {
        /// The task.
        task: TaskId,
        /// Through which door.
        door: Door,
    },
    /// ② The loop took the key at the front of the run queue, to poll its
    /// task. `None`: a stale key, whose task is over; it is skipped.
    Dequeued {
        /// The task about to be polled.
        task: Option<TaskId>,
    },
    /// Where the wheel put a new timer (right after its
    /// [`What::TimerRegistered`]).
    TimerPlaced {
        /// The timer's number.
        timer: u64,
        /// Its level and slot, or the overflow map.
        place: Place,
    },
    /// The source line that set a timer: the `.await` on a `sleep` (or on a
    /// `timeout`), or the call that polled the `Sleep`.
    TimerAwaited {
        /// The timer's number.
        timer: u64,
        /// Where in the program.
        location: &'static Location<'static>,
    },
    /// ③ The timer step: the wheel's time moved forward to `to`. The
    /// cascades ([`What::TimerMoved`]) and fires ([`What::TimerFired`]) it
    /// caused follow.
    TimersAdvanced {
        /// The wheel's time now (whole milliseconds of the clock).
        to: Duration,
    },
    /// A cascade: the wheel moved a timer down, to a finer slot.
    TimerMoved {
        /// The timer's number.
        timer: u64,
        /// Where it was.
        from: Place,
        /// Where it is now.
        to: Place,
    },
    /// A timer fired: it left the wheel, and its waker is being woken (the
    /// wakes that makes follow).
    TimerFired {
        /// The timer's number.
        timer: u64,
        /// Where it was.
        from: Place,
    },
    /// ④ Nothing is queued: the executor parks until the next timer's
    /// deadline (`until`), or, if there is none, until another thread wakes
    /// a task.
    Parked {
        /// The next timer's deadline, if any.
        until: Option<Duration>,
        /// A simulated clock: time jumps to `until` instead of passing.
        jumps: bool,
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
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::sleep;
/// use busy_chef::trace::{PollResult, What};
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// let eggs = exec.spawn(async { sleep(Duration::from_secs(2)).await });
/// let id = eggs.id();
/// exec.block_on(eggs).unwrap();
/// let results: Vec<PollResult> = exec
///     .take_trace()
///     .events
///     .into_iter()
///     .filter_map(|event| match event.what {
///         What::Polled { task, result, .. } if task == id => Some(result),
///         _ => None,
///     })
///     .collect();
/// // The first poll sets the timer; the second comes after it fired.
/// assert_eq!(results, [PollResult::Pending, PollResult::Ready]);
/// ```
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
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::sleep;
/// use busy_chef::trace::{WakeSource, What};
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// let eggs = exec.spawn(async { sleep(Duration::from_secs(2)).await });
/// let id = eggs.id();
/// exec.block_on(eggs).unwrap();
/// let wakes: Vec<WakeSource> = exec
///     .take_trace()
///     .events
///     .into_iter()
///     .filter_map(|event| match event.what {
///         What::Woken { by, .. } => Some(by),
///         _ => None,
///     })
///     .collect();
/// // The timer woke `eggs`; `eggs`, finishing, woke `block_on`'s future.
/// assert_eq!(wakes, [WakeSource::Timer, WakeSource::Task(id)]);
/// ```
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

/// Which door of the run queue a key came through (book chapter *Tasks and
/// the waker queue*).
///
/// ```
/// use busy_chef::trace::{Door, What};
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// exec.block_on(async {
///     busy_chef::yield_now().await; // wakes itself, on this thread
///     let waker = std::future::poll_fn(|cx| std::task::Poll::Ready(cx.waker().clone())).await;
///     std::thread::spawn(move || waker.wake()).join().unwrap(); // from another thread
///     busy_chef::yield_now().await; // queued already: no second key
/// });
/// let doors: Vec<Door> = exec
///     .take_trace()
///     .events
///     .into_iter()
///     .filter_map(|event| match event.what {
///         What::Queued { door, .. } => Some(door),
///         _ => None,
///     })
///     .collect();
/// // block_on queues its future; yield_now's wake; the other thread's.
/// assert_eq!(doors, [Door::Local, Door::Local, Door::Channel]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    /// Pushed on the executor's own thread: a spawn, or a wake by a task, a
    /// timer or the executor.
    Local,
    /// A wake from another thread (or from outside `block_on`), sent through
    /// the channel and moved into the local queue now.
    Channel,
}

/// How a task ended. Shown as `done`, `panicked` or `cancelled`.
///
/// ```
/// use busy_chef::trace::{Ending, What};
///
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// let burnt = exec.spawn(async { panic!("burnt toast") });
/// let id = burnt.id();
/// assert!(exec.block_on(burnt).is_err());
/// let how = exec.take_trace().events.into_iter().find_map(|event| match event.what {
///     What::Finished { task, how } if task == id => Some(how),
///     _ => None,
/// });
/// assert_eq!(how, Some(Ending::Panicked));
/// assert_eq!(Ending::Panicked.to_string(), "panicked");
/// ```
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
