//! A task's state: its flags, who may change each one, and the named
//! transitions between them.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! ```text
//!              ① spawn                        ② start_poll → Poll; Pending
//!   (new) ──────────────► QUEUED ─────────────────────────────────► WAITING
//!                           ▲ │                                        │
//!                           │ │ ④ complete: the poll returned Ready    │
//!                           │ │   or panicked, or start_poll → Cancel  │
//!                           │ ▼                                        │
//!                           │ DONE ──► ⑤ take_output (the JoinHandle)  │
//!                           │          or detach (it was dropped)      │
//!                           └──────────────────────────────────────────┘
//!                              ③ transition_to_queued: a wake, or abort
//! ```
//!
//! 1. `Core::spawn` (`runtime/mod.rs`) makes the state with
//!    [`State::new_spawned`]: queued, with a `JoinHandle`.
//! 2. [`State::start_poll`] clears `queued` *before* the poll, so a wake
//!    during the poll queues the task again (it is polled once more, next
//!    turn). A poll that returns `Pending` changes no flag: the task waits.
//! 3. [`State::transition_to_queued`] (any thread): only the wake that flips
//!    `queued` from `false` to `true` pushes the task's key. A task is never
//!    in the run queue twice. [`State::abort`] sets ABORT, then wakes.
//! 4. [`State::complete`]: DONE for good; `queued` stays set, so later wakes
//!    do nothing.
//! 5. [`State::take_output`], [`State::detach`]: the `JoinHandle`'s side.
//!
//! ## Who may touch what
//!
//! `queued` is touched by wakers on any thread: an atomic, with
//! acquire/release ordering, so that what the waking thread wrote before the
//! wake (a message, a result) is visible to the poll that follows. The other
//! flags are read and written only on the executor's thread. They are an
//! atomic too, only so that the header that holds them stays safe to share
//! with wakers; plain (`Relaxed`) loads and stores cost what a `Cell` costs.

use std::fmt;
use std::sync::atomic::{fence, AtomicBool, AtomicU8, Ordering};

// ANCHOR: flags
/// The flags other than `queued` (executor thread only).
mod flags {
    /// A `JoinHandle` exists. While set, the output is kept for it; once
    /// cleared (the handle was dropped: the task is *detached*), the output
    /// is dropped as soon as the task finishes.
    pub const HANDLE: u8 = 1 << 0;
    /// `abort()` was called. Set only before DONE; the next `start_poll`
    /// answers `Cancel` instead of `Poll`.
    pub const ABORT: u8 = 1 << 1;
    /// The future is gone: it finished, panicked, or was cancelled. Never
    /// cleared.
    pub const DONE: u8 = 1 << 2;
    /// The stage (`stage.rs`) is in use: its future is being polled or
    /// dropped. A borrow flag: no other access to the stage may start.
    pub const BUSY: u8 = 1 << 3;
    /// The stage holds the output, kept for the `JoinHandle`. Set only with
    /// DONE; cleared when the handle takes the output or is dropped.
    pub const OUTPUT: u8 = 1 << 4;
    /// It has a name, in the executor's table of names. Never changes.
    pub const NAMED: u8 = 1 << 5;
}
// ANCHOR_END: flags

/// A task's flags. See the module docs.
pub(crate) struct State {
    /// Set while the task's key is in the run queue (or forever, once DONE).
    /// Invariant: the key is pushed only by the wake that sets this flag
    /// from `false` to `true`, so it is in the queue at most once.
    queued: AtomicBool,
    flags: AtomicU8,
}

/// What `transition_to_queued` asks of the waker.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Wake {
    /// This wake queued the task: push its key.
    PushKey,
    /// Queued already, or done: nothing to do.
    Nothing,
}

/// What `start_poll` tells the executor to do.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum StartPoll {
    /// Poll the future.
    Poll,
    /// It was aborted: drop the future instead.
    Cancel,
    /// It is done already: a wake that came too late. Do nothing.
    Finished,
}

/// What `complete` says about the output.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Completion {
    /// A `JoinHandle` waits for it: store it.
    KeepOutput,
    /// Detached: nobody will read it. Drop it.
    DropOutput,
}

/// What `abort` did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Abort {
    /// Marked: wake the task so the executor cancels it.
    WakeToCancel,
    /// Done already: nothing to cancel.
    TooLate,
}

// Every method is tiny and called from the generic `Task<F>`
// code, which the compiler builds in the crate that spawns: `#[inline]`
// lets it see through them there.
impl State {
    /// ① A spawned task: queued, with a `JoinHandle`, with a name or not.
    #[inline]
    pub(crate) fn new_spawned(named: bool) -> State {
        let named = if named { flags::NAMED } else { 0 };
        State {
            queued: AtomicBool::new(true),
            flags: AtomicU8::new(flags::HANDLE | named),
        }
    }

    /// `block_on`'s own future: queued, and nothing else applies.
    #[inline]
    pub(crate) fn new_block_on() -> State {
        State {
            queued: AtomicBool::new(true),
            flags: AtomicU8::new(0),
        }
    }

    // ----- any thread -------------------------------------------------------

    // ANCHOR: wake
    /// ③ A wake: queued from now on. Only the wake that changed the flag
    /// pushes the key.
    #[inline]
    pub(crate) fn transition_to_queued(&self) -> Wake {
        if self.queued.swap(true, Ordering::AcqRel) {
            Wake::Nothing
        } else {
            Wake::PushKey
        }
    }
    // ANCHOR_END: wake

    #[inline]
    pub(crate) fn is_queued(&self) -> bool {
        self.queued.load(Ordering::Acquire)
    }

    /// Can nothing ever wake this task? True if its reference count shows
    /// no reference beyond the `owners` the executor holds itself (so no
    /// waker clone exists anywhere) and it is not queued. `strong_count`
    /// must be read before this call: a clone woken and then dropped on
    /// another thread set `queued` before its drop lowered the count, and
    /// the fence makes that `queued` visible here.
    #[inline]
    pub(crate) fn is_stranded(&self, strong_count: usize, owners: usize) -> bool {
        strong_count <= owners && !self.is_queued_after_count()
    }

    /// `queued`, read after the caller read the task's reference count (see
    /// [`State::is_stranded`]).
    #[inline]
    pub(crate) fn is_queued_after_count(&self) -> bool {
        fence(Ordering::Acquire);
        self.is_queued()
    }

    // ----- executor thread --------------------------------------------------

    #[inline]
    fn flags(&self) -> u8 {
        self.flags.load(Ordering::Relaxed)
    }

    #[inline]
    fn has(&self, flag: u8) -> bool {
        self.flags() & flag != 0
    }

    #[inline]
    fn set(&self, flag: u8) {
        self.flags.store(self.flags() | flag, Ordering::Relaxed);
    }

    #[inline]
    fn clear(&self, flag: u8) {
        self.flags.store(self.flags() & !flag, Ordering::Relaxed);
    }

    /// `block_on`'s future is about to be polled: a wake from now on queues
    /// it again.
    #[inline]
    pub(crate) fn clear_queued(&self) {
        self.queued.swap(false, Ordering::AcqRel);
    }

    // ANCHOR: start_poll
    /// ② The executor took the task's key from the run queue.
    #[inline]
    pub(crate) fn start_poll(&self) -> StartPoll {
        debug_assert!(self.is_queued(), "run only from the queue");
        if self.has(flags::DONE) {
            return StartPoll::Finished;
        }
        // Before the poll: a wake during the poll must queue the task again.
        self.queued.swap(false, Ordering::AcqRel);
        if self.has(flags::ABORT) {
            StartPoll::Cancel
        } else {
            StartPoll::Poll
        }
    }
    // ANCHOR_END: start_poll

    /// ④ The future is gone (the stage set DONE as it dropped it). Every
    /// later wake finds `queued` set and does nothing; the output is kept
    /// only if a `JoinHandle` exists.
    #[inline]
    pub(crate) fn complete(&self) -> Completion {
        debug_assert!(self.has(flags::DONE), "complete before DONE");
        self.clear(flags::ABORT);
        self.queued.store(true, Ordering::Release);
        if self.has(flags::HANDLE) {
            Completion::KeepOutput
        } else {
            Completion::DropOutput
        }
    }

    /// ③ `JoinHandle::abort`.
    #[inline]
    pub(crate) fn abort(&self) -> Abort {
        debug_assert!(self.has(flags::HANDLE), "abort without a handle");
        if self.has(flags::DONE) {
            return Abort::TooLate;
        }
        self.set(flags::ABORT);
        Abort::WakeToCancel
    }

    /// ⑤ The `JoinHandle` was dropped: the task is detached. An output
    /// still in the stage is the caller's to drop.
    #[inline]
    pub(crate) fn detach(&self) {
        debug_assert!(self.has(flags::HANDLE), "detached twice");
        self.clear(flags::HANDLE);
    }

    /// ⑤ True if the output is in the stage; it is not, from now on (the
    /// caller moves it out).
    #[inline]
    pub(crate) fn take_output(&self) -> bool {
        debug_assert!(!self.has_output() || self.is_done(), "OUTPUT before DONE");
        let had = self.has(flags::OUTPUT);
        self.clear(flags::OUTPUT);
        had
    }

    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.has(flags::DONE)
    }

    #[inline]
    pub(crate) fn has_handle(&self) -> bool {
        self.has(flags::HANDLE)
    }

    #[inline]
    pub(crate) fn is_named(&self) -> bool {
        self.has(flags::NAMED)
    }

    // ----- the stage's borrow flags (`stage.rs` only) -------------------------

    /// Marks the stage in use; panics if it is in use already (a task polled
    /// inside its own poll).
    #[inline]
    pub(super) fn begin_stage_access(&self) {
        assert!(
            !self.has(flags::BUSY),
            "a task's future was used inside its own poll or drop"
        );
        self.set(flags::BUSY);
    }

    #[inline]
    pub(super) fn end_stage_access(&self) {
        self.clear(flags::BUSY);
    }

    #[inline]
    pub(super) fn is_stage_busy(&self) -> bool {
        self.has(flags::BUSY)
    }

    #[inline]
    pub(super) fn set_done(&self) {
        self.set(flags::DONE);
    }

    #[inline]
    pub(super) fn has_output(&self) -> bool {
        self.has(flags::OUTPUT)
    }

    #[inline]
    pub(super) fn set_output(&self) {
        self.set(flags::OUTPUT);
    }
}

impl fmt::Debug for State {
    /// The flags by name: `QUEUED | HANDLE`, or `WAITING` when none is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        if self.is_queued() && !self.is_done() {
            names.push("QUEUED");
        }
        for (flag, name) in [
            (flags::BUSY, "BUSY"),
            (flags::HANDLE, "HANDLE"),
            (flags::ABORT, "ABORT"),
            (flags::DONE, "DONE"),
            (flags::OUTPUT, "OUTPUT"),
            (flags::NAMED, "NAMED"),
        ] {
            if self.has(flag) {
                names.push(name);
            }
        }
        if names.is_empty() {
            names.push("WAITING");
        }
        f.write_str(&names.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_pushes_the_key_once_until_the_next_poll() {
        let state = State::new_spawned(false);
        assert_eq!(
            state.transition_to_queued(),
            Wake::Nothing,
            "spawned queued"
        );
        assert_eq!(state.start_poll(), StartPoll::Poll);
        assert_eq!(state.transition_to_queued(), Wake::PushKey);
        assert_eq!(state.transition_to_queued(), Wake::Nothing);
        assert_eq!(format!("{state:?}"), "QUEUED | HANDLE");
    }

    #[test]
    fn an_aborted_task_is_cancelled_at_its_next_poll_and_a_done_one_never_again() {
        let state = State::new_spawned(false);
        assert_eq!(state.abort(), Abort::WakeToCancel);
        assert_eq!(state.start_poll(), StartPoll::Cancel);
        state.set_done();
        assert_eq!(state.complete(), Completion::KeepOutput);
        assert_eq!(state.start_poll(), StartPoll::Finished);
        assert_eq!(state.abort(), Abort::TooLate);
        assert_eq!(state.transition_to_queued(), Wake::Nothing, "done: no wake");
    }

    #[test]
    fn a_detached_task_drops_its_output() {
        let state = State::new_spawned(false);
        state.detach();
        assert_eq!(state.start_poll(), StartPoll::Poll);
        state.set_done();
        assert_eq!(state.complete(), Completion::DropOutput);
        assert_eq!(format!("{state:?}"), "DONE");
    }
}
