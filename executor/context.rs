//! Which executor is running on this thread?
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! `spawn(future)`, `sleep(duration)` and `Instant::now()` take no executor
//! argument, yet they must reach the executor that is running the task that
//! calls them. `block_on` records its executor in a thread-local for as long
//! as it runs; these functions look it up there. The same lookup tells a wake
//! whether it may use the fast local door of the waker queue (`queue.rs`).
//!
//! The record also forbids a `block_on` inside a task: that would freeze the
//! outer executor (and every task on it) until the inner one finishes.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use crate::executor::Core;
use crate::join_handle::JoinHandle;
use crate::queue::Queues;
use crate::task::TaskName;

thread_local! {
    /// The executor whose `block_on` is running on this thread (or that is
    /// shutting down on it), if any.
    static RUNNING: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };

    /// The same executor as a bare address (null: none), for the two lookups
    /// that happen all the time: every wake, and every `spawn`. `RUNNING`
    /// holds an `Rc`, so it has a destructor, and every access must first
    /// check that the thread is not exiting, then borrow the `RefCell`; a
    /// `Cell` of a raw pointer has no destructor, so reading it is a single
    /// load. It is set and cleared together with `RUNNING`, whose `Rc` keeps
    /// the `Core` alive meanwhile.
    static RUNNING_FAST: Cell<*const Core> = const { Cell::new(std::ptr::null()) };
}

/// Keeps `RUNNING_FAST` in step with `RUNNING`.
fn set_running_fast(core: Option<&Rc<Core>>) {
    let core = core.map_or(std::ptr::null(), Rc::as_ptr);
    let _ = RUNNING_FAST.try_with(|cell| cell.set(core));
}

/// The fast path of [`with_core`]: the running executor, read from
/// `RUNNING_FAST`, if any. `#[inline]`: a call would cost as much as the load.
#[inline]
pub(crate) fn with_core_fast<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    // `try_with`: like `with_core`, safe while the thread exits (`None` then).
    let core = RUNNING_FAST.try_with(Cell::get).unwrap_or(std::ptr::null());
    // SAFETY: non-null only between `enter*` and the `Enter` guard's drop,
    // while `RUNNING` holds an `Rc` of this `Core`. The reference does not
    // outlive `f`.
    f(unsafe { core.as_ref() })
}

/// Calls `f` with the running executor, or `None` if there is none.
///
/// Also safe to call while the thread is exiting (a waker dropped by another
/// thread-local's destructor): then it reports `None`.
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&Rc<Core>>) -> R) -> R {
    let mut f = Some(f);
    let result = RUNNING.try_with(|running| {
        let running = running.try_borrow().ok();
        let core = running.as_ref().and_then(|running| running.as_ref());
        (f.take().expect("called once"))(core)
    });
    match result {
        Ok(value) => value,
        Err(_thread_local_destroyed) => (f.take().expect("called once"))(None),
    }
}

/// Like [`with_core`], but hands out only the queues (what a wake needs).
/// Every wake asks, so it takes the fast path (`RUNNING_FAST`).
pub(crate) fn with_running<R>(f: impl FnOnce(Option<&Queues>) -> R) -> R {
    with_core_fast(|core| f(core.map(|core| &core.queues)))
}

/// The running executor, or a panic that says how to get one.
pub(crate) fn expect_core<R>(what: &str, f: impl FnOnce(&Rc<Core>) -> R) -> R {
    with_core(|core| match core {
        Some(core) => f(core),
        None => panic!(
            "{what} was called with no busy-chef executor running on this thread. \
             Call it from inside a future run by `busy_chef::block_on(...)` or \
             `Executor::block_on(...)` (for example in the `async` block you pass \
             to block_on, or in a task spawned from there)."
        ),
    })
}

/// Like [`expect_core`], through the fast path (`RUNNING_FAST`): for what
/// runs all the time, such as `sleep` and `Sleep::poll`. (Through `RUNNING`,
/// those two lookups were 17 % of `timers_cancel` in `bench/`.)
pub(crate) fn expect_core_fast<R>(what: &str, f: impl FnOnce(&Core) -> R) -> R {
    with_core_fast(|core| match core {
        Some(core) => f(core),
        None => expect_core(what, |core| f(core)), // panics, saying what to do
    })
}

/// Marks `core` as running on this thread until the guard is dropped.
pub(crate) struct Enter {
    previous: Option<Rc<Core>>,
}

/// Called by `block_on`. Panics if an executor is already running here.
pub(crate) fn enter(core: &Rc<Core>) -> Enter {
    RUNNING.with(|running| {
        let mut running = running.borrow_mut();
        if running.is_some() {
            panic!(
                "block_on was called inside a future that busy-chef is already running \
                 (a block_on nested in a task or in another block_on). That would stop \
                 the outer executor, and every task on it, until the inner future \
                 finishes. Use `.await` instead, or `spawn` the future and `.await` \
                 its JoinHandle."
            );
        }
        *running = Some(core.clone());
    });
    set_running_fast(Some(core));
    Enter { previous: None }
}

/// Called while an executor shuts down, so that `Drop` impls that call
/// `spawn` or wake a task reach the executor being dropped (which refuses
/// politely) rather than panicking. Unlike [`enter`], it may nest.
pub(crate) fn enter_for_shutdown(core: &Rc<Core>) -> Enter {
    let previous = RUNNING
        .try_with(|running| running.borrow_mut().replace(core.clone()))
        .ok()
        .flatten();
    set_running_fast(Some(core));
    Enter { previous }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        set_running_fast(previous.as_ref());
        let _ = RUNNING.try_with(|running| *running.borrow_mut() = previous);
    }
}

/// Spawns `future` onto the executor running on this thread, and returns a
/// [`JoinHandle`] to await its output.
///
/// The task starts running at the executor's next turn, not inside `spawn`.
/// Dropping the `JoinHandle` detaches the task: it keeps running.
///
/// # Panics
///
/// If no busy-chef executor is running on this thread (see
/// [`Executor::spawn`](crate::Executor::spawn) to spawn from outside).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    // Fast path (`RUNNING_FAST`): spawning is as frequent as waking.
    with_core_fast(|core| match core {
        Some(core) => core.spawn(None, future),
        None => expect_core("busy_chef::spawn", |core| core.spawn(None, future)), // panics
    })
}

/// Like [`spawn`], with a name: warnings, `Debug` output and
/// [traces](crate::trace) show it (an unnamed task is `task-N`).
///
/// ```
/// busy_chef::Executor::simulated().block_on(async {
///     let toast = busy_chef::spawn_named("toast", async { "toast" });
///     assert_eq!(toast.await.unwrap(), "toast");
/// });
/// ```
///
/// # Panics
///
/// If no busy-chef executor is running on this thread.
pub fn spawn_named<F>(name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let name = name.into();
    expect_core("busy_chef::spawn_named", |core| {
        core.spawn(Some(name), future)
    })
}
