//! `JoinHandle`: the receipt you get from `spawn`, and `JoinError`.
//!
//! Book chapter: *`JoinHandle`* (`book/src/join-handle.md`).
//!
//! A `JoinHandle<T>` is a future that completes with the task's output once
//! the task finishes. Awaiting it stores the awaiter's waker in the task
//! (`task/mod.rs`); when the task finishes, the executor wakes that waker.
//! What a handle can ask of its task is the [`JoinTarget`] trait: spawned
//! tasks implement it, and so do `spawn_blocking`'s jobs (`blocking.rs`).
//!
//! | you do | the task |
//! |---|---|
//! | `handle.await` | keeps running; you get `Ok(output)` when it finishes |
//! | `drop(handle)` | keeps running, *detached*; its output is dropped when it finishes (tokio does the same; async-task's `Task` cancels instead; asyncio may garbage-collect a task you keep no reference to) |
//! | `handle.abort()` | is cancelled: its future is dropped at the executor's next turn, and `handle.await` gives `Err(e)` with `e.is_cancelled()` |
//! | (the task panics) | the panic is caught; `handle.await` gives `Err(e)` with `e.is_panic()`; the other tasks carry on |

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::base::id::TaskId;
pub(crate) use crate::base::join_error::JoinError;

/// A task seen by its `JoinHandle`, whatever it is.
pub(crate) trait JoinTarget<T> {
    fn id(&self) -> TaskId;
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(&self);
    fn is_finished(&self) -> bool;
    /// The `JoinHandle` is being dropped. Must not unwind: an output left
    /// unclaimed is dropped, and a panic from its destructor swallowed.
    fn detach(&self);
}

/// An owned permission to await a spawned task's output (see the module
/// docs). `Unpin`; not `Send` (the task lives on its executor's thread).
///
/// ```
/// busy_chef::Executor::simulated().block_on(async {
///     let toast = busy_chef::spawn(async { "toast" });
///     assert!(!toast.is_finished(), "spawned: it runs at the next turn");
///     assert_eq!(toast.await.unwrap(), "toast");
///
///     let forever = busy_chef::spawn(std::future::pending::<()>());
///     forever.abort();
///     assert!(forever.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct JoinHandle<T> {
    task: Arc<dyn JoinTarget<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Arc<dyn JoinTarget<T>>) -> Self {
        JoinHandle { task }
    }

    /// The task behind the handle.
    pub(crate) fn target(&self) -> &dyn JoinTarget<T> {
        &*self.task
    }

    /// Cancels the task: its future is dropped at the executor's next turn
    /// (never polled, if it has not started: see the scenario
    /// `abort_before_first_poll_from_outside_the_executor` in
    /// `tests/cancellation.rs`), and awaiting this handle gives
    /// a [`JoinError`] whose [`is_cancelled`](JoinError::is_cancelled) is
    /// true. Does nothing if the task has finished already.
    ///
    /// A handle from [`spawn_blocking`](crate::spawn_blocking) is settled the
    /// same way, but a closure that is already running cannot be stopped: it
    /// runs to the end on its thread and its result is dropped.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Has the task finished (completed, panicked, or been cancelled)?
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task.id()
    }
}

// ANCHOR: handle
impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_join(cx)
    }
}
// ANCHOR_END: handle

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.task.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.task.id())
            .field("finished", &self.task.is_finished())
            .finish()
    }
}
