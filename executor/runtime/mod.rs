//! The executor loop: run the ready tasks, fire the due timers, park.
//!
//! Book chapter: *The executor loop* (`book/src/executor-loop.md`).
//!
//! ```text
//!            ┌──────────────────────────────────────────────────────────┐
//!            ▼                                                          │
//!   ① move wakes from other threads (at most 128) into the local queue  │
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
//! caller's stack, so it cannot be `'static`); it is polled in place. It has
//! an entry in the task table all the same (its bare header), so its
//! waker names it by a key, like any task's. The loop ends when that future
//! is ready. Spawned tasks that are not finished stay in the executor: the
//! next `block_on` on it runs them on.
//!
//! The files of the runtime, in reading order: `timers.rs`, `scheduler.rs`,
//! `core.rs`, `join_handle.rs`, `task/` (`state.rs`, `stage.rs`,
//! `header.rs`, `mod.rs`), `deadlock.rs`, and this one. Each uses only the
//! ones before it. The public ways to spawn are in `spawn.rs`, above the
//! runtime.

pub(crate) mod core;
mod deadlock;
pub(crate) mod join_handle;
pub(crate) mod scheduler;
pub(crate) mod task;
pub(crate) mod timers;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::base::clock::Clock;
use crate::base::id::{TaskId, TaskName};
use crate::collections::slab::{Key, Slab};
use crate::diagnostics::hooks::{Hooks, PollEnd};
use crate::diagnostics::trace::Ending;

use self::core::{Core, RunOutcome, Runnable};
use self::join_handle::JoinHandle;
use self::scheduler::RunQueue;
use self::task::{waker, Header, State, Task};
use self::timers::Timers;

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

/// A single-threaded executor. Each turn of its loop, inside
/// [`block_on`](Executor::block_on), takes in the wakes that came from other
/// threads, polls the tasks queued at the start of the turn (a task woken
/// during the turn waits for the next one), fires the timers that are due,
/// and, if nothing is queued, parks until the next timer deadline or a wake
/// from another thread (a simulated clock jumps to that deadline instead).
///
/// `Executor` is not `Send`: its tasks need not be `Send`, so they must stay
/// on the thread that created it.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::{time::sleep, Executor};
///
/// let exec = Executor::simulated();
/// let toast = exec.spawn(async { sleep(Duration::from_secs(2)).await; "toast" });
/// assert_eq!(exec.block_on(toast).unwrap(), "toast");
/// ```
pub struct Executor {
    pub(crate) core: Rc<Core>,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Executor {
    /// An executor on the real clock.
    ///
    /// ```
    /// let exec = busy_chef::Executor::new();
    /// let answer = exec.spawn(async { 6 * 7 });
    /// assert_eq!(exec.block_on(answer).unwrap(), 42);
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// let exec = busy_chef::Executor::simulated();
    /// let woke_at = exec.block_on(async {
    ///     sleep(Duration::from_secs(3600)).await; // an hour, at once
    ///     Instant::now()
    /// });
    /// assert_eq!(woke_at.since_origin(), Duration::from_secs(3600));
    /// ```
    pub fn simulated() -> Self {
        Executor::with_clock(Clock::simulated())
    }

    fn with_clock(clock: Clock) -> Self {
        let clock = Rc::new(clock);
        let hooks = Hooks::new(clock.clone());
        let timers = Timers::new(clock);
        let core = Core {
            run_queue: RunQueue::new(),
            tasks: RefCell::new(Slab::new()),
            names: RefCell::new(HashMap::new()),
            timers,
            hooks,
            closed: Cell::new(false),
        };
        Executor {
            core: Rc::new(core),
        }
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::{time::sleep, Executor};
    ///
    /// let exec = Executor::simulated();
    /// let slow = exec.spawn(async { sleep(Duration::from_secs(5)).await; "slow" });
    /// exec.block_on(async { sleep(Duration::from_secs(1)).await });
    /// assert!(!slow.is_finished(), "still in the executor, waiting for its timer");
    /// assert_eq!(exec.block_on(slow).unwrap(), "slow");
    /// ```
    // ANCHOR: block_on
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _running = self::core::enter(&self.core);
        let core = &*self.core;
        let mut future = pin!(future);

        // The future's waker, and its entry in the task table: a bare header.
        let key = core.tasks.borrow().next_key();
        let inbox = core.run_queue.inbox().clone();
        let main = Arc::new(Header::new(
            TaskId::next(),
            key,
            State::new_block_on(),
            inbox,
        ));
        core.tasks.borrow_mut().insert(key, main.clone());
        let _entry = RemoveOnExit { core, key };
        let main_waker = waker(main.clone());
        let mut cx = Context::from_waker(&main_waker);
        core.hooks.block_on_started(main.id);
        core.run_queue.push(key);
        core.hooks.queued(main.id);

        loop {
            // ① Wakes from other threads join the local queue (128 at most).
            core.hooks.turn_started();
            core.drain_channel();

            // ② Run what is queued now; wakes during this turn wait for the next.
            for _ in 0..core.run_queue.len() {
                let Some(key) = core.run_queue.pop() else {
                    break;
                };
                if key != main.key {
                    core.run_task(key);
                    continue;
                }
                // `block_on`'s own future, polled in place.
                core.hooks.dequeued(|| Some(main.id));
                main.state.clear_queued();
                core.hooks.poll_started(|| main.id);
                let poll = future.as_mut().poll(&mut cx);
                let end = match poll {
                    Poll::Pending => PollEnd::Pending,
                    Poll::Ready(_) => PollEnd::Over(Ending::Completed),
                };
                core.hooks.poll_finished(|| main.id, end, || None);
                match poll {
                    Poll::Ready(output) => return output,
                    Poll::Pending => deadlock::check_main_after_poll(&main),
                }
            }
            core.run_queue.trim(); // a burst is over? give the queue's spare room back

            // ③ Timers whose deadline has passed wake their tasks.
            core.timers.fire_due(&core.hooks);

            // ④ Nothing to do until a timer is due or another thread wakes us.
            if core.run_queue.len() == 0 {
                deadlock::check_before_park(&main); // its waker gone? panic, don't hang
                core.park(&main);
            }
        }
    }
    // ANCHOR_END: block_on
}

/// Takes `block_on`'s entry out of the task table however `block_on` ends.
struct RemoveOnExit<'a> {
    core: &'a Core,
    key: Key,
}

impl Drop for RemoveOnExit<'_> {
    fn drop(&mut self) {
        self.core.tasks.borrow_mut().remove(self.key);
    }
}

impl Core {
    // ANCHOR: spawn
    /// ① in `task/state.rs`: make the task, put it in the table, queue it.
    pub(crate) fn spawn<F>(&self, name: Option<TaskName>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = TaskId::next();
        self.hooks.spawned(id, name.as_deref());
        let mut tasks = self.tasks.borrow_mut();
        let key = tasks.next_key();
        let inbox = self.run_queue.inbox().clone();
        let task = Task::new_in_arc(id, key, inbox, name.is_some(), future);
        if self.closed.get() {
            // Shutting down: the future is dropped at once, and the handle
            // reports "cancelled".
            drop(tasks);
            task.shut_down();
            return JoinHandle::new(task);
        }
        tasks.insert(key, task.clone());
        drop(tasks);
        if let Some(name) = name {
            self.names.borrow_mut().insert(id, name);
        }
        self.run_queue.push(key);
        self.hooks.queued(id);
        JoinHandle::new(task)
    }
    // ANCHOR_END: spawn

    // ANCHOR: run_task
    /// Polls the task under `key`: the task table lends it for the poll,
    /// and takes it back (or lets it go, once it is done).
    ///
    /// `#[inline(always)]`: it runs once per poll, and the loop around it is
    /// too big for the compiler to inline it unasked (a debugger still
    /// shows it as a frame of its own).
    #[inline(always)]
    fn run_task(&self, key: Key) {
        let lent = self.tasks.borrow_mut().lend(key);
        self.hooks.dequeued(|| lent.as_ref().map(|task| task.id()));
        let Some(task) = lent else {
            return; // a stale key: a late wake of a finished task
        };
        // The id is asked for (a virtual call) only when a hook records.
        let id = || task.id();
        self.hooks.poll_started(id);
        match task.run(&task) {
            RunOutcome::Done {
                how,
                awaiter,
                named,
            } => {
                self.tasks.borrow_mut().end_loan(key, None);
                let name = named
                    .then(|| self.names.borrow_mut().remove(&id()))
                    .flatten();
                // Out of the table first: a waker is arbitrary code, and may
                // panic on to block_on's caller.
                if let Some(awaiter) = awaiter {
                    awaiter.wake();
                }
                let name = || name.as_ref().map(|name| name.to_string());
                self.hooks.poll_finished(id, PollEnd::Over(how), name);
            }
            waiting => {
                let name = || self.name_of(id());
                self.hooks.poll_finished(id, PollEnd::Pending, name);
                if let RunOutcome::Stranded = waiting {
                    self.hooks.lost_waker(id(), name().as_deref()); // nothing can wake it
                }
                self.tasks.borrow_mut().end_loan(key, Some(task));
            }
        }
    }
    // ANCHOR_END: run_task

    /// ① Moves wakes from other threads into the local queue: at most
    /// `MAIL_PER_TURN` (`scheduler.rs`) a turn; the rest wait for the next.
    #[inline]
    fn drain_channel(&self) {
        self.run_queue
            .drain_channel(|mail| self.hooks.woken_outside(mail.id));
    }

    // ANCHOR: park
    /// ④ Blocks until there may be something to do.
    fn park(&self, main: &Arc<Header>) {
        let next_deadline = self.timers.next_deadline();
        self.hooks.parked(next_deadline);
        let clock = self.timers.clock();
        if clock.is_simulated() {
            if !self.run_queue.channel_is_empty() {
                return; // another thread woke a task: run it first
            }
            match next_deadline {
                Some(tick) => clock.advance_to(tick),
                None => self.wait_for_another_thread(main),
            }
        } else {
            match next_deadline.and_then(|tick| clock.std_deadline_of(tick)) {
                Some(deadline) => {
                    let hooks = &self.hooks;
                    self.run_queue
                        .park(Some(deadline), |mail| hooks.woken_outside(mail.id));
                }
                None => self.wait_for_another_thread(main),
            }
        }
    }

    /// No timer is set: only a wake from another thread can bring work. Wait
    /// for it; each time it is slow to come (50 ms, then longer), check that
    /// one still *can* come, and panic with an explanation if not
    /// (`deadlock.rs`). The check walks every task, so it stays off the path
    /// of a wake that arrives promptly.
    fn wait_for_another_thread(&self, main: &Arc<Header>) {
        let mut patience = std::time::Duration::from_millis(50);
        loop {
            let deadline = std::time::Instant::now().checked_add(patience);
            let hooks = &self.hooks;
            if self
                .run_queue
                .park(deadline, |mail| hooks.woken_outside(mail.id))
            {
                return;
            }
            deadlock::check_while_idle(self, main);
            patience = (patience * 2).min(std::time::Duration::from_secs(5));
        }
    }
    // ANCHOR_END: park
}

impl Drop for Executor {
    /// Cancels every task that has not finished: each future is dropped
    /// exactly once, here, on the executor's thread, whatever the others'
    /// destructors and awaiters' wakers do. Awaiters get a "cancelled"
    /// `JoinError`. A destructor that spawns gets a handle that reports
    /// "cancelled" (its future is dropped at once, never polled); one that
    /// wakes a task only queues it on this closing executor, whose queue is
    /// discarded. A panic (a destructor's, a waker's) is caught, the
    /// shutdown goes on for every other task, and the first panic is
    /// re-raised at the end. Wakers held elsewhere stay valid: waking or
    /// dropping them later does nothing. (Scenarios in `tests/faults.rs`.)
    fn drop(&mut self) {
        let core = &*self.core;
        let _shutting_down = self::core::enter_for_shutdown(&self.core);
        core.closed.set(true);
        let mut first_panic = None;
        loop {
            // Take the tasks out first: their destructors run with no borrow.
            let tasks = core.tasks.borrow_mut().take_all();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                core.hooks.shut_down(task.id());
                let shut_down = catch_unwind(AssertUnwindSafe(|| {
                    if let Some(awaiter) = task.shut_down() {
                        awaiter.wake();
                    }
                    drop(task);
                }));
                if let Err(payload) = shut_down {
                    first_panic.get_or_insert(payload);
                }
            }
        }
        if let Some(payload) = core.timers.clear() {
            first_panic.get_or_insert(payload);
        }
        core.run_queue.clear();
        core.names.borrow_mut().clear();
        core.hooks.finish(); // BUSY_CHEF_TRACE: show what was recorded
        if let Some(payload) = first_panic {
            if !std::thread::panicking() {
                resume_unwind(payload);
            }
        }
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.core, f)
    }
}
