//! Big futures and big outputs go to the heap before they are spawned.
//!
//! Layer 4, used by `spawn.rs`.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! A future is passed by value from `spawn` down to its place in the task,
//! and its output by value from its last poll into the task and out through
//! the `JoinHandle`. An unoptimized build copies such a value on the stack
//! at every step, so a large one overflows a small stack (a 2 MiB test
//! thread). Above [`SPILL_AT`] bytes, one allocation up front costs less
//! than those copies, and it keeps the task small: the future is spawned
//! boxed, and the output is boxed where it is made and unboxed only when
//! the `JoinHandle` hands it out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::base::id::TaskId;

use crate::runtime::join_handle::{JoinError, JoinHandle, JoinTarget};

/// Futures and outputs larger than this many bytes are spilled to the heap.
pub(crate) const SPILL_AT: usize = 4096;

/// Does a value of type `T` go to the heap?
pub(crate) const fn spills<T>() -> bool {
    std::mem::size_of::<T>() > SPILL_AT
}

/// A future whose output is boxed as soon as it is ready.
pub(crate) struct BoxOutput<F>(pub(crate) Pin<Box<F>>);

impl<F: Future> Future for BoxOutput<F> {
    type Output = Box<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Box<F::Output>> {
        self.0.as_mut().poll(cx).map(Box::new)
    }
}

/// A task whose output is boxed, seen by a `JoinHandle` of the unboxed type.
struct Unbox<T>(JoinHandle<Box<T>>);

impl<T> JoinTarget<T> for Unbox<T> {
    fn id(&self) -> TaskId {
        self.0.id()
    }

    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        self.0
            .target()
            .poll_join(cx)
            .map(|result| result.map(|boxed| *boxed))
    }

    fn abort(&self) {
        self.0.abort();
    }

    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }

    fn detach(&self) {
        // Dropping the inner handle (with `Unbox`) detaches the task.
    }
}

/// The handle of a boxed-output task, as a handle of the unboxed output.
pub(crate) fn unbox<T: 'static>(handle: JoinHandle<Box<T>>) -> JoinHandle<T> {
    JoinHandle::new(std::sync::Arc::new(Unbox(handle)))
}
