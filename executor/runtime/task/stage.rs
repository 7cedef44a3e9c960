//! The stage: a task's future, and then its output, in the same bytes.
//!
//! Book chapters: *Tasks and the waker queue* (`book/src/tasks.md`), and the
//! appendix *Making it fast* (`book/src/making-it-fast.md`) for why a
//! `union`.
//!
//! The output exists only once the future is gone, so the two never need
//! room at once. A `union` has no tag of its own: the task's [`State`] says
//! what is in it, and every method here checks it before it touches the
//! bytes, so all of them are safe to call:
//!
//! | flags in `State`  | the stage holds                              |
//! |-------------------|----------------------------------------------|
//! | not DONE          | the future, pinned: it never moves           |
//! | DONE and OUTPUT   | the output, waiting for the `JoinHandle`     |
//! | DONE, no OUTPUT   | nothing (taken, dropped, or never produced)  |
//!
//! The BUSY flag is the stage's borrow flag, like a `RefCell`'s: it is set
//! while the future is polled or dropped, and no other access may start
//! then. (User code runs during both: a poll could reach its own task's
//! `JoinHandle`, a destructor could spawn.)
//!
//! Each method takes the `State` of the task that owns this stage. The only
//! owner is `Task` (`task/mod.rs`), whose fields are private, and it always
//! passes its own header's state.

use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::state::State;
use crate::base::panic::PanicPayload;

union Slot<F: Future, T> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<T>,
}

/// The future `F`, then an output `T`. See the module docs.
pub(crate) struct Stage<F: Future, T> {
    slot: UnsafeCell<Slot<F, T>>,
}

impl<F: Future, T> Stage<F, T> {
    #[inline]
    pub(crate) fn new(future: F) -> Self {
        Stage {
            slot: UnsafeCell::new(Slot {
                future: ManuallyDrop::new(future),
            }),
        }
    }

    // ANCHOR: stage_poll
    /// Polls the future once; a panic is caught and returned.
    ///
    /// # Panics
    ///
    /// If the future is gone (DONE) or in use (a poll inside its own poll).
    #[inline]
    pub(crate) fn poll(
        &self,
        state: &State,
        cx: &mut Context<'_>,
    ) -> Result<Poll<F::Output>, PanicPayload> {
        assert!(!state.is_done(), "polled a task whose future is gone");
        state.begin_stage_access();
        // The future lives inside the task's allocation and never moves out
        // of it: it stays here until `drop_future` drops it in place. That
        // is the promise `Pin` needs.
        // SAFETY: not DONE, so the slot holds the future; BUSY was clear and
        // is now set, so this is the only reference to it until the poll
        // returns; and it is pinned in place (just above).
        let future = unsafe { Pin::new_unchecked(&mut *(*self.slot.get()).future) };
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        state.end_stage_access();
        polled
    }
    // ANCHOR_END: stage_poll

    /// Drops the future in place: DONE from then on. A panic from its
    /// destructor is caught and returned; the future counts as dropped
    /// anyway (the rest of its fields were dropped as the panic unwound).
    ///
    /// # Panics
    ///
    /// If the future is gone already, or in use.
    #[inline]
    pub(crate) fn drop_future(&self, state: &State) -> Result<(), PanicPayload> {
        assert!(!state.is_done(), "a task's future is dropped once");
        state.begin_stage_access();
        // SAFETY: not DONE, so the slot holds the future; BUSY makes this the
        // only access; and DONE, set right after, means it is never touched
        // again.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
            ManuallyDrop::drop(&mut (*self.slot.get()).future)
        }));
        state.set_done();
        state.end_stage_access();
        dropped
    }

    /// Stores the output (OUTPUT from then on).
    ///
    /// # Panics
    ///
    /// If the future is not gone yet, or an output is stored already.
    #[inline]
    pub(crate) fn store_output(&self, state: &State, output: T) {
        assert!(
            state.is_done() && !state.has_output() && !state.is_stage_busy(),
            "the output is stored once, after the future is gone"
        );
        // SAFETY: DONE without OUTPUT: the slot holds nothing (writing a
        // `ManuallyDrop` field drops nothing), and no reference into it
        // exists (not BUSY).
        unsafe { (*self.slot.get()).output = ManuallyDrop::new(output) };
        state.set_output();
    }

    /// Takes the output out, if it is there.
    #[inline]
    pub(crate) fn take_output(&self, state: &State) -> Option<T> {
        if !state.take_output() {
            return None;
        }
        // OUTPUT is set only once the future is gone, so no poll or drop
        // holds a reference into the slot.
        // SAFETY: OUTPUT was set, so the slot holds the output; the flag,
        // cleared just above, lets it be read out exactly once.
        Some(unsafe { ManuallyDrop::take(&mut (*self.slot.get()).output) })
    }

    /// Drops whatever is still in the stage: for the task's destructor.
    #[inline]
    pub(crate) fn drop_contents(&mut self, state: &State) {
        let slot = self.slot.get_mut();
        if !state.is_done() {
            // SAFETY: not DONE: the slot holds the future, and `&mut self`
            // means nothing else can reach it.
            unsafe { ManuallyDrop::drop(&mut slot.future) };
        } else if state.take_output() {
            // SAFETY: OUTPUT: the slot holds the output; `&mut self` again.
            unsafe { ManuallyDrop::drop(&mut slot.output) };
        }
    }

    /// What is in the stage, in words (for `Debug` and the debugger).
    pub(crate) fn describe(&self, state: &State) -> &'static str {
        match (state.is_done(), state.has_output(), state.is_stage_busy()) {
            (false, _, true) => "future (being polled)",
            (false, _, false) => "future",
            (true, true, _) => "output",
            (true, false, _) => "empty",
        }
    }
}
