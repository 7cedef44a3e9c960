//! `Core`: everything one executor owns, and the one thread-local that says
//! which `Core` is running on this thread.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! `spawn(future)`, `sleep(duration)` and `Instant::now()` take no executor
//! argument, yet they must reach the executor that runs the task calling
//! them. `block_on` records its `Core` in a thread-local for as long as it
//! runs, with a guard ([`enter`]) that puts the previous value back however
//! `block_on` ends; [`current`] and [`expect_current`] read it. The same
//! lookup tells a wake which door of the run queue to take ([`schedule`]),
//! and forbids a `block_on` inside a task, which would freeze the outer
//! executor, and every task on it, until the inner one finished.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use crate::base::debugger;
use crate::base::id::TaskId;
use crate::collections::slab::{Key, Slab};
use crate::diagnostics::hooks::Hooks;
use crate::diagnostics::trace::Ending;

use super::scheduler::{Inbox, RunQueue};
use super::timers::Timers;

/// Everything the executor owns. Shared (by `Rc`) with the thread-local
/// record of the running executor, and weakly with `Sleep`s.
pub(crate) struct Core {
    pub(crate) run_queue: RunQueue,
    /// The task table: every spawned task that is not finished, and an entry
    /// for the future of the `block_on` in progress.
    pub(crate) tasks: RefCell<Slab<Entry>>,
    pub(crate) timers: Timers,
    /// Tracing and warnings: each hook is one test of a flag when off.
    pub(crate) hooks: Rc<Hooks>,
    /// Set when the executor is being dropped: `spawn` refuses from then on.
    pub(crate) closed: Cell<bool>,
}

/// An entry of the task table.
pub(crate) enum Entry {
    /// A spawned task, of whatever future type.
    Task(Arc<dyn Runnable>),
    /// The future passed to `block_on`: it lives on `block_on`'s stack, not
    /// here (it need not be `'static`), but it has a key like any task, so
    /// its waker works the same way.
    BlockOn,
}

/// What the executor knows of a spawned task, whatever its future's type
/// (`task/mod.rs` implements it).
pub(crate) trait Runnable {
    fn id(&self) -> TaskId;
    fn name(&self) -> Option<&str>;
    /// Polls the task once (or cancels it, if it was aborted). `this` is the
    /// task table's `Arc` of this very task: its wakers are made from it.
    fn run(&self, this: &Arc<dyn Runnable>) -> RunOutcome;
    /// Cancels the task while the executor shuts down: its future is
    /// dropped. Returns the waker of whoever awaits it, to be woken.
    fn shut_down(&self) -> Option<Waker>;
    /// See `State::is_stranded`; `owners`: the executor's own references,
    /// not counting the `JoinHandle` (this adds it).
    fn is_stranded(&self, strong_count: usize, owners: usize) -> bool;
    /// The data pointer of the waker of whoever awaits this task, if any
    /// (to tell whose waker it is).
    fn awaiter_data(&self) -> Option<*const ()>;
}

/// How a poll of a task went, as the loop needs to know it.
#[must_use]
pub(crate) enum RunOutcome {
    /// `Pending`, and something holds its waker.
    Waiting,
    /// `Pending`, and no clone of its waker exists: nothing can ever wake it.
    Stranded,
    /// The task is over. Whoever awaits it must be woken (by the caller,
    /// once the task is out of the table).
    Done { how: Ending, awaiter: Option<Waker> },
}

impl Core {
    pub(crate) fn new(run_queue: RunQueue, timers: Timers, hooks: Rc<Hooks>) -> Self {
        Core {
            run_queue,
            tasks: RefCell::new(Slab::new()),
            timers,
            hooks,
            closed: Cell::new(false),
        }
    }
}

// ANCHOR: current
thread_local! {
    /// The executor whose `block_on` is running on this thread (or that is
    /// shutting down on it), if any.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// The executor running on this thread, if any.
///
/// Also safe while the thread exits (a waker dropped by another
/// thread-local's destructor): then there is none.
pub(crate) fn current() -> Option<Rc<Core>> {
    CURRENT
        .try_with(|current| current.try_borrow().ok()?.clone())
        .ok()
        .flatten()
}

/// The executor running on this thread, or a panic that says how to get
/// one. `what` names the caller: "busy_chef::spawn", ...
pub(crate) fn expect_current(what: &str) -> Rc<Core> {
    current().unwrap_or_else(|| {
        panic!(
            "{what} was called with no busy-chef executor running on this thread. \
             Call it from inside a future run by `busy_chef::block_on(...)` or \
             `Executor::block_on(...)` (for example in the `async` block you pass \
             to block_on, or in a task spawned from there)."
        )
    })
}
// ANCHOR_END: current

/// Marks a `Core` as running on this thread until dropped, then restores
/// what was there before.
pub(crate) struct Enter {
    previous: Option<Rc<Core>>,
    /// Its slot in the registry the debugger reads (`base/debugger.rs`).
    registered: Option<usize>,
}

/// `block_on` starts. Panics if an executor is running here already.
pub(crate) fn enter(core: &Rc<Core>) -> Enter {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        if current.is_some() {
            panic!(
                "block_on was called inside a future that busy-chef is already running \
                 (a block_on nested in a task or in another block_on). That would stop \
                 the outer executor, and every task on it, until the inner future \
                 finishes. Use `.await` instead, or `spawn` the future and `.await` \
                 its JoinHandle."
            );
        }
        *current = Some(core.clone());
    });
    let registered = debugger::register(Rc::as_ptr(core).cast());
    Enter {
        previous: None,
        registered,
    }
}

/// The executor shuts down: `Drop` impls that call `spawn` or wake a task
/// reach the executor being dropped (which refuses politely) rather than
/// panicking. Unlike [`enter`], it may nest.
pub(crate) fn enter_for_shutdown(core: &Rc<Core>) -> Enter {
    let previous = CURRENT
        .try_with(|current| current.borrow_mut().replace(core.clone()))
        .ok()
        .flatten();
    let registered = debugger::register(Rc::as_ptr(core).cast());
    Enter {
        previous,
        registered,
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
        if let Some(slot) = self.registered {
            debugger::unregister(slot);
        }
    }
}

// ANCHOR: schedule
/// A wake's last step: puts the task's key into its executor's run queue,
/// through the local door if that executor is running on this thread, else
/// through the channel.
pub(crate) fn schedule(inbox: &Inbox, key: Key, id: TaskId) {
    match current() {
        Some(core) if core.run_queue.owns(inbox) => {
            core.run_queue.push(key);
            core.hooks.woken(id);
        }
        _ => inbox.send(key, id),
    }
}
// ANCHOR_END: schedule

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Executor");
        s.field("clock", self.timers.clock());
        // Spawned tasks only: not `block_on`'s future, nor a task being polled.
        match self.tasks.try_borrow() {
            Ok(tasks) => {
                let spawned = tasks.iter().filter(|(_, e)| matches!(e, Entry::Task(_)));
                s.field("tasks", &spawned.count())
            }
            Err(_) => s.field("tasks", &"<in use>"),
        };
        s.field("run_queue", &self.run_queue);
        s.field("timers", &self.timers);
        s.field("hooks", &*self.hooks);
        s.field("closed", &self.closed.get()).finish()
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Task(task) => match task.name() {
                Some(name) => write!(f, "{} {name:?}", task.id()),
                None => write!(f, "{}", task.id()),
            },
            Entry::BlockOn => f.write_str("block_on's future"),
        }
    }
}
