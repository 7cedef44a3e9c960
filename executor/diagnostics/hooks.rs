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

use std::cell::{Cell, RefCell, RefMut};
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::base::clock::Clock;
use crate::base::debugger;
use crate::base::id::TaskId;
use crate::base::instant::Instant;
use crate::collections::wheel::{Moved, Place, Tick, TimerKey, Wheel};

use super::event::{Door, Ending, PollResult, Trace, WakeSource, What};
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
    /// Turns of the loop so far (tracing only).
    turns: Cell<u64>,
    /// What the wheel did in the latest timer step (tracing only): filled
    /// by the wheel, then its fires are told one by one (`timer_fires`).
    moves: RefCell<Vec<Moved>>,
    /// Where in `moves` to look for the next fire to tell.
    next_fire: Cell<usize>,
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
            turns: Cell::new(0),
            moves: RefCell::new(Vec::new()),
            next_fire: Cell::new(0),
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

    /// The executor is about to poll `task` (asked only if a hook is on).
    #[inline]
    pub(crate) fn poll_started(&self, task: impl FnOnce() -> TaskId) {
        if self.active.get() {
            self.start_poll(task());
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
        task: impl FnOnce() -> TaskId,
        end: PollEnd,
        name: impl Fn() -> Option<String>,
    ) {
        if self.active.get() {
            self.finish_poll(task(), end, &name);
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

    /// A turn of the loop begins.
    #[inline]
    pub(crate) fn turn_started(&self) {
        if self.tracing.get() {
            self.turns.set(self.turns.get() + 1);
            let number = self.turns.get();
            self.record_now(What::Turn { number });
        }
    }

    /// Records `what` at the executor's time now. Out of line, so that a
    /// hook inlined into the loop or a wake stays a test of a flag there.
    #[inline(never)]
    fn record_now(&self, what: What) {
        self.recorder.record(self.recorder.now(), what);
    }

    /// A spawn (or `block_on`) pushed `task`'s key on the local queue.
    #[inline]
    pub(crate) fn queued(&self, task: TaskId) {
        if self.tracing.get() {
            self.record_queued(task, Door::Local);
        }
    }

    fn record_queued(&self, task: TaskId, door: Door) {
        self.record_now(What::Queued { task, door });
    }

    /// The loop popped a key; `task` tells whose (`None`: a stale key).
    #[inline]
    pub(crate) fn dequeued(&self, task: impl FnOnce() -> Option<TaskId>) {
        if self.tracing.get() {
            self.record_now(What::Dequeued { task: task() });
        }
    }

    /// A wake on the executor's own thread (a task, or a timer), which
    /// pushed the task's key on the local queue.
    #[inline]
    pub(crate) fn woken(&self, task: TaskId) {
        if self.tracing.get() {
            self.record_woken(task, self.current.get(), Door::Local);
        }
    }

    /// A wake that came through the channel (from another thread, or from
    /// this one while no executor was running), now moved into the local
    /// queue.
    #[inline]
    pub(crate) fn woken_outside(&self, task: TaskId) {
        if self.tracing.get() {
            self.record_woken(task, WakeSource::Outside, Door::Channel);
        }
    }

    fn record_woken(&self, task: TaskId, by: WakeSource, door: Door) {
        self.record_now(What::Woken { task, by });
        self.record_queued(task, door);
    }

    /// A `Sleep` put a timer into `wheel` (which is asked where, if tracing).
    #[inline]
    pub(crate) fn timer_registered(
        &self,
        key: TimerKey,
        deadline: Instant,
        wheel: &RefCell<Wheel>,
    ) {
        if self.tracing.get() {
            self.record_timer(key, deadline, wheel.borrow().place_of(key));
        }
    }

    #[inline(never)]
    fn record_timer(&self, key: TimerKey, deadline: Instant, place: Option<Place>) {
        let deadline = self.recorder.since_origin(deadline);
        let timer = self.recorder.timer_registered(key);
        let by = self.current_task();
        let registered = What::TimerRegistered {
            timer,
            by,
            deadline,
        };
        let now = self.recorder.now();
        self.recorder.record(now, registered);
        if let Some(place) = place {
            self.recorder
                .record(now, What::TimerPlaced { timer, place });
        }
    }

    /// The timer `key` was set by the `.await` (or the poll) at `location`.
    #[inline]
    pub(crate) fn timer_awaited(&self, key: TimerKey, location: &'static Location<'static>) {
        if self.tracing.get() {
            if let Some(timer) = self.recorder.timer_number(key) {
                let awaited = What::TimerAwaited { timer, location };
                self.recorder.record(self.recorder.now(), awaited);
            }
        }
    }

    /// A timer left the wheel before it fired.
    #[inline]
    pub(crate) fn timer_cancelled(&self, key: TimerKey) {
        if self.tracing.get() {
            if let Some(timer) = self.recorder.timer_gone(key) {
                let cancelled = What::TimerCancelled { timer };
                self.recorder.record(self.recorder.now(), cancelled);
            }
        }
    }

    /// Where the wheel should tell what it does in this timer step: a list
    /// while tracing, else nothing (the wheel then tells nothing).
    #[inline]
    pub(crate) fn wheel_moves(&self) -> Option<RefMut<'_, Vec<Moved>>> {
        if self.tracing.get() {
            let mut moves = self.moves.borrow_mut();
            moves.clear();
            self.next_fire.set(0);
            Some(moves)
        } else {
            None
        }
    }

    /// The timer step moved the wheel to `now` and found `count` timers due;
    /// their wakes follow, each announced by [`Hooks::timer_fires`].
    #[inline]
    pub(crate) fn timers_fired(&self, now: Tick, count: usize) {
        if self.tracing.get() {
            self.record_timer_step(now, count);
        }
    }

    #[inline(never)]
    fn record_timer_step(&self, now: Tick, count: usize) {
        let at = self.recorder.now();
        let to = self
            .recorder
            .since_origin(self.recorder.clock().instant_of(now));
        self.recorder.record(at, What::TimersAdvanced { to });
        for moved in self.moves.borrow().iter() {
            if let (Some(to), Some(timer)) = (moved.to, self.recorder.timer_number(moved.key)) {
                let from = moved.from;
                self.recorder
                    .record(at, What::TimerMoved { timer, from, to });
            }
        }
        if count > 0 {
            self.current.set(WakeSource::Timer);
            self.recorder.record(at, What::TimersFired { count });
        }
    }

    /// The next of the fired timers is about to wake its waker.
    #[inline]
    pub(crate) fn timer_fires(&self) {
        if self.tracing.get() {
            self.record_timer_fires();
        }
    }

    #[inline(never)]
    fn record_timer_fires(&self) {
        let moves = self.moves.borrow();
        // The fires, in `moves`, are in the order of the wakers.
        let mut i = self.next_fire.get();
        while moves.get(i).is_some_and(|moved| moved.to.is_some()) {
            i += 1;
        }
        if let Some(fire) = moves.get(i) {
            self.next_fire.set(i + 1);
            if let Some(timer) = self.recorder.timer_gone(fire.key) {
                let fired = What::TimerFired {
                    timer,
                    from: fire.from,
                };
                self.recorder.record(self.recorder.now(), fired);
            }
        }
    }

    /// ④ The loop parks until `next_deadline` (or a wake from elsewhere).
    #[inline]
    pub(crate) fn parked(&self, next_deadline: Option<Tick>) {
        if self.tracing.get() {
            let clock = self.recorder.clock();
            let until =
                next_deadline.map(|tick| self.recorder.since_origin(clock.instant_of(tick)));
            let jumps = clock.is_simulated() && until.is_some();
            self.recorder
                .record(self.recorder.now(), What::Parked { until, jumps });
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
