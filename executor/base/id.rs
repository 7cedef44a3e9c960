//! `TaskId`: a task's name for people, never reused.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! The executor finds a task by its slab key (`collections/slab.rs`), which
//! is reused once the task is gone. People, traces and the debugger need a
//! name that is never reused: a `TaskId`, unique for the life of the process.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A task's id: unique for the life of the process, never reused. Shown as
/// `task-N`.
///
/// ```
/// busy_chef::Executor::simulated().block_on(async {
///     let a = busy_chef::spawn(async {});
///     let b = busy_chef::spawn(async {});
///     assert_ne!(a.id(), b.id());
///     assert!(a.id().to_string().starts_with("task-"));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    /// The number behind the id. Ids handed out one after the other on a
    /// thread grow.
    ///
    /// ```
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let first = busy_chef::spawn(async {}).id();
    ///     let second = busy_chef::spawn(async {}).id();
    ///     assert!(second.as_u64() > first.as_u64());
    ///     assert_eq!(first.to_string(), format!("task-{}", first.as_u64()));
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }

    // ANCHOR: next_id
    /// A fresh id. The ids come from one process-wide counter, which a thread
    /// draws from a block of [`ID_BLOCK`] at a time and then hands out one by
    /// one: spawning is frequent, and an atomic add on a counter that every
    /// thread shares is the costliest part of a fresh id. The first thread
    /// to spawn gets 1, 2, 3, ...
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

/// A task's name, given to `spawn_named`: a `&'static str` (kept as it is,
/// without an allocation) or a `String`.
///
/// ```
/// use std::borrow::Cow;
/// use busy_chef::TaskName;
///
/// let fixed: TaskName = "toast".into();
/// assert!(matches!(fixed, Cow::Borrowed("toast")));
/// let made: TaskName = format!("order-{}", 7).into();
/// assert!(matches!(&made, Cow::Owned(name) if name == "order-7"));
///
/// busy_chef::Executor::simulated().block_on(async {
///     let toast = busy_chef::spawn_named(fixed, async { 1 });
///     let order = busy_chef::spawn_named(made, async { 2 });
///     assert_eq!(toast.await.unwrap() + order.await.unwrap(), 3);
/// });
/// ```
pub type TaskName = Cow<'static, str>;
