//! The waker queue: where a wake puts a task's name, through one of two doors.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! Waking a task never polls it. A wake only writes the task's [`TaskKey`] (its
//! slot in the executor's task table and its never-reused id) into a queue;
//! the executor loop (`executor.rs`) reads the queue and polls each task it
//! names. A wake can come from anywhere, so the queue has two doors:
//!
//! ```text
//!   wake on the executor's own thread          wake from any other thread
//!   (a task wakes another, a timer fires)      (a reactor, a thread pool)
//!                 │                                       │
//!                 ▼                                       ▼
//!       ┌───────────────────┐                 ┌───────────────────────┐
//!       │ local: VecDeque   │                 │ crossbeam channel     │
//!       │ (~2 ns push+pop)  │                 │ (~11 ns send+recv,    │
//!       │ only this thread  │                 │  any thread)          │
//!       └─────────┬─────────┘                 └───────────┬───────────┘
//!                 │      each turn of the loop drains     │
//!                 └──────────► the channel into local ◄───┘
//!                               then runs what is there
//! ```
//!
//! The channel alone would be correct. The local door exists for speed: most
//! wakes in a single-threaded program happen on the executor's thread, while
//! it is running, and for those a plain `VecDeque` is five times cheaper. A
//! wake can tell which door to use by asking the thread-local "which executor
//! is running here?" (`context.rs`): if it is this task's executor, the local
//! queue is right there.
//!
//! The channel also does the parking: when there is nothing to run, the
//! executor blocks in `recv_deadline` on it, so a wake from another thread is
//! what unparks it.
//!
//! Either way, a task is in at most one queue at a time: its `queued` flag
//! (`task.rs`) is set by the first wake and cleared just before it is polled,
//! so a task woken a hundred times between two polls is polled once.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::context;
use crate::task::TaskId;
use crate::trace::Recorder;

/// The name of a task in a queue: its slot in the executor's task table, and
/// its id. The slot finds the task in O(1); the id (never reused) tells
/// whether the task in that slot is still the one that was woken.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskKey {
    pub(crate) slot: u32,
    pub(crate) id: TaskId,
}

/// The slot that stands for `block_on`'s main future, which is not in the
/// task table.
pub(crate) const MAIN_SLOT: u32 = u32::MAX;

impl fmt::Debug for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.slot == MAIN_SLOT {
            write!(f, "{:?}(main)", self.id)
        } else {
            write!(f, "{:?}@slot{}", self.id, self.slot)
        }
    }
}

// ANCHOR: queued_key
/// A [`TaskKey`] as the local queue stores it: 8 bytes instead of 16, the
/// slot and only the low 32 bits of the id. Every task waiting to run has one
/// in the queue, so this is 8 bytes less per queued task (`mem_per_task` in
/// `bench/` queues 100,000 at once).
///
/// The low bits are enough to tell a late wake from a new task. A key spends
/// at most a turn or two in the queue, and for a late key to be mistaken for
/// the task now in its slot, that task's id would have to differ from the
/// woken one's by a multiple of 2^32: 4 billion spawns, all within those
/// turns. Even then the mistake would cost one extra poll, which a future
/// must always tolerate, never a lost wake.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueuedKey {
    pub(crate) slot: u32,
    id_low: u32,
}

impl QueuedKey {
    /// Is this the key of the task (or main future) whose id is `id`?
    pub(crate) fn is_for(self, id: TaskId) -> bool {
        self.id_low == id.0 as u32
    }
}

impl From<TaskKey> for QueuedKey {
    fn from(key: TaskKey) -> Self {
        QueuedKey {
            slot: key.slot,
            id_low: key.id.0 as u32, // the low 32 bits: see above
        }
    }
}
// ANCHOR_END: queued_key

impl fmt::Debug for QueuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // For ids below 2^32 (all but the longest-running programs'), the
        // low bits are the id itself.
        let key = TaskKey {
            slot: self.slot,
            id: TaskId(u64::from(self.id_low)),
        };
        fmt::Debug::fmt(&key, f)
    }
}

/// The part of an executor that every waker holds (through an `Arc`): it is
/// all a wake needs, and it is `Send + Sync`.
pub(crate) struct Shared {
    sender: Sender<TaskKey>,
    /// The doorbell: set after every send through the channel, cleared by the
    /// executor just before it drains the channel. Checking it costs the
    /// executor one load per turn, where asking the channel (`is_empty`)
    /// costs a call and several loads; most turns find no mail.
    rung: AtomicBool,
}

// ANCHOR: schedule
impl Shared {
    /// Puts `key` into the queue: through the local door if this thread is
    /// running the executor that owns the task, else through the channel.
    #[inline]
    pub(crate) fn schedule(&self, key: TaskKey) {
        let pushed_locally = context::with_running(|running| match running {
            Some(queues) if std::ptr::eq(queues.shared(), self) => {
                queues.push_local(key);
                queues.trace.woken(key);
                true
            }
            _ => false,
        });
        if !pushed_locally {
            // The executor may be gone; then the wake has nowhere to go and
            // is dropped, which is what a wake of a dead executor should do.
            let _ = self.sender.send(key);
            // After the send: a drain that sees the bell sees the message.
            self.rung.store(true, Ordering::Release);
        }
    }
}
// ANCHOR_END: schedule

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("in_channel", &self.sender.len())
            .finish()
    }
}

/// The room the local queue keeps when it is trimmed (see `Queues::trim`).
const KEEP_ROOM: usize = 1024;

/// The executor's side of the queue: both doors, and the channel's receiver.
pub(crate) struct Queues {
    shared: Arc<Shared>,
    pub(crate) local: RefCell<VecDeque<QueuedKey>>,
    receiver: Receiver<TaskKey>,
    /// The executor's recorder (`trace/`): wakes are recorded here, on the
    /// executor's thread, never from a foreign one.
    pub(crate) trace: Rc<Recorder>,
}

impl Queues {
    pub(crate) fn new(trace: Rc<Recorder>) -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        Queues {
            shared: Arc::new(Shared {
                sender,
                rung: AtomicBool::new(false),
            }),
            local: RefCell::new(VecDeque::new()),
            receiver,
            trace,
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn shared_arc(&self) -> &Arc<Shared> {
        &self.shared
    }

    #[inline]
    pub(crate) fn push_local(&self, key: TaskKey) {
        self.local.borrow_mut().push_back(key.into());
    }

    #[inline]
    pub(crate) fn pop_local(&self) -> Option<QueuedKey> {
        self.local.borrow_mut().pop_front()
    }

    #[inline]
    pub(crate) fn local_len(&self) -> usize {
        self.local.borrow().len()
    }

    // ANCHOR: drain_and_park
    /// Moves every wake that arrived through the channel into the local
    /// queue, without blocking.
    #[inline]
    pub(crate) fn drain_channel(&self) {
        // Fast path: no bell, no mail (the common case: one load). A message
        // whose bell we miss here is not lost: its sender rings right after
        // sending, so a later turn drains it, and `park` reads the channel
        // itself. `swap`, not `store`: it reads the latest ring, and acquires
        // the message sent before it.
        if !self.shared.rung.load(Ordering::Acquire)
            || !self.shared.rung.swap(false, Ordering::AcqRel)
        {
            return;
        }
        let mut local = self.local.borrow_mut();
        let keys = self.receiver.try_iter();
        local.extend(keys.map(|key| {
            self.trace.woken_outside(key);
            QueuedKey::from(key)
        }));
    }
    // ANCHOR_END: drain_and_park

    /// After each turn: a local queue that grew large in a burst (100,000
    /// spawns at once, say) and is now almost empty gives its memory back, 16
    /// bytes for every key it once held. It keeps room for twice what it
    /// holds, and never less than 1,024 keys, so a steady workload does not
    /// reallocate turn after turn. (It used to wait until the executor
    /// parked; an executor that is never idle kept the room forever.)
    #[inline]
    pub(crate) fn trim(&self) {
        let mut local = self.local.borrow_mut();
        if local.capacity() > KEEP_ROOM && local.len() <= local.capacity() / 8 {
            let keep = (local.len() * 2).max(KEEP_ROOM);
            local.shrink_to(keep);
        }
    }

    /// Blocks until a wake arrives through the channel or `deadline` passes
    /// (`None`: no deadline). A wake that arrives is moved into the local
    /// queue. This is where a parked executor sleeps. True if a wake came.
    pub(crate) fn park(&self, deadline: Option<std::time::Instant>) -> bool {
        let received = match deadline {
            Some(deadline) => self.receiver.recv_deadline(deadline).ok(),
            // We hold a sender ourselves, so this cannot fail with
            // "disconnected": it waits for a wake from another thread.
            None => self.receiver.recv().ok(),
        };
        let Some(key) = received else {
            return false;
        };
        self.trace.woken_outside(key);
        self.push_local(key);
        self.drain_channel();
        true
    }

    /// Non-blocking: has another thread sent a wake?
    pub(crate) fn channel_is_empty(&self) -> bool {
        self.receiver.is_empty()
    }
}

impl fmt::Debug for Queues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local: Vec<QueuedKey> = self
            .local
            .try_borrow()
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default();
        f.debug_struct("Queues")
            .field("local", &local)
            .field("in_channel", &self.receiver.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn queues() -> Queues {
        Queues::new(Rc::new(Recorder::new(Rc::new(Clock::simulated()))))
    }

    fn key(n: u32) -> TaskKey {
        TaskKey {
            slot: n,
            id: TaskId(u64::from(n) + 1),
        }
    }

    #[test]
    fn a_burst_gives_its_room_back_once_the_queue_is_nearly_empty() {
        let queues = queues();
        for n in 0..20_000 {
            queues.push_local(key(n));
        }
        queues.trim();
        assert!(
            queues.local.borrow().capacity() >= 20_000,
            "still full: kept"
        );
        while queues.local_len() > 3 {
            queues.pop_local();
        }
        queues.trim();
        let capacity = queues.local.borrow().capacity();
        assert!(capacity < 4096, "1,024 or so kept, not {capacity}");
        let left: Vec<u32> = std::iter::from_fn(|| queues.pop_local())
            .map(|k| k.slot)
            .collect();
        assert_eq!(
            left,
            [19_997, 19_998, 19_999],
            "trimming keeps the keys, in order"
        );
    }

    #[test]
    fn a_steady_queue_is_not_trimmed_turn_after_turn() {
        let queues = queues();
        for n in 0..5_000 {
            queues.push_local(key(n));
        }
        let capacity = queues.local.borrow().capacity();
        while queues.local_len() > 2_000 {
            queues.pop_local();
        }
        queues.trim();
        assert_eq!(
            queues.local.borrow().capacity(),
            capacity,
            "a quarter full: kept"
        );
    }
}
