//! `Hooks`: the only part of diagnostics the runtime calls.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! The runtime calls one hook at each point worth seeing: a task was
//! spawned, a poll started and finished, a task was woken, a timer was
//! registered, cancelled or fired, a task was shut down. Each hook is told
//! everything it records (ids, names, results); it never asks the runtime
//! for anything.
//!
//! Every hook first tests a flag. Off (the default, but for the blocking-poll
//! check in debug builds), that test is all it does: no clock reading, no
//! allocation. The recording itself is a separate function, kept out of
//! line, so that the runtime's own code stays small.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use crate::base::clock::Clock;
use crate::base::debugger;
use crate::base::id::TaskId;
use crate::base::instant::Instant;
use crate::collections::wheel::TimerKey;

use super::event::{Ending, PollResult, Trace, WakeSource, What};
use super::recorder::{defaults, write_output, Output, Recorder};
use super::warnings::Warnings;

/// How a poll ended, as the runtime tells it to [`Hooks::poll_finished`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollEnd {
    /// `Pending`: the task waits for a wake.
    Pending,
    /// The future finished or panicked; the task is over.
    Over(Ending),
}

/// One executor's diagnostics (see the module docs).
pub(crate) struct Hooks {
    /// `tracing || blocking.is_some()`: the one flag the poll hooks test.
    active: Cell<bool>,
    /// Recording a trace?
    tracing: Cell<bool>,
    /// The blocking-poll threshold, if that check is on.
    blocking: Cell<Option<Duration>>,
    /// When the poll in progress started, on the real clock (the blocking
    /// check), and on the executor's clock (the trace).
    poll_start: Cell<(std::time::Instant, Duration)>,
    /// Who would be the source of a wake right now (tracing only).
    current: Cell<WakeSource>,
    /// The id of the future of the latest `block_on` (warnings name it).
    main: Cell<Option<TaskId>>,
    /// Said once that a debugger is attached, so slow polls are not blamed.
    debugger_noted: Cell<bool>,
    recorder: Recorder,
    warnings: Warnings,
    /// `BUSY_CHEF_TRACE`: where the trace goes when the executor is dropped.
    output: Option<Output>,
}

impl Hooks {
    pub(crate) fn new(clock: Rc<Clock>) -> Self {
        let defaults = defaults();
        let hooks = Hooks {
            active: Cell::new(defaults.blocking.is_some()),
            tracing: Cell::new(false),
            blocking: Cell::new(defaults.blocking),
            poll_start: Cell::new((std::time::Instant::now(), Duration::ZERO)),
            current: Cell::new(WakeSource::Executor),
            main: Cell::new(None),
            debugger_noted: Cell::new(false),
            recorder: Recorder::new(clock, defaults.output.is_some()),
            warnings: Warnings::default(),
            output: defaults.output.clone(),
        };
        if hooks.output.is_some() {
            hooks.enable_tracing();
        }
        hooks
    }

    // ----- switches ---------------------------------------------------------

    pub(crate) fn enable_tracing(&self) {
        if !self.tracing.replace(true) {
            self.recorder.start();
            self.active.set(true);
        }
    }

    pub(crate) fn is_tracing(&self) -> bool {
        self.tracing.get()
    }

    pub(crate) fn take_trace(&self) -> Trace {
        if self.tracing.get() {
            self.recorder.take()
        } else {
            Trace::default()
        }
    }

    pub(crate) fn set_blocking_threshold(&self, threshold: Option<Duration>) {
        self.blocking.set(threshold);
        self.active.set(self.tracing.get() || threshold.is_some());
    }

    // ----- hooks ------------------------------------------------------------

    /// A task was created (`name`: given to `spawn_named`).
    #[inline]
    pub(crate) fn spawned(&self, task: TaskId, name: Option<&str>) {
        if self.tracing.get() {
            self.record_spawned(task, name.map_or_else(|| task.to_string(), str::to_string));
        }
    }

    /// `block_on` starts: its future shows as a task named `main`.
    #[inline]
    pub(crate) fn block_on_started(&self, main: TaskId) {
        self.main.set(Some(main));
        if self.tracing.get() {
            self.record_spawned(main, "main".to_string());
        }
    }

    #[inline(never)]
    fn record_spawned(&self, task: TaskId, name: String) {
        let by = self.current_task();
        let spawned = What::Spawned { task, name, by };
        self.recorder.record(self.recorder.now(), spawned);
    }

    /// The executor is about to poll `task`.
    #[inline]
    pub(crate) fn poll_started(&self, task: TaskId) {
        if self.active.get() {
            self.start_poll(task);
        }
    }

    #[inline(never)]
    fn start_poll(&self, task: TaskId) {
        let at = if self.tracing.get() {
            self.current.set(WakeSource::Task(task));
            self.recorder.now()
        } else {
            Duration::ZERO
        };
        self.poll_start.set((std::time::Instant::now(), at));
    }

    /// The poll of `task` is over. `name` gives its name, if it has one,
    /// for a warning (asked only when one is due).
    #[inline]
    pub(crate) fn poll_finished(
        &self,
        task: TaskId,
        end: PollEnd,
        name: impl Fn() -> Option<String>,
    ) {
        if self.active.get() {
            self.finish_poll(task, end, &name);
        }
    }

    #[inline(never)]
    fn finish_poll(&self, task: TaskId, end: PollEnd, name: &dyn Fn() -> Option<String>) {
        let (real_start, at) = self.poll_start.get();
        let real = real_start.elapsed();
        if self.tracing.get() {
            self.current.set(WakeSource::Executor);
            let took = self.recorder.now().saturating_sub(at);
            let result = match end {
                PollEnd::Pending => Some(PollResult::Pending),
                PollEnd::Over(Ending::Completed) => Some(PollResult::Ready),
                PollEnd::Over(Ending::Panicked) => Some(PollResult::Panicked),
                // An aborted task is not polled: its future is only dropped.
                PollEnd::Over(Ending::Cancelled) => None,
            };
            if let Some(result) = result {
                let polled = What::Polled {
                    task,
                    took,
                    real,
                    result,
                };
                self.recorder.record(at, polled);
            }
            if let PollEnd::Over(how) = end {
                self.recorder
                    .record(at + took, What::Finished { task, how });
            }
        }
        if let Some(limit) = self.blocking.get().filter(|&limit| real > limit) {
            let who = self.describe(task, name().as_deref());
            if debugger::is_attached() {
                // Most likely a pause at a breakpoint, not the program's fault.
                if !self.debugger_noted.replace(true) {
                    self.warnings
                        .print(&Warnings::paused_by_debugger(&who, real));
                }
            } else {
                self.warning(Some(task), Warnings::blocking_poll(&who, real, limit));
            }
        }
    }

    /// A wake on the executor's own thread (a task, or a timer).
    #[inline]
    pub(crate) fn woken(&self, task: TaskId) {
        if self.tracing.get() {
            let by = self.current.get();
            self.recorder
                .record(self.recorder.now(), What::Woken { task, by });
        }
    }

    /// A wake that came through the channel: from another thread, or from
    /// this one while no executor was running.
    #[inline]
    pub(crate) fn woken_outside(&self, task: TaskId) {
        if self.tracing.get() {
            let by = WakeSource::Outside;
            self.recorder
                .record(self.recorder.now(), What::Woken { task, by });
        }
    }

    /// A `Sleep` put a timer into the wheel.
    #[inline]
    pub(crate) fn timer_registered(&self, key: TimerKey, deadline: Instant) {
        if self.tracing.get() {
            let deadline = self.recorder.since_origin(deadline);
            let timer = self.recorder.timer_registered(key, deadline);
            let by = self.current_task();
            let registered = What::TimerRegistered {
                timer,
                by,
                deadline,
            };
            self.recorder.record(self.recorder.now(), registered);
        }
    }

    /// A timer left the wheel before it fired.
    #[inline]
    pub(crate) fn timer_cancelled(&self, key: TimerKey) {
        if self.tracing.get() {
            if let Some(timer) = self.recorder.timer_cancelled(key) {
                let cancelled = What::TimerCancelled { timer };
                self.recorder.record(self.recorder.now(), cancelled);
            }
        }
    }

    /// The timer step found `count` timers due; their wakes follow.
    #[inline]
    pub(crate) fn timers_fired(&self, count: usize) {
        if self.tracing.get() && count > 0 {
            let now = self.recorder.now();
            self.current.set(WakeSource::Timer);
            self.recorder.timers_fired(now);
            self.recorder.record(now, What::TimersFired { count });
        }
    }

    /// The executor is being dropped and cancels `task`.
    #[inline]
    pub(crate) fn shut_down(&self, task: TaskId) {
        if self.tracing.get() {
            self.current.set(WakeSource::Executor);
            let how = Ending::Cancelled;
            self.recorder
                .record(self.recorder.now(), What::Finished { task, how });
        }
    }

    /// `task` returned `Pending`, and nothing can ever wake it.
    pub(crate) fn lost_waker(&self, task: TaskId, name: Option<&str>) {
        let who = self.describe(task, name);
        self.warning(Some(task), Warnings::lost_waker(&who));
    }

    /// A warning: to stderr (the first few), and into the trace.
    pub(crate) fn warning(&self, task: Option<TaskId>, message: String) {
        self.warnings.print(&message);
        if self.tracing.get() {
            let warning = What::Warning { task, message };
            self.recorder.record(self.recorder.now(), warning);
        }
    }

    /// The executor is dropped: with `BUSY_CHEF_TRACE` set, show everything
    /// recorded since the executor was created (it started recording then),
    /// including what the program took with `take_trace`.
    pub(crate) fn finish(&self) {
        let Some(output) = &self.output else { return };
        let trace = self.recorder.whole_run();
        if !trace.events.is_empty() {
            write_output(output, &trace);
        }
    }

    fn describe(&self, task: TaskId, name: Option<&str>) -> String {
        if self.main.get() == Some(task) {
            format!("the future passed to block_on ({task})")
        } else {
            Warnings::describe(task, name)
        }
    }

    fn current_task(&self) -> Option<TaskId> {
        match self.current.get() {
            WakeSource::Task(id) => Some(id),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("tracing", &self.tracing.get())
            .field("events", &self.recorder.events_len())
            .field("blocking_threshold", &self.blocking.get())
            .finish()
    }
}
