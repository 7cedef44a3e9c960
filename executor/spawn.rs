//! The ways to spawn a task: on the executor running on this thread or on a
//! given one, with a name or without.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! Layer 4: all of them end in `Core::spawn` (`runtime/mod.rs`), after big
//! futures and outputs have gone to the heap (`spill.rs`).

use std::future::Future;
use std::pin::Pin;

use crate::base::id::TaskName;
use crate::runtime::core::{expect_current, Core};
use crate::runtime::join_handle::JoinHandle;
use crate::runtime::Executor;
use crate::spill::{spills, unbox, BoxOutput};

/// Spawns `$future` (a variable of type `F`) on `$on`: big futures and
/// outputs go to the heap first (`spill.rs`), right here in the public
/// function's own frame. A macro, not a function: an unoptimized build
/// copies a by-value argument at every call, and a future of a few hundred
/// KiB must not be copied again before it is boxed.
macro_rules! spawn_spilled {
    ($on:expr, $name:expr, $future:ident) => {
        // `const`: the branch not taken is not even compiled in.
        if const { spills::<F>() || spills::<F::Output>() } {
            spawn_boxed($on, $name, Box::pin($future))
        } else {
            $on.spawn($name, $future)
        }
    };
}

/// A future on the heap; its output too, if that is big.
fn spawn_boxed<F>(on: On<'_>, name: Option<TaskName>, future: Pin<Box<F>>) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if const { spills::<F::Output>() } {
        unbox(on.spawn(name, BoxOutput(future)))
    } else {
        on.spawn(name, future)
    }
}

impl Executor {
    /// Spawns `future` as a task of this executor. It runs during this
    /// executor's `block_on` calls (the current one, or the next one).
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// let toast = exec.spawn(async { "toast" }); // from outside: nothing runs yet
    /// assert!(!toast.is_finished());
    /// assert_eq!(exec.block_on(toast).unwrap(), "toast");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_spilled!(On::Executor(&self.core), None, future)
    }

    /// Like [`spawn`](Self::spawn), with a name: warnings, `Debug` output and
    /// [traces](crate::trace) show it (an unnamed task is `task-N`).
    ///
    /// ```
    /// use busy_chef::trace::What;
    ///
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// let coffee = exec.spawn_named("coffee", async {});
    /// exec.block_on(coffee).unwrap();
    /// let trace = exec.take_trace();
    /// let named = |event: &&busy_chef::trace::Event| {
    ///     matches!(&event.what, What::Spawned { name, .. } if name == "coffee")
    /// };
    /// assert_eq!(trace.events.iter().filter(named).count(), 1);
    /// ```
    pub fn spawn_named<F>(&self, name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_spilled!(On::Executor(&self.core), Some(name.into()), future)
    }
}

/// Which executor a spawn goes to.
#[derive(Clone, Copy)]
enum On<'a> {
    /// This one.
    Executor(&'a Core),
    /// The one running on this thread; the name of the caller, for the
    /// panic if there is none.
    Current(&'static str),
}

impl On<'_> {
    fn spawn<F>(self, name: Option<TaskName>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        match self {
            On::Executor(core) => core.spawn(name, future),
            On::Current(what) => expect_current(what).spawn(name, future),
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
    spawn_spilled!(On::Current("busy_chef::spawn"), None, future)
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
    spawn_spilled!(
        On::Current("busy_chef::spawn_named"),
        Some(name.into()),
        future
    )
}
