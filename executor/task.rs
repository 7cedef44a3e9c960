//! A task: one spawned future, its state, and the slot for its output.
//!
//! Book chapters: *Tasks and the waker queue* (`book/src/tasks.md`) and
//! *`JoinHandle`* (`book/src/join-handle.md`).
//!
//! `spawn(future)` makes one allocation, an `Arc<Task<F>>`:
//!
//! ```text
//!   Arc<Task<F>> ─────────────────────────────────────────────────────┐
//!   │ Header  id, slot, queued: AtomicBool, Arc<Shared> (channel)     │ ← wakers point here,
//!   │         flags: HANDLE | ABORT | DONE | RUNNING | OUTPUT         │   from any thread
//!   │         (the flags: executor thread only)                       │
//!   │ stage   union: the future F, then Result<F::Output, JoinError>  │ ← executor thread only
//!   │         (the flags say which, if any, is there)                 │
//!   │ awaiter the waker of whoever awaits the JoinHandle              │
//!   └─────────────────────────────────────────────────────────────────┘
//!   owned by: the executor's task table (until DONE), the JoinHandle
//!             (until dropped), and every clone of the task's Waker
//! ```
//!
//! ## The life of a task
//!
//! ```text
//!              ① spawn                       ② run: poll → Pending
//!   (new) ──────────────► QUEUED ───────────────────────────────► WAITING
//!                           ▲ │                                      │
//!                           │ │ ④ run: poll → Ready / panic          │
//!                           │ │    or ABORT was set                  │
//!                           │ ▼                                      │
//!                           │ DONE ──► ⑤ JoinHandle takes the output │
//!                           └────────────────────────────────────────┘
//!                                     ③ wake (any thread), abort
//! ```
//!
//! 1. `Core::spawn` (`executor.rs`) allocates the task with `queued = true`
//!    and pushes its key onto the local queue.
//! 2. [`Task::run`] clears `queued` *before* polling, so a wake during the
//!    poll queues the task again (it is polled once more, next turn).
//! 3. [`Header::wake`] sets `queued`; only the wake that flips it from `false`
//!    pushes the key. A task is never in a queue twice.
//! 4. [`Task::run`] → `finish`: the future is dropped, the output stored (or
//!    dropped at once if nobody holds the `JoinHandle`), the awaiter woken,
//!    and `queued` set for good, so later wakes do nothing. The executor then
//!    removes the task from its table.
//! 5. `JoinTarget::poll_join` moves the output out to the awaiter.
//!
//! ## Who may touch what
//!
//! The `Header` is read by wakers on any thread: it holds only atomics, the
//! id, and an `Arc` of the channel sender, all thread-safe. Everything else
//! (`stage`, `awaiter`, and the header's `flags`) is touched only on the
//! executor's thread: through the task table (owned by the `!Send`
//! executor) or the `!Send` `JoinHandle`. Before those two let go, the executor's thread empties
//! `stage`, so when the last reference is a waker on another thread, freeing
//! the task there drops nothing that is not thread-safe.

use std::any::Any;
use std::borrow::Cow;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::join_handle::JoinError;
use crate::queue::{Shared, TaskKey};
use crate::trace::Ending;
use crate::waker::{self, Wakeable};

/// A task's id: unique for the life of the process, never reused, so a
/// stale waker can never wake a newer task. Shown as `task-N`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The number behind the id.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    // ANCHOR: next_id
    /// A fresh id. Ids come from one process-wide counter, but a thread takes
    /// them from it a block of [`ID_BLOCK`] at a time and hands them out one
    /// by one from a thread-local: one atomic operation per 1,024 spawns
    /// instead of one per spawn (that one cost about 6 ns of the 95 ns a hop
    /// of `chained_spawn` took in `bench/`). The first thread to spawn gets
    /// 1, 2, 3, ...
    #[inline]
    pub(crate) fn next() -> TaskId {
        thread_local! {
            /// The ids this thread may still hand out: `next..end`.
            static BLOCK: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        // `try_with`: a waker or `spawn_blocking` may run in a thread-local's
        // destructor while the thread exits; take one id straight from the
        // counter then.
        BLOCK
            .try_with(|block| {
                let (mut next, mut end) = block.get();
                if next == end {
                    next = NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
                    end = next + ID_BLOCK;
                }
                block.set((next + 1, end));
                TaskId(next)
            })
            .unwrap_or_else(|_| TaskId(NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed)))
    }
    // ANCHOR_END: next_id
}

/// How many ids a thread takes from the counter at once.
const ID_BLOCK: u64 = 1024;

/// The first id of the next block not yet handed to any thread.
static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task-{}", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task-{}", self.0)
    }
}

// ANCHOR: header
/// What a waker needs to wake a task; safe to use from any thread.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    pub(crate) slot: u32,
    /// Set while the task's key is in a queue (or forever, once it is DONE).
    /// Invariant: the key is pushed only by the wake that sets this flag from
    /// `false` to `true`, so it is in at most one queue, at most once.
    queued: AtomicBool,
    /// The task's other flags (`flags::*`). Read and written only on the
    /// executor's thread; an atomic only so that the `Header` stays safe to
    /// share, used with plain (`Relaxed`) loads and stores, which cost what a
    /// `Cell` costs. It lives here because it fits in the header's padding:
    /// 8 bytes less per task.
    flags: AtomicU8,
    shared: Arc<Shared>,
}
// ANCHOR_END: header

impl Header {
    pub(crate) fn new(id: TaskId, slot: u32, shared: Arc<Shared>) -> Self {
        Header::with_flags(id, slot, shared, 0)
    }

    /// `#[inline(always)]`, like `Task::new`: see there.
    #[inline(always)]
    fn with_flags(id: TaskId, slot: u32, shared: Arc<Shared>, flags: u8) -> Self {
        Header {
            id,
            slot,
            queued: AtomicBool::new(true),
            flags: AtomicU8::new(flags),
            shared,
        }
    }

    pub(crate) fn key(&self) -> TaskKey {
        TaskKey {
            slot: self.slot,
            id: self.id,
        }
    }

    // ANCHOR: wake
    /// ③ Queues the task unless it is queued already (or done).
    #[inline]
    pub(crate) fn wake(&self) {
        // AcqRel: what the waking thread wrote before waking (a message, a
        // result) is visible to the executor after it clears the flag.
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.shared.schedule(self.key());
        }
    }

    /// ② The executor is about to poll: from now on, a wake queues it again.
    #[inline]
    pub(crate) fn clear_queued(&self) {
        self.queued.swap(false, Ordering::AcqRel);
    }
    // ANCHOR_END: wake

    #[inline]
    fn is_queued(&self) -> bool {
        self.queued.load(Ordering::Acquire)
    }

    /// Can nothing ever wake this task? True if its `Arc` count shows no
    /// reference beyond the `owners` the executor holds itself (so no waker
    /// clone exists anywhere) and it is not queued. See `trace/warn.rs`.
    #[inline]
    pub(crate) fn is_stranded(&self, strong_count: usize, owners: usize) -> bool {
        // The count is read first (by the caller). A clone that was woken and
        // then dropped on another thread set `queued` before its drop
        // lowered the count; the fence makes that `queued` visible here.
        strong_count <= owners && {
            fence(Ordering::Acquire);
            !self.is_queued()
        }
    }

    /// ④ Done: every later wake finds the flag set and does nothing.
    fn set_queued_forever(&self) {
        self.queued.store(true, Ordering::Release);
    }
}

impl Wakeable for Header {
    fn header(&self) -> &Header {
        self
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("id", &self.id)
            .field("slot", &self.slot)
            .field("queued", &self.is_queued())
            .finish()
    }
}

// ANCHOR: flags
/// The flags in `Header::flags` (executor thread only).
mod flags {
    /// A `JoinHandle` exists. While set, the output is kept for it; once
    /// cleared (the handle was dropped: the task is *detached*), the output
    /// is dropped as soon as the task finishes.
    pub const HANDLE: u8 = 1 << 0;
    /// `abort()` was called. Can be set only before DONE; the next `run`
    /// drops the future instead of polling it.
    pub const ABORT: u8 = 1 << 1;
    /// The future finished, panicked, or was cancelled. Never cleared; once
    /// set the future is gone from `stage`.
    pub const DONE: u8 = 1 << 2;
    /// Being polled right now (for `Debug`, and to catch re-entrant polls).
    pub const RUNNING: u8 = 1 << 3;
    /// `stage` holds the output, kept for the `JoinHandle`. Set only with
    /// DONE; cleared when the handle takes the output or is dropped.
    pub const OUTPUT: u8 = 1 << 4;
}
// ANCHOR_END: flags

// ANCHOR: task_struct
/// The future, and then its output, in the same bytes: the output exists
/// only once the future is gone, so the two never need room at once. A
/// `union` has no tag of its own; the flags say what is in it:
///
/// | flags              | `stage` holds                                   |
/// |--------------------|-------------------------------------------------|
/// | not DONE           | `future`, pinned: it never moves                |
/// | DONE and OUTPUT    | `output`, waiting for the `JoinHandle`          |
/// | DONE, no OUTPUT    | nothing (taken, dropped, or never produced)     |
///
/// (An `enum` would say the same with a tag of its own, and a `RefCell`
/// around it would add a borrow counter: 16 bytes more in every task,
/// `mem_per_task` in `bench/`.)
union Stage<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<Result<F::Output, JoinError>>,
}

/// A task's name, given to `spawn_named`.
pub type TaskName = Cow<'static, str>;

/// One spawned future and everything the executor knows about it.
pub(crate) struct Task<F: Future> {
    header: Header,
    /// Shown by `Debug`, warnings and traces; `None`: shown as `task-N`.
    /// Boxed: 8 bytes in every task instead of 24; only a named task pays
    /// for the box (`mem_per_task` in `bench/`).
    name: Option<Box<TaskName>>,
    /// Touched only on the executor's thread, by one access at a time; see
    /// [`Task::stage`] for why that holds.
    stage: UnsafeCell<Stage<F>>,
    awaiter: Cell<Option<Waker>>,
}
// ANCHOR_END: task_struct

/// What [`Task::run`] tells the executor to do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    /// The task waits for a wake; keep it in the task table.
    Waiting,
    /// Waiting, but no waker clone exists and it is not queued: nothing can
    /// wake it. The executor warns (`trace/warn.rs`).
    Stranded,
    /// The task is DONE; remove it from the task table.
    Done(Ending),
}

/// A task seen by the executor's task table, whatever its future's type.
pub(crate) trait Runnable: fmt::Debug {
    fn header(&self) -> &Header;
    /// Polls the task once (or drops it, if it was aborted). `this` is the
    /// task's own address as `Arc::as_ptr` gave it, for the waker of the
    /// poll (see `waker::waker_ref` for why `self` will not do).
    ///
    /// # Safety
    ///
    /// `this` must be `Arc::as_ptr` of the `Arc` that holds `self`.
    unsafe fn run(&self, this: *const ()) -> RunOutcome;
    /// The executor is shutting down: drop the future, report "cancelled".
    fn shut_down(&self);
    /// The name given to `spawn_named`, if any.
    fn name(&self) -> Option<&str>;
    /// See [`Header::is_stranded`]; `owners`: the executor's own references,
    /// not counting the `JoinHandle` (this adds it).
    fn is_stranded(&self, strong_count: usize, owners: usize) -> bool;
    /// The data pointer of the waker in the awaiter slot, if any (to tell
    /// whose waker it is).
    fn awaiter_data(&self) -> Option<*const ()>;
}

/// A task seen by its `JoinHandle`, whatever its future's type.
pub(crate) trait JoinTarget<T> {
    fn id(&self) -> TaskId;
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(&self);
    fn is_finished(&self) -> bool;
    /// The `JoinHandle` is being dropped.
    fn detach(&self);
}

impl<F: Future> Task<F> {
    /// How many `Arc`s own this task (the table, the handle, waker clones).
    /// `this`: as in [`Runnable::run`], `Arc::as_ptr` of the task's `Arc`.
    #[inline]
    fn strong_count(this: *const ()) -> usize {
        // `ManuallyDrop`: this view owns no reference, and must not give one
        // back.
        // SAFETY: `this` came from `Arc::as_ptr` on the live `Arc<Task<F>>`
        // (the promise `run` makes), so it may be turned back into one.
        let task = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(this.cast::<Self>()) });
        Arc::strong_count(&task)
    }

    /// `Arc::new(Task::new(..))`, without the copy: a new task, with a
    /// `JoinHandle` (HANDLE) and queued, in its `Arc`.
    ///
    /// `Arc::new(value)` makes the value first (on the stack, from small
    /// writes: an 8-byte id, a 4-byte slot, 1-byte flags) and copies it into
    /// the heap once the memory is allocated. The copy reads back, in 16-byte
    /// pieces, bytes still in flight from those small writes, and the
    /// processor stalls on each: by `perf`'s samples, about a quarter of a
    /// `chained_spawn` hop in `bench/` (chapter 15 tells the story). So:
    /// allocate first, then write the task into place. `#[inline(always)]`,
    /// and every argument ready-made (the name already boxed), so that the
    /// compiler can write each field straight into the heap.
    #[inline(always)]
    pub(crate) fn new_in_arc(
        id: TaskId,
        slot: u32,
        shared: Arc<Shared>,
        name: Option<Box<TaskName>>,
        future: F,
    ) -> Arc<Self> {
        let arc = Arc::<Self>::new_uninit();
        let place = Arc::as_ptr(&arc).cast_mut().cast::<Self>();
        // Writing the task into it is what
        // `Arc::get_mut(&mut arc).unwrap().write(..)` does, minus `get_mut`'s
        // check that we are alone, an atomic compare-and-swap (measured: it
        // cost more than the copy it saves).
        // SAFETY: the `Arc` was made just above: nothing else sees its memory.
        unsafe { place.write(Task::new(id, slot, shared, name, future)) };
        // SAFETY: written just above.
        unsafe { arc.assume_init() }
    }

    #[inline(always)]
    fn new(
        id: TaskId,
        slot: u32,
        shared: Arc<Shared>,
        name: Option<Box<TaskName>>,
        future: F,
    ) -> Self {
        Task {
            header: Header::with_flags(id, slot, shared, flags::HANDLE),
            name,
            stage: UnsafeCell::new(Stage {
                future: ManuallyDrop::new(future),
            }),
            awaiter: Cell::new(None),
        }
    }

    /// The stage, for one access. Which field is live is told by the flags
    /// (see [`Stage`]); callers check them first.
    ///
    /// Why no two accesses overlap: only the executor's thread gets here (the
    /// task table and the `JoinHandle` are `!Send`), and each caller is done
    /// with the reference before any user code could reach this task again,
    /// with two exceptions, both safe: the poll in `run` (user code runs, but
    /// while the task is not DONE the only access is that poll's own, since
    /// `poll_join` and `detach` touch the stage only once DONE is set) and the
    /// future's destructor in `finish` (DONE is still clear then, so again
    /// nothing else touches the stage).
    fn stage(&self) -> *mut Stage<F> {
        self.stage.get()
    }

    fn flags(&self) -> u8 {
        self.header.flags.load(Ordering::Relaxed)
    }

    fn has(&self, flag: u8) -> bool {
        self.flags() & flag != 0
    }

    fn set(&self, flag: u8) {
        self.header
            .flags
            .store(self.flags() | flag, Ordering::Relaxed);
    }

    fn clear(&self, flag: u8) {
        self.header
            .flags
            .store(self.flags() & !flag, Ordering::Relaxed);
    }

    // ANCHOR: finish
    /// ④ Drops the future, stores or drops the result, and wakes the awaiter.
    /// Called once, on a task that is not DONE.
    ///
    /// `#[inline(always)]`: `result` then stays in registers; passed to a
    /// call it went through the stack, and reading it back stalled like the
    /// copy that [`Task::new_in_arc`] avoids (about a tenth of a
    /// `chained_spawn` hop).
    #[inline(always)]
    fn finish(&self, mut result: Result<F::Output, JoinError>) {
        debug_assert!(!self.has(flags::DONE), "finish runs once");
        // Drop the future in place (it is pinned; it must not move). Its
        // destructor is user code and may panic: a panic there becomes the
        // task's result. Either way the future is gone afterwards: a
        // panicking destructor still drops the future's other fields.
        // SAFETY: not DONE, so `future` is live, and only this access touches
        // the stage now (see `Task::stage`); it is never used again.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
            ManuallyDrop::drop(&mut (*self.stage()).future)
        }));
        if let Err(payload) = dropped {
            if !matches!(&result, Err(e) if e.is_panic()) {
                result = Err(JoinError::panic(self.header.id, payload));
            }
        }
        self.set(flags::DONE);
        self.clear(flags::ABORT);
        self.header.set_queued_forever();
        if self.has(flags::HANDLE) {
            // SAFETY: the future is gone (above), so its bytes are free for
            // the output; only this access touches the stage now.
            unsafe { (*self.stage()).output = ManuallyDrop::new(result) };
            self.set(flags::OUTPUT);
        } else {
            // Detached: nobody will ever read the output. Drop it here, on the
            // executor's thread (it need not be `Send`).
            drop_caught(result);
        }
        if let Some(awaiter) = self.awaiter.take() {
            awaiter.wake();
        }
    }
    // ANCHOR_END: finish

    /// Takes the output out of the stage, if it is there (OUTPUT).
    fn take_output(&self) -> Option<Result<F::Output, JoinError>> {
        if !self.has(flags::OUTPUT) {
            return None;
        }
        self.clear(flags::OUTPUT);
        // SAFETY: OUTPUT was set, so `output` is live; clearing the flag
        // first means it is read out exactly once, and only this access
        // touches the stage now (see `Task::stage`).
        Some(unsafe { ManuallyDrop::take(&mut (*self.stage()).output) })
    }
}

/// Drops a value whose destructor is user code, swallowing a panic from it:
/// the executor must keep running.
fn drop_caught<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

impl<F: Future + 'static> Wakeable for Task<F> {
    fn header(&self) -> &Header {
        &self.header
    }
}

impl<F: Future + 'static> Runnable for Task<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    // ANCHOR: run
    unsafe fn run(&self, this: *const ()) -> RunOutcome {
        if self.has(flags::DONE) {
            return RunOutcome::Done(Ending::Cancelled);
        }
        self.header.clear_queued();
        if self.has(flags::ABORT) {
            self.finish(Err(JoinError::cancelled(self.header.id)));
            return RunOutcome::Done(Ending::Cancelled);
        }

        // SAFETY: `this` is `Arc::as_ptr` of this task's `Arc` (our caller's
        // promise), as `waker_ref` requires.
        let waker = unsafe { waker::waker_ref(this.cast::<Self>()) };
        let mut cx = Context::from_waker(&waker);
        assert!(
            !self.has(flags::RUNNING),
            "a task was polled inside its own poll"
        );
        self.set(flags::RUNNING);
        // The future lives inside the task's `Arc` allocation and is never
        // moved out of it: it stays in `stage` until `finish` drops it in
        // place. That is exactly the promise `Pin` needs.
        // SAFETY: not DONE, so `future` is live; this poll is the only access
        // to the stage until it returns (see `Task::stage`); and the pinning
        // promise just above.
        let future = unsafe { Pin::new_unchecked(&mut *(*self.stage()).future) };
        let poll = catch_unwind(AssertUnwindSafe(|| future.poll(&mut cx)));
        self.clear(flags::RUNNING);

        match poll {
            // Queued again already (a yield)? Then it is surely not stranded.
            // Else count: the task table holds it (and the handle, if any).
            Ok(Poll::Pending)
                if !self.header.is_queued() && self.is_stranded(Self::strong_count(this), 1) =>
            {
                RunOutcome::Stranded
            }
            Ok(Poll::Pending) => RunOutcome::Waiting,
            Ok(Poll::Ready(output)) => {
                self.finish(Ok(output));
                RunOutcome::Done(Ending::Completed)
            }
            Err(payload) => {
                self.finish(Err(JoinError::panic(self.header.id, payload)));
                RunOutcome::Done(Ending::Panicked)
            }
        }
    }
    // ANCHOR_END: run

    fn shut_down(&self) {
        if !self.has(flags::DONE) {
            self.finish(Err(JoinError::cancelled(self.header.id)));
        }
    }

    fn name(&self) -> Option<&str> {
        self.name.as_deref().map(|name| name.as_ref())
    }

    fn is_stranded(&self, strong_count: usize, owners: usize) -> bool {
        let owners = owners + usize::from(self.has(flags::HANDLE));
        self.header.is_stranded(strong_count, owners)
    }

    fn awaiter_data(&self) -> Option<*const ()> {
        let awaiter = self.awaiter.take();
        let data = awaiter.as_ref().map(Waker::data);
        self.awaiter.set(awaiter);
        data
    }
}

impl<F: Future + 'static> JoinTarget<F::Output> for Task<F> {
    fn id(&self) -> TaskId {
        self.header.id
    }

    // ANCHOR: poll_join
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        if self.has(flags::DONE) {
            return match self.take_output() {
                Some(result) => Poll::Ready(result),
                None => panic!(
                    "a JoinHandle was polled again after it returned the output of {}",
                    self.header.id
                ),
            };
        }
        // Keep the latest waker: only the most recent poll's waker counts.
        match self.awaiter.take() {
            Some(old) if old.will_wake(cx.waker()) => self.awaiter.set(Some(old)),
            _ => self.awaiter.set(Some(cx.waker().clone())),
        }
        Poll::Pending
    }
    // ANCHOR_END: poll_join

    // ANCHOR: abort
    fn abort(&self) {
        if !self.has(flags::DONE) {
            self.set(flags::ABORT);
            self.header.wake();
        }
    }
    // ANCHOR_END: abort

    fn is_finished(&self) -> bool {
        self.has(flags::DONE)
    }

    // ANCHOR: detach
    fn detach(&self) {
        self.clear(flags::HANDLE);
        if let Some(unclaimed) = self.take_output() {
            drop_caught(unclaimed);
        }
    }
    // ANCHOR_END: detach
}

impl<F: Future> Drop for Task<F> {
    /// The last reference is gone. The executor finishes every task (DONE)
    /// before it lets go of it, and the `JoinHandle` drops an unclaimed output
    /// when it goes (`detach`), so normally nothing is left in `stage`; but
    /// whatever is there is dropped, never leaked.
    fn drop(&mut self) {
        let flags = self.flags();
        let stage = self.stage.get_mut();
        if flags & flags::DONE == 0 {
            // SAFETY: not DONE: `future` is live, and we own the task.
            unsafe { ManuallyDrop::drop(&mut stage.future) };
        } else if flags & flags::OUTPUT != 0 {
            // SAFETY: OUTPUT: `output` is live, and we own the task.
            unsafe { ManuallyDrop::drop(&mut stage.output) };
        }
    }
}

impl<F: Future> fmt::Debug for Task<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Flags(u8, bool);
        impl fmt::Debug for Flags {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut names = Vec::new();
                if self.1 {
                    names.push("QUEUED");
                }
                for (flag, name) in [
                    (flags::RUNNING, "RUNNING"),
                    (flags::HANDLE, "HANDLE"),
                    (flags::ABORT, "ABORT"),
                    (flags::DONE, "DONE"),
                ] {
                    if self.0 & flag != 0 {
                        names.push(name);
                    }
                }
                if names.is_empty() {
                    names.push("WAITING");
                }
                f.write_str(&names.join(" | "))
            }
        }
        let stage = if !self.has(flags::DONE) {
            if self.has(flags::RUNNING) {
                "future (being polled)"
            } else {
                "future"
            }
        } else if self.has(flags::OUTPUT) {
            // SAFETY: OUTPUT, so `output` is live; a short shared read, and
            // nothing else can touch the stage while `fmt` runs (no user code).
            match unsafe { &*(*self.stage()).output } {
                Ok(_) => "output: Ok(..)",
                Err(_) => "output: Err(JoinError)",
            }
        } else {
            "empty"
        };
        let awaiter = self.awaiter.take();
        let has_awaiter = awaiter.is_some();
        self.awaiter.set(awaiter);
        let done = self.has(flags::DONE);
        let name = match &self.name {
            Some(name) => format!("{name:?}"),
            None => self.header.id.to_string(),
        };
        f.debug_struct("Task")
            .field("name", &format_args!("{name}"))
            .field("id", &self.header.id)
            .field(
                "state",
                &Flags(self.flags(), self.header.is_queued() && !done),
            )
            .field("stage", &format_args!("{stage}"))
            .field("awaiter", &has_awaiter)
            .field(
                "future_type",
                &format_args!("{}", std::any::type_name::<F>()),
            )
            .finish()
    }
}

/// The payload of a caught panic.
pub(crate) type PanicPayload = Box<dyn Any + Send + 'static>;
