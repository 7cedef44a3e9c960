//! A task: one spawned future, its state, and the slot for its output.
//!
//! Book chapters: *Tasks and the waker queue* (`book/src/tasks.md`) and
//! *`JoinHandle`* (`book/src/join-handle.md`).
//!
//! `spawn(future)` makes one allocation, an `Arc<Task<F>>`:
//!
//! ```text
//!   Arc<Task<F>> ────────────────────────────────────────────────────┐
//!   │ header   id, key, state (queued + flags), inbox   (header.rs)  │ ← wakers point here,
//!   │                                                                │   from any thread
//!   │ stage    the future F, then its output            (stage.rs)   │ ← executor thread only
//!   │ awaiter  the waker of whoever awaits the JoinHandle            │
//!   └────────────────────────────────────────────────────────────────┘
//!   owned by: the executor's task table (until the task is done), the
//!             JoinHandle (until dropped), and every clone of its Waker
//! ```
//!
//! The life of a task, with its numbered transitions, is drawn in
//! `state.rs`. This file ties the parts together: [`Task::run`] is one poll,
//! `finish` is the end.
//!
//! ## Who may touch what
//!
//! The header is read by wakers on any thread: it holds only ids, atomics
//! and the inbox, all thread-safe. Everything else (the stage, the awaiter,
//! and the state's flags other than `queued`) is touched only on the
//! executor's thread: through the task table (owned by the `!Send` executor)
//! or the `!Send` `JoinHandle`. Before those two let go, the executor's
//! thread empties the stage, so when the last reference is a waker on
//! another thread, freeing the task there drops nothing that is not
//! thread-safe.

mod header;
mod stage;
mod state;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::base::id::TaskId;
use crate::base::panic::drop_caught;
use crate::base::waker_slot::keep_latest;
use crate::collections::slab::Key;
use crate::diagnostics::deadlock::TaskFacts;
use crate::diagnostics::trace::Ending;

use super::core::{RunOutcome, Runnable};
use super::join_handle::{JoinError, JoinTarget};
use super::scheduler::Inbox;

pub(crate) use header::{waker, Header};
use stage::Stage;
pub(crate) use state::State;
use state::{Abort, Completion, StartPoll};

// ANCHOR: task_struct
/// One spawned future and everything the executor knows about it.
pub(crate) struct Task<F: Future> {
    header: Header,
    stage: Stage<F, Result<F::Output, JoinError>>,
    awaiter: Cell<Option<Waker>>,
}
// ANCHOR_END: task_struct

impl<F: Future + 'static> Task<F> {
    // ANCHOR: new_in_arc
    /// ① A new task, with a `JoinHandle` and queued, in its `Arc`.
    ///
    /// `Arc::new(Task { .. })` would build the task first and then copy it
    /// into the heap once the memory is allocated; this allocates first and
    /// writes the task into place (the appendix *Making it fast* says why
    /// that matters).
    #[inline(always)]
    pub(crate) fn new_in_arc(
        id: TaskId,
        key: Key,
        inbox: Arc<Inbox>,
        named: bool,
        future: F,
    ) -> Arc<Self> {
        let arc = Arc::<Self>::new_uninit();
        let place = Arc::as_ptr(&arc).cast_mut().cast::<Self>();
        // `Arc::get_mut` would check that we are alone with an atomic
        // operation; we know it: the `Arc` was made on the line above.
        // SAFETY: the `Arc` is new, so nothing else can see its memory, and
        // `place` points at its value, which is ours to initialize.
        unsafe {
            place.write(Task {
                header: Header::new(id, key, State::new_spawned(named), inbox),
                stage: Stage::new(future),
                awaiter: Cell::new(None),
            })
        };
        // SAFETY: initialized just above.
        unsafe { arc.assume_init() }
    }
    // ANCHOR_END: new_in_arc

    /// Can nothing ever wake this task? `references`: its reference count,
    /// of which the task table holds one (and the handle one, if any).
    fn is_stranded(&self, references: usize) -> bool {
        let owners = 1 + usize::from(self.header.state.has_handle());
        self.header.state.is_stranded(references, owners)
    }

    // ANCHOR: finish
    /// ④ Drops the future, stores or drops the result, and hands back the
    /// awaiter's waker for the executor to wake once the task is out of its
    /// table. Called once, on a task that is not done.
    ///
    /// `#[inline(always)]`: a large `result` then goes straight into the
    /// stage, instead of through a copy on the stack.
    #[inline(always)]
    fn finish(&self, mut result: Result<F::Output, JoinError>, how: Ending) -> RunOutcome {
        let state = &self.header.state;
        // The future's destructor is user code and may panic: a panic there
        // becomes the task's result (unless it had panicked already).
        if let Err(payload) = self.stage.drop_future(state) {
            if !matches!(&result, Err(e) if e.is_panic()) {
                result = Err(JoinError::panic(self.header.id, payload));
            }
        }
        match state.complete() {
            Completion::KeepOutput => self.stage.store_output(state, result),
            // Detached: nobody will ever read the output. Drop it here, on
            // the executor's thread (it need not be `Send`).
            Completion::DropOutput => drop_caught(result),
        }
        let awaiter = self.awaiter.take();
        let named = state.is_named();
        RunOutcome::Done {
            how,
            awaiter,
            named,
        }
    }
    // ANCHOR_END: finish
}

impl<F: Future + 'static> header::Wakeable for Task<F> {
    fn header(&self) -> &Header {
        &self.header
    }
}

impl<F: Future + 'static> Runnable for Task<F> {
    fn id(&self) -> TaskId {
        self.header.id
    }

    fn key(&self) -> Key {
        self.header.key
    }

    // ANCHOR: run
    fn run(&self, this: &Arc<dyn Runnable>) -> RunOutcome {
        match self.header.state.start_poll() {
            StartPoll::Poll => {}
            StartPoll::Cancel => {
                let cancelled = Err(JoinError::cancelled(self.header.id));
                return self.finish(cancelled, Ending::Cancelled);
            }
            StartPoll::Finished => unreachable!("a finished task is never in the task table"),
        }
        // The task's wakers point at the task table's `Arc` of it.
        let this_ptr = Arc::as_ptr(this).cast::<Self>();
        assert!(std::ptr::eq(this_ptr, self), "run: `this` is another task");
        // SAFETY: `this_ptr` is `Arc::as_ptr` of the live `Arc` that holds
        // this task (checked just above), as `waker_ref` requires.
        let waker = unsafe { header::waker_ref(this_ptr) };
        let mut cx = Context::from_waker(&waker);
        match self.stage.poll(&self.header.state, &mut cx) {
            // Queued again already (a yield)? Then it is surely not stranded.
            // Else count: the task table holds it (and the handle, if any).
            Ok(Poll::Pending) if self.is_stranded(Arc::strong_count(this)) => RunOutcome::Stranded,
            Ok(Poll::Pending) => RunOutcome::Waiting,
            Ok(Poll::Ready(output)) => self.finish(Ok(output), Ending::Completed),
            Err(payload) => {
                let panicked = Err(JoinError::panic(self.header.id, payload));
                self.finish(panicked, Ending::Panicked)
            }
        }
    }
    // ANCHOR_END: run

    fn shut_down(&self) -> Option<Waker> {
        if self.header.state.is_done() {
            return None;
        }
        let cancelled = Err(JoinError::cancelled(self.header.id));
        match self.finish(cancelled, Ending::Cancelled) {
            RunOutcome::Done { awaiter, .. } => awaiter,
            _ => None,
        }
    }

    fn facts(&self, references: usize) -> TaskFacts {
        let awaiter = self.awaiter.take();
        let awaiter_data = awaiter.as_ref().map(Waker::data);
        self.awaiter.set(awaiter);
        TaskFacts {
            id: self.header.id,
            name: None,
            data: std::ptr::from_ref(self).cast(),
            references,
            own: 1 + usize::from(self.header.state.has_handle()),
            queued: self.header.state.is_queued_after_count(),
            awaiter: awaiter_data,
        }
    }
}

impl<F: Future + 'static> JoinTarget<F::Output> for Task<F> {
    fn id(&self) -> TaskId {
        self.header.id
    }

    // ANCHOR: poll_join
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        if self.header.state.is_done() {
            return match self.stage.take_output(&self.header.state) {
                Some(result) => Poll::Ready(result),
                None => panic!(
                    "a JoinHandle was polled again after it returned the output of {}",
                    self.header.id
                ),
            };
        }
        let mut awaiter = self.awaiter.take();
        keep_latest(&mut awaiter, cx.waker());
        self.awaiter.set(awaiter);
        Poll::Pending
    }
    // ANCHOR_END: poll_join

    // ANCHOR: abort
    fn abort(&self) {
        if self.header.state.abort() == Abort::WakeToCancel {
            self.header.wake();
        }
    }
    // ANCHOR_END: abort

    fn is_finished(&self) -> bool {
        self.header.state.is_done()
    }

    // ANCHOR: detach
    fn detach(&self) {
        self.header.state.detach();
        if let Some(unclaimed) = self.stage.take_output(&self.header.state) {
            drop_caught(unclaimed);
        }
    }
    // ANCHOR_END: detach
}

impl<F: Future> Drop for Task<F> {
    /// The last reference is gone. The executor finishes every task before
    /// it lets go of it, and the `JoinHandle` drops an unclaimed output when
    /// it goes (`detach`), so normally nothing is left in the stage; but
    /// whatever is there is dropped, never leaked.
    fn drop(&mut self) {
        self.stage.drop_contents(&self.header.state);
    }
}

impl<F: Future> fmt::Debug for Task<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let awaiter = self.awaiter.take();
        let has_awaiter = awaiter.is_some();
        self.awaiter.set(awaiter);
        f.debug_struct("Task")
            .field("id", &self.header.id)
            .field("state", &self.header.state)
            .field(
                "stage",
                &format_args!("{}", self.stage.describe(&self.header.state)),
            )
            .field("awaiter", &has_awaiter)
            .field(
                "future_type",
                &format_args!("{}", std::any::type_name::<F>()),
            )
            .finish()
    }
}
