//! The ways to spawn a task: on the executor running on this thread or on a
//! given one, with a name or without.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! Layer 4: all of them end in `Core::spawn` (`runtime/mod.rs`), after big
//! futures and outputs have gone to the heap (`spill.rs`).

use std::future::Future;

use crate::runtime::core::{expect_current, Core};
use crate::runtime::join_handle::JoinHandle;
use crate::runtime::task::TaskName;
use crate::runtime::Executor;

impl Executor {
    /// Spawns `future` as a task of this executor. It runs during this
    /// executor's `block_on` calls (the current one, or the next one).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.core, None, future)
    }

    /// Like [`spawn`](Self::spawn), with a name: warnings, `Debug` output and
    /// [traces](crate::trace) show it (an unnamed task is `task-N`).
    pub fn spawn_named<F>(&self, name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.core, Some(name.into()), future)
    }
}

/// Every spawn ends here. Big futures and outputs go to the heap first
/// (`spill.rs`).
fn spawn_on<F>(core: &Core, name: Option<TaskName>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match (
        crate::spill::spills::<F>(),
        crate::spill::spills::<F::Output>(),
    ) {
        (false, false) => core.spawn(name, future),
        (true, false) => core.spawn(name, Box::pin(future)),
        (_, true) => {
            let boxed = crate::spill::BoxOutput(Box::pin(future));
            crate::spill::unbox(core.spawn(name, boxed))
        }
    }
}

// ANCHOR: spawn_fn
/// Spawns `future` onto the executor running on this thread, and returns a
/// [`JoinHandle`] to await its output.
///
/// The task starts running at the executor's next turn, not inside `spawn`.
/// Dropping the `JoinHandle` detaches the task: it keeps running. The future
/// must be `'static` (it outlives the caller's stack frame) but need not be
/// `Send`: it never leaves this thread.
///
/// ```
/// use std::rc::Rc;
///
/// busy_chef::Executor::simulated().block_on(async {
///     let shared = Rc::new(6); // not Send: fine on a single-threaded executor
///     let task = busy_chef::spawn({
///         let shared = shared.clone();
///         async move { *shared * 7 }
///     });
///     assert_eq!(task.await.unwrap(), 42);
/// });
/// ```
///
/// # Panics
///
/// If no busy-chef executor is running on this thread (see
/// [`Executor::spawn`] to spawn from outside).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    expect_current("busy_chef::spawn", |core| spawn_on(core, None, future))
}
// ANCHOR_END: spawn_fn

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
    expect_current("busy_chef::spawn_named", |core| spawn_on(core, Some(name), future))
}
