//! The recorder: the executor's hooks land here.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! Every hook starts with one test of a `Cell<bool>`. Off (the default), that
//! is all it does: no clock reading, no allocation, no borrow. The flags are
//! read only on the executor's thread; a wake from another thread never
//! touches the recorder (it is recorded when the executor takes the key out
//! of the channel, see `queue.rs`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use crate::clock::Clock;
use crate::queue::{TaskKey, MAIN_SLOT};
use crate::task::{RunOutcome, TaskId};
use crate::time::Instant;
use crate::wheel::TimerKey;

use super::event::{Ending, Event, PollResult, WakeSource, What};
use super::{warn, Trace};

/// What the environment asks for, read once per process.
struct Defaults {
    /// `BUSY_CHEF_TRACE`: where to put each executor's trace when it is dropped.
    output: Option<Output>,
    /// `BUSY_CHEF_WARN_BLOCKING`, or 100 ms in debug builds.
    blocking: Option<Duration>,
}

#[derive(Clone, Debug)]
enum Output {
    /// `BUSY_CHEF_TRACE=1`: the terminal timeline, on stderr.
    Stderr,
    /// `BUSY_CHEF_TRACE=path.json`: Chrome trace-event JSON.
    Chrome(String),
    /// `BUSY_CHEF_TRACE=path.svg`: an SVG picture.
    Svg(String),
}

/// The default blocking-poll threshold (asyncio's `slow_callback_duration`).
pub(crate) const DEFAULT_BLOCKING: Duration = Duration::from_millis(100);

fn defaults() -> &'static Defaults {
    static DEFAULTS: OnceLock<Defaults> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let output = std::env::var("BUSY_CHEF_TRACE").ok().and_then(|value| {
            let value = value.trim().to_string();
            if value.is_empty() || value == "0" {
                None
            } else if value.ends_with(".json") {
                Some(Output::Chrome(value))
            } else if value.ends_with(".svg") {
                Some(Output::Svg(value))
            } else {
                Some(Output::Stderr)
            }
        });
        let blocking = match std::env::var("BUSY_CHEF_WARN_BLOCKING") {
            Ok(value) => match value.trim() {
                "off" | "0" | "" => None,
                ms => ms
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_millis)
                    .or_else(|| {
                        eprintln!(
                            "busy-chef: BUSY_CHEF_WARN_BLOCKING={ms:?} is neither a number of \
                         milliseconds nor `off`; using {DEFAULT_BLOCKING:?}"
                        );
                        Some(DEFAULT_BLOCKING)
                    }),
            },
            Err(_) if cfg!(debug_assertions) => Some(DEFAULT_BLOCKING),
            Err(_) => None,
        };
        Defaults { output, blocking }
    })
}

/// A poll's result, whatever was polled: a task or `block_on`'s future.
pub(crate) trait Outcome {
    fn result(&self) -> PollResult;
    fn ending(&self) -> Option<Ending>;
}

impl Outcome for RunOutcome {
    fn result(&self) -> PollResult {
        match self {
            RunOutcome::Waiting | RunOutcome::Stranded => PollResult::Pending,
            RunOutcome::Done(Ending::Panicked) => PollResult::Panicked,
            RunOutcome::Done(_) => PollResult::Ready,
        }
    }

    fn ending(&self) -> Option<Ending> {
        match self {
            RunOutcome::Done(how) => Some(*how),
            _ => None,
        }
    }
}

impl<T> Outcome for std::task::Poll<T> {
    fn result(&self) -> PollResult {
        match self {
            std::task::Poll::Pending => PollResult::Pending,
            std::task::Poll::Ready(_) => PollResult::Ready,
        }
    }

    fn ending(&self) -> Option<Ending> {
        self.is_ready().then_some(Ending::Completed)
    }
}

/// One executor's recorder (see the module docs).
pub(crate) struct Recorder {
    /// `tracing || blocking.is_some()`: the one flag the poll hook tests.
    active: Cell<bool>,
    /// Recording a trace?
    tracing: Cell<bool>,
    /// The blocking-poll threshold, if that check is on.
    blocking: Cell<Option<Duration>>,
    clock: Rc<Clock>,
    /// The executor's clock reading when it was created: trace time zero.
    origin: Instant,
    /// Who would be the source of a wake right now (tracing only).
    current: Cell<WakeSource>,
    log: RefCell<Log>,
    output: Option<Output>,
    /// Warnings printed to stderr so far; see [`PRINTED_WARNINGS`].
    printed: Cell<usize>,
}

/// How many warnings one executor prints to stderr. A bug that strands
/// 100,000 tasks would otherwise print 100,000 identical paragraphs (the
/// `mem_per_task` benchmark does exactly that). Past the limit, one line says
/// so; the trace still records every warning.
pub(crate) const PRINTED_WARNINGS: usize = 10;

#[derive(Default)]
struct Log {
    start: Duration,
    events: Vec<Event>,
    /// The id of the `block_on` future seen last (it is named `main`).
    main: Option<TaskId>,
    /// Timers in the wheel, and their numbers in the trace.
    timers: Vec<(TimerKey, u64, Duration)>,
    next_timer: u64,
    /// With `BUSY_CHEF_TRACE` set: a copy of what `take` handed out, for the
    /// variable's output at the executor's drop, which shows everything
    /// since recording began, whatever the program took for itself.
    taken: Vec<Event>,
}

impl Recorder {
    pub(crate) fn new(clock: Rc<Clock>) -> Self {
        let defaults = defaults();
        let origin = clock.now();
        let recorder = Recorder {
            active: Cell::new(false),
            tracing: Cell::new(false),
            blocking: Cell::new(defaults.blocking),
            clock,
            origin,
            current: Cell::new(WakeSource::Executor),
            log: RefCell::new(Log::default()),
            output: defaults.output.clone(),
            printed: Cell::new(0),
        };
        if recorder.output.is_some() {
            recorder.enable();
        }
        recorder.update_active();
        recorder
    }

    fn update_active(&self) {
        self.active
            .set(self.tracing.get() || self.blocking.get().is_some());
    }

    /// The executor's clock, as time since the executor was created.
    fn now(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.origin)
    }

    fn record(&self, at: Duration, what: What) {
        self.log.borrow_mut().events.push(Event { at, what });
    }

    fn current_task(&self) -> Option<TaskId> {
        match self.current.get() {
            WakeSource::Task(id) => Some(id),
            _ => None,
        }
    }

    // ----- switches ---------------------------------------------------------

    pub(crate) fn enable(&self) {
        if !self.tracing.replace(true) {
            self.log.borrow_mut().start = self.now();
            self.update_active();
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.tracing.get()
    }

    pub(crate) fn blocking_threshold(&self) -> Option<Duration> {
        self.blocking.get()
    }

    pub(crate) fn set_blocking_threshold(&self, threshold: Option<Duration>) {
        self.blocking.set(threshold);
        self.update_active();
    }

    pub(crate) fn take(&self) -> Trace {
        if !self.tracing.get() {
            return Trace::default();
        }
        let now = self.now();
        let mut log = self.log.borrow_mut();
        let events = std::mem::take(&mut log.events);
        if self.output.is_some() {
            log.taken.extend_from_slice(&events);
        }
        let start = std::mem::replace(&mut log.start, now);
        Trace {
            start,
            end: now.max(start),
            events,
        }
    }

    // ----- hooks --------------------------------------------------------------

    /// `Core::spawn`: a task was created. `inline(always)` with the work in
    /// a separate function: what every spawn pays is the test of one flag,
    /// not a call (a call was 2 % of `chained_spawn` in `bench/`).
    #[inline(always)]
    pub(crate) fn spawned(&self, task: TaskId, name: Option<&str>) {
        if self.tracing.get() {
            self.record_spawned(task, name);
        }
    }

    #[inline(never)]
    fn record_spawned(&self, task: TaskId, name: Option<&str>) {
        let name = name.map_or_else(|| task.to_string(), str::to_string);
        let by = self.current_task();
        self.record(self.now(), What::Spawned { task, name, by });
    }

    /// Runs `poll` (one poll of the task `key`), timing and recording it if
    /// tracing or the blocking-poll check is on.
    #[inline]
    pub(crate) fn poll<R: Outcome>(&self, key: TaskKey, poll: impl FnOnce() -> R) -> R {
        if !self.active.get() {
            return poll();
        }
        self.poll_observed(key, poll)
    }

    fn poll_observed<R: Outcome>(&self, key: TaskKey, poll: impl FnOnce() -> R) -> R {
        let tracing = self.tracing.get();
        let at = if tracing {
            self.main_seen(key);
            self.current.set(WakeSource::Task(key.id));
            self.now()
        } else {
            Duration::ZERO
        };
        let real_start = std::time::Instant::now();
        let outcome = poll();
        let real = real_start.elapsed();
        if tracing {
            self.current.set(WakeSource::Executor);
            let took = self.now().saturating_sub(at);
            let result = outcome.result();
            let task = key.id;
            // An aborted task is not polled: `run` only drops its future.
            if outcome.ending() != Some(Ending::Cancelled) {
                let polled = What::Polled {
                    task,
                    took,
                    real,
                    result,
                };
                self.record(at, polled);
            }
            if let Some(how) = outcome.ending() {
                self.record(at + took, What::Finished { task, how });
            }
        }
        if self.blocking.get().is_some_and(|limit| real > limit) {
            warn::blocking_poll(self, key, real);
        }
        outcome
    }

    /// `block_on`'s future has no spawn: name it `main` when first polled.
    fn main_seen(&self, key: TaskKey) {
        if key.slot == MAIN_SLOT && self.log.borrow().main != Some(key.id) {
            self.log.borrow_mut().main = Some(key.id);
            let name = "main".to_string();
            self.record(
                self.now(),
                What::Spawned {
                    task: key.id,
                    name,
                    by: None,
                },
            );
        }
    }

    /// `Shared::schedule`, local door: a wake on the executor's thread.
    /// Split like [`spawned`](Self::spawned).
    #[inline(always)]
    pub(crate) fn woken(&self, key: TaskKey) {
        if self.tracing.get() {
            self.record_woken(key);
        }
    }

    #[inline(never)]
    fn record_woken(&self, key: TaskKey) {
        let by = self.current.get();
        self.record(self.now(), What::Woken { task: key.id, by });
    }

    /// `Queues`: a wake that came through the channel (another thread, or
    /// this one outside `block_on`).
    #[inline]
    pub(crate) fn woken_outside(&self, key: TaskKey) {
        if self.tracing.get() {
            let by = WakeSource::Outside;
            self.record(self.now(), What::Woken { task: key.id, by });
        }
    }

    /// `Sleep::poll`: a timer went into the wheel.
    #[inline]
    pub(crate) fn timer_registered(&self, key: TimerKey, deadline: Instant) {
        if self.tracing.get() {
            let deadline = deadline.saturating_duration_since(self.origin);
            let by = self.current_task();
            let mut log = self.log.borrow_mut();
            let timer = log.next_timer;
            log.next_timer += 1;
            log.timers.push((key, timer, deadline));
            drop(log);
            self.record(
                self.now(),
                What::TimerRegistered {
                    timer,
                    by,
                    deadline,
                },
            );
        }
    }

    /// `Sleep`: a timer left the wheel before it fired.
    #[inline]
    pub(crate) fn timer_cancelled(&self, key: TimerKey) {
        if self.tracing.get() {
            let mut log = self.log.borrow_mut();
            if let Some(i) = log.timers.iter().position(|(k, ..)| *k == key) {
                let (_, timer, _) = log.timers.swap_remove(i);
                drop(log);
                self.record(self.now(), What::TimerCancelled { timer });
            }
        }
    }

    /// `Core::fire_timers`: `count` timers are due; their wakes follow.
    #[inline]
    pub(crate) fn timers_fired(&self, count: usize) {
        if self.tracing.get() && count > 0 {
            let now = self.now();
            self.current.set(WakeSource::Timer);
            self.log
                .borrow_mut()
                .timers
                .retain(|&(_, _, deadline)| deadline > now);
            self.record(now, What::TimersFired { count });
        }
    }

    /// `Executor::drop`: the task is cancelled because the executor goes.
    #[inline]
    pub(crate) fn shut_down(&self, task: TaskId) {
        if self.tracing.get() {
            self.current.set(WakeSource::Executor);
            let how = Ending::Cancelled;
            self.record(self.now(), What::Finished { task, how });
        }
    }

    /// A warning: to stderr (the first [`PRINTED_WARNINGS`]), and into the
    /// trace.
    pub(crate) fn warning(&self, task: Option<TaskId>, message: String) {
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
        if self.tracing.get() {
            self.record(self.now(), What::Warning { task, message });
        }
    }

    /// `Executor::drop`: with `BUSY_CHEF_TRACE` set, show everything
    /// recorded since the executor was created (it started recording then),
    /// including what the program took with `take_trace`.
    pub(crate) fn finish(&self) {
        let Some(output) = &self.output else { return };
        let end = self.take().end;
        let events = std::mem::take(&mut self.log.borrow_mut().taken);
        if events.is_empty() {
            return;
        }
        let trace = Trace {
            start: Duration::ZERO,
            end,
            events,
        };
        let written = match output {
            Output::Stderr => {
                eprintln!("busy-chef trace (BUSY_CHEF_TRACE):\n{}", trace.timeline());
                Ok(())
            }
            Output::Chrome(path) => std::fs::write(path, trace.to_chrome_json()),
            Output::Svg(path) => std::fs::write(path, trace.to_svg()),
        };
        if let Err(e) = written {
            eprintln!("busy-chef: could not write the trace ({output:?}): {e}");
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let events = self.log.try_borrow().map(|log| log.events.len()).ok();
        f.debug_struct("Trace")
            .field("tracing", &self.tracing.get())
            .field("events", &events)
            .field("blocking_threshold", &self.blocking.get())
            .finish()
    }
}
