//! The task header, and a `Waker` built by hand from a `RawWakerVTable`.
//!
//! Book chapter: *A waker by hand* (`book/src/waker.md`).
//!
//! A waker points at a task's [`Header`]: its id, its key in the task table,
//! its [`State`] and the executor's [`Inbox`]. That is everything a wake
//! needs, and all of it is safe to use from any thread. The header is the
//! first part of the task's one allocation (`task/mod.rs`); for `block_on`'s
//! own future, it is the whole allocation.
//!
//! A [`Waker`] is two words: a data pointer and a pointer to a table of four
//! functions (the *vtable*). std calls the functions; we write them:
//!
//! | function | called when | what ours does |
//! |---|---|---|
//! | `clone` | a future keeps a copy: `cx.waker().clone()` | one more reference to the task |
//! | `wake` | `waker.wake()`, consuming the waker | queue the task, then drop this reference |
//! | `wake_by_ref` | `waker.wake_by_ref()` | queue the task |
//! | `drop` | a `Waker` goes out of scope | one reference fewer |
//!
//! Our data pointer is an [`Arc`] turned into a raw pointer with
//! [`Arc::into_raw`]: a spawned task costs one allocation, and a waker is
//! that allocation's address.
//!
//! ## Why `Send + Sync`, in a single-threaded executor?
//!
//! `Waker` is `Send + Sync` in std, because a waker is *meant* to be handed to
//! whoever will finish the waiting: a reactor thread, a timer thread, a thread
//! pool. So these four functions may run on any thread, at any time, even
//! after the executor is gone. They therefore touch only the [`Header`], whose
//! fields are all thread-safe (ids, atomics and a channel sender). The future
//! itself (which need not be `Send`) is only ever touched by the executor's
//! own thread.
//!
//! ## The one table per kind of task
//!
//! The vtable is generic over the type `T` behind the pointer, so every kind of
//! task gets its own `static` table whose functions know how to rebuild an
//! `Arc<T>`: that is how `drop` can free the whole task, future included,
//! without knowing anything else about it.

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::state::{State, Wake};
use crate::base::id::TaskId;
use crate::collections::slab::Key;
use crate::diagnostics::deadlock::TaskFacts;
use crate::runtime::core::{schedule, RunOutcome, Runnable};
use crate::runtime::scheduler::Inbox;

// ANCHOR: header
/// What a waker needs to wake a task; safe to use from any thread.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    /// Where the task sits in its executor's task table.
    pub(crate) key: Key,
    pub(crate) state: State,
    /// The executor's door for wakes (`scheduler.rs`).
    inbox: Arc<Inbox>,
}
// ANCHOR_END: header

impl Header {
    #[inline]
    pub(crate) fn new(id: TaskId, key: Key, state: State, inbox: Arc<Inbox>) -> Self {
        Header {
            id,
            key,
            state,
            inbox,
        }
    }

    // ANCHOR: wake
    /// ③ Queues the task, unless it is queued already (or done).
    #[inline]
    pub(crate) fn wake(&self) {
        if self.state.transition_to_queued() == Wake::PushKey {
            schedule(&self.inbox, self.key, self.id);
        }
    }
    // ANCHOR_END: wake
}

impl Wakeable for Header {
    fn header(&self) -> &Header {
        self
    }
}

/// A bare header stands in the task table for `block_on`'s future, which
/// `block_on` polls in place: it is never run as a task.
impl Runnable for Header {
    fn id(&self) -> TaskId {
        self.id
    }

    fn key(&self) -> Key {
        self.key
    }

    fn run(&self, _: &Arc<dyn Runnable>) -> RunOutcome {
        unreachable!("block_on polls its own future; its header is never run")
    }

    fn shut_down(&self) -> Option<std::task::Waker> {
        None
    }

    fn facts(&self, references: usize) -> TaskFacts {
        TaskFacts {
            id: self.id,
            name: None,
            data: std::ptr::from_ref(self).cast(),
            references,
            own: 0,
            queued: self.state.is_queued_after_count(),
            awaiter: None,
        }
    }

    fn is_block_on(&self) -> bool {
        true
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("state", &self.state)
            .finish()
    }
}

/// Anything a waker can point at: it must lead to a [`Header`].
///
/// Implemented by spawned tasks (`Task<F>`) and by the bare `Header` that
/// stands for `block_on`'s own future.
pub(crate) trait Wakeable: 'static {
    fn header(&self) -> &Header;
}

// ANCHOR: waker
/// An owned `Waker` for `task` (it holds one reference to the task).
pub(crate) fn waker<T: Wakeable>(task: Arc<T>) -> Waker {
    let data = Arc::into_raw(task).cast::<()>();
    // The reference `data` holds is handed to the `Waker`, which gives it back
    // in `drop`/`wake`; the functions of `Vtable::<T>` treat `data` as exactly
    // that (see the four functions below), and all of them are thread-safe.
    // SAFETY: `data` came from `Arc::into_raw::<T>`, and `Vtable::<T>` upholds
    // `RawWaker`'s contract for it (explained just above).
    unsafe { Waker::from_raw(RawWaker::new(data, Vtable::<T>::get())) }
}
// ANCHOR_END: waker

// ANCHOR: waker_ref
/// A *borrowed* `Waker` for `task`: it does not own a reference, so it must
/// never be dropped (the `ManuallyDrop` makes sure). The executor builds one
/// for every poll; a future that wants to keep it calls `clone`, which does
/// take a reference. This saves two atomic operations per poll.
///
/// # Safety
///
/// `task` must be a pointer that `Arc::as_ptr` gave for a live `Arc<T>`,
/// because `clone` and `drop` treat the data pointer as one: `clone` raises
/// the count stored just before `T`, and the last `drop` frees the whole
/// allocation. The *same address* taken from a `&T` is not enough: a pointer
/// made from a reference may only touch the bytes of that `T`, not the
/// counts before it nor the allocation around it (Miri, Rust's checker for
/// undefined behaviour, reports exactly that). Every task lives in an `Arc`
/// (`Task::new_in_arc` makes it), and `Task::run` passes `Arc::as_ptr` of
/// the task table's `Arc`.
pub(crate) unsafe fn waker_ref<T: Wakeable>(task: *const T) -> ManuallyDrop<Waker> {
    let data = task.cast::<()>();
    // We borrow `task` for as long as the caller keeps the returned waker next
    // to it. The waker is wrapped in `ManuallyDrop`, so the vtable's `drop`
    // never runs for it and the reference count stays balanced.
    // SAFETY: `data` is a live `Arc<T>`'s pointer (the caller's promise), and
    // this borrowed waker never releases a reference.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, Vtable::<T>::get())) })
}
// ANCHOR_END: waker_ref

// ANCHOR: vtable
/// The four functions for tasks of type `T`.
struct Vtable<T>(PhantomData<T>);

impl<T: Wakeable> Vtable<T> {
    /// The one place every waker for a `T` gets its vtable from. A `const`
    /// referred to from several places may become several copies at several
    /// addresses, and `Waker::will_wake` compares addresses: a clone made in
    /// `clone` and the borrowed waker of the next poll would then look like
    /// wakers of different tasks, and a future that keeps its waker would
    /// re-clone it on every poll. Not inlined, so that there is one copy.
    /// Regression test: `a_kept_waker_will_wake_the_next_polls_waker` in
    /// `tests/waker_queue.rs`.
    #[inline(never)]
    fn get() -> &'static RawWakerVTable {
        &Self::VTABLE
    }

    const VTABLE: RawWakerVTable =
        RawWakerVTable::new(Self::clone, Self::wake, Self::wake_by_ref, Self::drop);

    /// `waker.clone()`: one more owner of the task.
    unsafe fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` came from `Arc::<T>::into_raw` or `Arc::as_ptr` on a
        // live `Arc<T>` (see `waker` and `waker_ref`), and the waker we are
        // cloning keeps that allocation alive for the duration of this call.
        unsafe { Arc::increment_strong_count(data.cast::<T>()) };
        RawWaker::new(data, Self::get())
    }

    /// `waker.wake()`: queue the task, then give up this waker's reference.
    unsafe fn wake(data: *const ()) {
        // SAFETY: this waker owns one reference (made by `waker` or `clone`);
        // `from_raw` takes it back, and dropping `task` at the end releases it.
        let task = unsafe { Arc::from_raw(data.cast::<T>()) };
        task.header().wake();
    }

    /// `waker.wake_by_ref()`: queue the task, keep the reference.
    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: the waker we are called through keeps the `T` alive, and we
        // only read its `Header`, whose fields are thread-safe.
        let task = unsafe { &*data.cast::<T>() };
        task.header().wake();
    }

    /// A `Waker` is dropped: one owner fewer. If it was the last one, the task
    /// is freed here, possibly on another thread. That is sound because the
    /// executor empties the task (drops its future and any unclaimed output)
    /// on its own thread before it lets go of its references; what is left is
    /// only thread-safe data (see `task/mod.rs`, "Who may touch what").
    unsafe fn drop(data: *const ()) {
        // SAFETY: this waker owns one reference; we release it.
        unsafe { Arc::decrement_strong_count(data.cast::<T>()) };
    }
}
// ANCHOR_END: vtable
