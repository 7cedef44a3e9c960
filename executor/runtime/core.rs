//! `Core`: everything one executor owns, and the one thread-local that says
//! which `Core` is running on this thread.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! `spawn(future)`, `sleep(duration)` and `Instant::now()` take no executor
//! argument, yet they must reach the executor that runs the task calling
//! them. `block_on` records its `Core` in a thread-local for as long as it
//! runs, with a guard ([`enter`]) that puts the previous value back however
//! `block_on` ends; [`current`] and [`expect_current`] hand out a clone of
//! its `Rc`. The same lookup tells a wake which door of the run queue to
//! take ([`schedule`]), and forbids a `block_on` inside a task, which would
//! freeze the outer executor, and every task on it, until the inner one
//! finished.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use crate::base::debugger;
use crate::base::id::{TaskId, TaskName};
use crate::collections::slab::{Key, Keyed, Slab};
use crate::diagnostics::deadlock::TaskFacts;
use crate::diagnostics::hooks::Hooks;
use crate::diagnostics::trace::Ending;

use super::scheduler::{Inbox, RunQueue};
use super::timers::Timers;

// ANCHOR: core
/// Everything the executor owns. Shared (by `Rc`) with the thread-local
/// record of the running executor, and weakly with `Sleep`s.
pub(crate) struct Core {
    pub(crate) run_queue: RunQueue,
    /// The task table: every spawned task that is not finished, and the bare
    /// header that stands for the future of the `block_on` in progress (that
    /// future lives on `block_on`'s stack, but it has a key like any task,
    /// so its waker works the same way).
    pub(crate) tasks: RefCell<Slab<Arc<dyn Runnable>>>,
    /// The names given to `spawn_named`, for as long as their task lives:
    /// kept here, so that an unnamed task pays nothing for them.
    pub(crate) names: RefCell<HashMap<TaskId, TaskName>>,
    pub(crate) timers: Timers,
    /// Tracing and warnings: each hook is one test of a flag when off.
    pub(crate) hooks: Hooks,
    /// Set when the executor is being dropped: `spawn` refuses from then on.
    pub(crate) closed: Cell<bool>,
}

// ANCHOR_END: core

/// What the executor knows of a task in its table, whatever its future's
/// type (`task/mod.rs` implements it; so does the bare header that stands
/// for `block_on`'s future, `task/header.rs`).
pub(crate) trait Runnable {
    fn id(&self) -> TaskId;
    fn key(&self) -> Key;
    /// Polls the task once (or cancels it, if it was aborted). `this` is the
    /// task table's `Arc` of this very task: its wakers are made from it.
    fn run(&self, this: &Arc<dyn Runnable>) -> RunOutcome;
    /// Cancels the task while the executor shuts down: its future is
    /// dropped. Returns the waker of whoever awaits it, to be woken.
    fn shut_down(&self) -> Option<Waker>;
    /// What the deadlock check needs to know (`diagnostics/deadlock.rs`),
    /// but the name; `references`: its reference count, read just before.
    fn facts(&self, references: usize) -> TaskFacts;
    /// Is this the stand-in for `block_on`'s future?
    fn is_block_on(&self) -> bool {
        false
    }
}

impl Keyed for Arc<dyn Runnable> {
    #[inline]
    fn key(&self) -> Key {
        Runnable::key(&**self)
    }
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
    /// `named`: it has an entry in the table of names, to remove.
    Done {
        how: Ending,
        awaiter: Option<Waker>,
        named: bool,
    },
}

// ANCHOR: current
thread_local! {
    /// The executor whose `block_on` is running on this thread (or that is
    /// shutting down on it), if any. The `Rc` is in a `ManuallyDrop` so that
    /// the thread-local itself has no destructor: every wake and every spawn
    /// reads it, and a thread-local without one is a plain load. The
    /// [`Enter`] guard, its only writer, drops each `Rc` it takes out.
    static CURRENT: RefCell<Option<ManuallyDrop<Rc<Core>>>> = const { RefCell::new(None) };
}

/// The executor running on this thread, if any.
#[inline]
pub(crate) fn current() -> Option<Rc<Core>> {
    CURRENT.with(|current| match current.try_borrow() {
        Ok(current) => current.as_deref().cloned(),
        Err(_) => None, // being set or cleared by `Enter`
    })
}

/// The executor running on this thread, or a panic saying how to get one.
/// `what` names the caller: "busy_chef::spawn", ...
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
    previous: Option<ManuallyDrop<Rc<Core>>>,
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
        *current = Some(ManuallyDrop::new(core.clone()));
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
    let previous = CURRENT.with(|current| {
        current
            .borrow_mut()
            .replace(ManuallyDrop::new(core.clone()))
    });
    let registered = debugger::register(Rc::as_ptr(core).cast());
    Enter {
        previous,
        registered,
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let ours = CURRENT.with(|current| std::mem::replace(&mut *current.borrow_mut(), previous));
        drop(ours.map(ManuallyDrop::into_inner)); // outside the borrow
        if let Some(slot) = self.registered {
            debugger::unregister(slot);
        }
    }
}

// ANCHOR: schedule
/// A wake's last step: puts the task's key into its executor's run queue,
/// through the local door if that executor is running on this thread, else
/// through the channel.
///
/// `#[inline(always)]`: every wake ends here, and the compiler would leave it
/// a call of its own from each task type's waker (a debugger still shows it
/// as a frame of its own).
#[inline(always)]
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
                let spawned = tasks.iter().filter(|task| !task.is_block_on());
                s.field("tasks", &spawned.count())
            }
            Err(_) => s.field("tasks", &"<in use>"),
        };
        if let Ok(names) = self.names.try_borrow() {
            s.field("names", &*names);
        }
        s.field("run_queue", &self.run_queue);
        s.field("timers", &self.timers);
        s.field("hooks", &self.hooks);
        s.field("closed", &self.closed.get()).finish()
    }
}

impl Core {
    /// The name of task `id`, if it has one.
    pub(crate) fn name_of(&self, id: TaskId) -> Option<String> {
        let names = self.names.try_borrow().ok()?;
        names.get(&id).map(|name| name.to_string())
    }
}
