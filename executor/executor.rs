//! The executor loop: run the ready tasks, fire the due timers, park.
//!
//! Book chapter: *The executor loop* (`book/src/executor-loop.md`).
//!
//! ```text
//!            ┌──────────────────────────────────────────────────────────┐
//!            ▼                                                          │
//!   ① drain the channel into the local queue                            │
//!   ② run the tasks that are queued now, and only those: a task woken   │
//!      during this turn (one that yields in a loop, say) waits for the  │
//!      next turn, so it cannot starve the timers or the other tasks     │
//!   ③ fire the timers whose deadline has passed (their wakes queue      │
//!      tasks for the next turn)                                         │
//!   ④ nothing queued? park: block on the channel until the next timer   │
//!      deadline, or until another thread wakes a task. A simulated      │
//!      clock does not wait: it jumps to that deadline.                  │
//!            └──────────────────────────────────────────────────────────┘
//! ```
//!
//! `block_on`'s own future is not a spawned task (it may borrow from the
//! caller's stack, so it cannot be `'static`); it is polled in place, and its
//! waker puts a reserved key ([`MAIN_SLOT`]) into the same queue. The loop
//! ends when that future is ready. Spawned tasks that are not finished stay in
//! the executor: the next `block_on` on it runs them on.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::clock::Clock;
use crate::context;
use crate::join_handle::JoinHandle;
use crate::queue::{QueuedKey, Queues, TaskKey, MAIN_SLOT};
use crate::slab::Slab;
use crate::task::{Header, RunOutcome, Runnable, Task, TaskId, TaskName};
use crate::time::Instant;
use crate::trace::{warn, Recorder};
use crate::waker;
use crate::wheel::Wheel;

/// Runs `future` to completion on a fresh executor with the real clock, on
/// the current thread, and returns its output. Tasks it spawned that are
/// still running when it finishes are dropped (cancelled) with the executor.
///
/// ```
/// let answer = busy_chef::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
///
/// # Panics
///
/// If called from inside a future that a busy-chef executor is running
/// (nested `block_on`), and if `future` panics.
pub fn block_on<F: Future>(future: F) -> F::Output {
    Executor::new().block_on(future)
}

/// A single-threaded executor. See the [module docs](self) for its loop.
///
/// `Executor` is not `Send`: its tasks need not be `Send`, so they must stay
/// on the thread that created it.
pub struct Executor {
    pub(crate) core: Rc<Core>,
}

/// Everything the executor owns. Shared (by `Rc`) with the thread-local
/// "running executor" record, and weakly with `Sleep`s.
pub(crate) struct Core {
    pub(crate) queues: Queues,
    pub(crate) tasks: RefCell<Slab<Arc<dyn Runnable>>>,
    pub(crate) timers: RefCell<Wheel>,
    pub(crate) clock: Rc<Clock>,
    /// Tracing and warnings (`trace/`): each hook is one test of a flag when off.
    pub(crate) trace: Rc<Recorder>,
    /// "Now" as of this turn's timer step: what `Sleep::poll` compares with.
    now: Cell<Instant>,
    /// Set when the executor is being dropped: `spawn` refuses from then on.
    closed: Cell<bool>,
    /// Scratch space for the wakers of fired timers, reused every turn.
    fired: RefCell<Vec<Waker>>,
    /// A weak reference to this very `Core`, for a `Sleep` to keep: it can
    /// then register its timer with only a `&Core` in hand.
    pub(crate) weak_self: std::rc::Weak<Core>,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Executor {
    /// An executor on the real clock.
    pub fn new() -> Self {
        Executor::with_clock(Clock::real())
    }

    /// An executor on a simulated clock that starts at zero: whenever no task
    /// is ready, time jumps straight to the next timer's deadline. A program
    /// that sleeps for an hour finishes at once, and prints the same times on
    /// every run.
    ///
    /// It is deterministic as long as no other thread is involved. A waker
    /// fired from another thread is seen whenever the executor next looks at
    /// its queue, at whatever simulated time it has reached; and when the only
    /// thing left is to wait for such a wake (no task ready, no timer), the
    /// executor blocks on the real clock until it comes.
    pub fn simulated() -> Self {
        Executor::with_clock(Clock::simulated())
    }

    fn with_clock(clock: Clock) -> Self {
        let now = clock.now();
        let clock = Rc::new(clock);
        let trace = Rc::new(Recorder::new(clock.clone()));
        Executor {
            core: Rc::new_cyclic(|weak_self| Core {
                queues: Queues::new(trace.clone()),
                tasks: RefCell::new(Slab::new()),
                timers: RefCell::new(Wheel::new(0)),
                clock,
                trace,
                now: Cell::new(now),
                closed: Cell::new(false),
                fired: RefCell::new(Vec::new()),
                weak_self: weak_self.clone(),
            }),
        }
    }

    /// Spawns `future` as a task of this executor. It runs during this
    /// executor's `block_on` calls (the current one, or the next one).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(None, future)
    }

    /// Like [`spawn`](Self::spawn), with a name: warnings, `Debug` output and
    /// [traces](crate::trace) show it (an unnamed task is `task-N`).
    pub fn spawn_named<F>(&self, name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(Some(name.into()), future)
    }

    /// Runs the executor until `future` completes, and returns its output.
    /// Spawned tasks run meanwhile; those still unfinished afterwards stay in
    /// the executor for the next `block_on`.
    ///
    /// # Panics
    ///
    /// If called from inside a future that a busy-chef executor is running
    /// (nested `block_on`), and if `future` panics (the panic passes through;
    /// the executor stays usable).
    // ANCHOR: block_on
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _running = context::enter(&self.core);
        let core = &*self.core;
        let mut future = pin!(future);

        // The main future's waker: a bare Header whose slot is MAIN_SLOT.
        let main = Arc::new(Header::new(
            TaskId::next(),
            MAIN_SLOT,
            core.queues.shared_arc().clone(),
        ));
        let main_key = main.key();
        let main_waker = waker::waker(main.clone());
        let mut cx = Context::from_waker(&main_waker);
        core.queues.push_local(main_key);

        loop {
            // ① Wakes from other threads join the local queue.
            core.queues.drain_channel();

            // ② Run what is queued now; wakes during this turn wait for the next.
            for _ in 0..core.queues.local_len() {
                let Some(key) = core.queues.pop_local() else {
                    break;
                };
                if key.slot != MAIN_SLOT {
                    core.run_task(key);
                } else if key.is_for(main.id) {
                    main.clear_queued();
                    match core.trace.poll(main_key, || future.as_mut().poll(&mut cx)) {
                        Poll::Ready(output) => return output,
                        Poll::Pending => warn::check_main_after_poll(&main), // lost waker?
                    }
                } // else: a late wake of an earlier block_on's future; ignore.
            }
            core.queues.trim(); // a burst is over? give the queue's spare room back

            // ③ Timers whose deadline has passed wake their tasks.
            core.fire_timers();

            // ④ Nothing to do until a timer is due or another thread wakes us.
            if core.queues.local_len() == 0 {
                warn::check_before_park(&main); // its waker gone? panic instead of hanging
                core.park(&main);
            }
        }
    }
    // ANCHOR_END: block_on
}

impl Core {
    /// The clock's "now" as of the latest timer step (exact for a simulated
    /// clock; at most one turn old for a real one, never ahead).
    pub(crate) fn now(&self) -> Instant {
        self.now.get()
    }

    // ANCHOR: spawn
    /// ① in `task.rs`: allocate the task, put it in the table, queue it.
    pub(crate) fn spawn<F>(&self, name: Option<TaskName>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = TaskId::next();
        let mut tasks = self.tasks.borrow_mut();
        let slot = tasks.next_slot();
        self.trace.spawned(id, name.as_deref());
        let shared = self.queues.shared_arc().clone();
        let name = name.map(Box::new);
        let task = Task::new_in_arc(id, slot, shared, name, future);
        if self.closed.get() {
            // Shutting down: the future is dropped at once and the handle
            // reports "cancelled".
            drop(tasks);
            task.shut_down();
            return JoinHandle::new(task);
        }
        tasks.insert(task.clone());
        drop(tasks);
        self.queues.push_local(TaskKey { slot, id });
        JoinHandle::new(task)
    }
    // ANCHOR_END: spawn

    // ANCHOR: run_task
    /// Polls the task named by `queued`, if it still exists.
    fn run_task(&self, queued: QueuedKey) {
        // Fast path: the task is *lent* by the table, not cloned out of it (a
        // clone and its drop are two atomic operations, as much as a small
        // poll). A raw pointer, not a `&Arc`: the table is not borrowed while
        // the task runs (it may spawn, and the table's vector may then move
        // its `Arc`s), but the task itself stays where it is, in its own
        // allocation.
        let tasks = self.tasks.borrow();
        let Some(task) = tasks.get(queued.slot) else {
            return; // finished already: a wake that came too late
        };
        let header = task.header();
        if !queued.is_for(header.id) {
            return; // the slot holds a newer task: a late wake, again
        }
        let key = header.key(); // with the whole id, for traces and warnings
        let this: *const dyn Runnable = Arc::as_ptr(task);
        drop(tasks);
        // Only two places take a task out of the table: the `remove` below,
        // after `run` has returned, and `Executor::drop`, which cannot run
        // while `block_on` (our caller) borrows the executor.
        // SAFETY: so the table's `Arc` keeps the task alive while it runs.
        let task = unsafe { &*this };
        let run = || {
            // SAFETY: `this` is `Arc::as_ptr` of the `Arc` that holds `task`.
            unsafe { task.run(this.cast::<()>()) }
        };
        match self.trace.poll(key, run) {
            RunOutcome::Waiting => {}
            RunOutcome::Stranded => warn::lost_waker(self, key), // nothing can wake it
            RunOutcome::Done(_) => {
                let removed = self.tasks.borrow_mut().remove(key.slot);
                drop(removed);
            }
        }
    }
    // ANCHOR_END: run_task

    // ANCHOR: fire_timers
    /// ③ Reads the clock once, and wakes every timer due by then.
    fn fire_timers(&self) {
        if self.timers.borrow().is_empty() {
            // No timer: skip reading the clock. `now` stays as it was, which is
            // never ahead of the real time, so no `Sleep` completes early.
            if self.clock.is_simulated() {
                self.now.set(self.clock.now());
            }
            return;
        }
        let now = self.clock.now();
        self.now.set(now);
        let mut fired = self.fired.take();
        self.timers
            .borrow_mut()
            .advance(self.clock.tick_at_or_before(now), &mut fired);
        // Wake with no borrow held: a waker is arbitrary code.
        self.trace.timers_fired(fired.len());
        // Every due waker is woken even if one of them panics, so that no
        // other task loses its wake; then the first panic goes on to
        // block_on's caller. Scenario in tests/faults.rs:
        // `panicking_timer_waker_propagates_but_loses_no_other_wake`.
        let mut first_panic = None;
        for waker in fired.drain(..) {
            let woken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
            if let Err(payload) = woken {
                first_panic.get_or_insert(payload);
            }
        }
        self.fired.replace(fired);
        if let Some(payload) = first_panic {
            std::panic::resume_unwind(payload);
        }
    }
    // ANCHOR_END: fire_timers

    // ANCHOR: park
    /// ④ Blocks until there may be something to do.
    fn park(&self, main: &Arc<Header>) {
        let next_deadline = self.timers.borrow().next_deadline();
        if self.clock.is_simulated() {
            if !self.queues.channel_is_empty() {
                return; // another thread woke a task: run it first
            }
            match next_deadline {
                Some(tick) => self.clock.advance_to(tick),
                None => self.wait_for_another_thread(main),
            }
        } else {
            match next_deadline.and_then(|tick| self.clock.std_deadline_of(tick)) {
                Some(deadline) => {
                    self.queues.park(Some(deadline));
                }
                None => self.wait_for_another_thread(main),
            }
        }
    }

    /// No timer is set: only a wake from another thread can bring work. Wait
    /// for it; each time it is slow to come (50 ms, then longer), check that
    /// one still *can* come, and panic with an explanation if not
    /// (`trace/warn.rs`). The check walks every task, so it stays off the
    /// path of a wake that arrives promptly.
    fn wait_for_another_thread(&self, main: &Arc<Header>) {
        let mut patience = std::time::Duration::from_millis(50);
        loop {
            let deadline = std::time::Instant::now().checked_add(patience);
            if self.queues.park(deadline) {
                return;
            }
            warn::check_while_idle(self, main);
            patience = (patience * 2).min(std::time::Duration::from_secs(5));
        }
    }
    // ANCHOR_END: park
}

impl Drop for Executor {
    /// Cancels every task that has not finished: each future is dropped
    /// exactly once, here, on the executor's thread. Awaiters get a
    /// "cancelled" `JoinError`. A destructor that spawns gets a handle that
    /// reports "cancelled" (its future is dropped at once, never polled); one
    /// that wakes a task does nothing harmful: tasks are shut down in slot
    /// order, a wake of one not yet shut down only queues it on this closing
    /// executor (the queue is discarded, it is never polled again), a wake of
    /// one already shut down does nothing. A destructor that panics is
    /// caught, and the shutdown goes on. Wakers held elsewhere stay valid:
    /// waking or dropping them later does nothing. (Scenarios in
    /// `tests/faults.rs`: `drop_that_spawns_during_shutdown_gets_a_cancelled_handle`,
    /// `drop_that_wakes_tasks_during_shutdown_is_harmless`, async-executor#163.)
    fn drop(&mut self) {
        let core = &*self.core;
        let _shutting_down = context::enter_for_shutdown(&self.core);
        core.closed.set(true);
        loop {
            // Take the tasks out first: their destructors run with no borrow.
            let tasks = core.tasks.borrow_mut().take_all();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                core.trace.shut_down(task.header().id);
                task.shut_down();
            }
        }
        let timers = std::mem::take(&mut *core.timers.borrow_mut());
        drop(timers);
        core.queues.local.borrow_mut().clear();
        core.trace.finish(); // BUSY_CHEF_TRACE: show what was recorded
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.core, f)
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Executor");
        s.field("clock", &self.clock);
        match self.tasks.try_borrow() {
            Ok(tasks) => s.field("tasks", &tasks.len()),
            Err(_) => s.field("tasks", &"<borrowed>"),
        };
        s.field("queues", &self.queues);
        match self.timers.try_borrow() {
            Ok(timers) => s.field("timers", &*timers),
            Err(_) => s.field("timers", &"<borrowed>"),
        };
        s.field("trace", &*self.trace);
        s.field("closed", &self.closed.get()).finish()
    }
}
