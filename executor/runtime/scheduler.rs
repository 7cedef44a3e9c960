//! The run queue: where a wake puts a task's key, through one of two doors.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! Waking a task never polls it. A wake only writes the task's key (its
//! place in the executor's task table, `collections/slab.rs`) into a queue;
//! the executor loop (`runtime/mod.rs`) reads the queue and polls each task
//! it names. A wake can come from anywhere, so the queue has two doors:
//!
//! ```text
//!   wake on the executor's own thread          wake from any other thread
//!   (a task wakes another, a timer fires)      (a reactor, a thread pool)
//!                 │                                       │
//!                 ▼                                       ▼
//!       ┌───────────────────┐                 ┌───────────────────────┐
//!       │ local: VecDeque   │                 │ the Inbox: a          │
//!       │ this thread only  │                 │ crossbeam channel,    │
//!       │                   │                 │ any thread            │
//!       └─────────┬─────────┘                 └───────────┬───────────┘
//!                 │      each turn of the loop drains     │
//!                 └──────────► the channel into local ◄───┘
//!                               then runs what is there
//! ```
//!
//! The channel alone would be correct. The local door exists because most
//! wakes in a single-threaded program happen on the executor's own thread,
//! and a plain `VecDeque` is much cheaper than a channel that any thread may
//! use. Which door a wake takes is decided in `core.rs`, where the executor
//! running on this thread can be found.
//!
//! The channel also does the parking: when there is nothing to run, the
//! executor blocks in `recv_deadline` on it, so a wake from another thread is
//! what unparks it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::base::id::TaskId;
use crate::collections::slab::Key;

/// A wake that came through the channel: the task's key, and its id (for
/// the trace).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mail {
    pub(crate) key: Key,
    pub(crate) id: TaskId,
}

// ANCHOR: inbox
/// The door any thread may use. Every waker of the executor holds it (through
/// an `Arc`): it is all a wake from another thread needs, and it is
/// `Send + Sync`.
pub(crate) struct Inbox {
    sender: Sender<Mail>,
    /// The doorbell: set after every send, cleared by the executor just
    /// before it drains the channel. Looking at it costs the executor one
    /// load per turn; asking the channel itself costs more, and most turns
    /// find no mail.
    rung: AtomicBool,
}

impl Inbox {
    /// Sends a wake through the channel.
    pub(crate) fn send(&self, key: Key, id: TaskId) {
        // The executor may be gone; then the wake has nowhere to go and is
        // dropped, which is what a wake of a dead executor should do.
        let _ = self.sender.send(Mail { key, id });
        // After the send: a drain that sees the bell sees the message.
        self.rung.store(true, Ordering::Release);
    }
}
// ANCHOR_END: inbox

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("in_channel", &self.sender.len())
            .finish()
    }
}

/// The room the local queue keeps when it is trimmed (see [`RunQueue::trim`]).
const KEEP_ROOM: usize = 1024;

/// The most wakes from other threads that one turn of the loop takes in.
/// A flood from another thread then joins the local queue a slice at a
/// time: the queue stays small enough to stay in the cache, and between
/// two slices the loop fires its timers, as it does after every turn.
const MAIL_PER_TURN: usize = 128;

/// The executor's side of the queue: the local door, and the channel's
/// receiving end.
pub(crate) struct RunQueue {
    local: RefCell<VecDeque<Key>>,
    receiver: Receiver<Mail>,
    inbox: Arc<Inbox>,
}

impl RunQueue {
    pub(crate) fn new() -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        RunQueue {
            local: RefCell::new(VecDeque::new()),
            receiver,
            inbox: Arc::new(Inbox {
                sender,
                rung: AtomicBool::new(false),
            }),
        }
    }

    /// The door for wakes from any thread; every task's header holds one.
    pub(crate) fn inbox(&self) -> &Arc<Inbox> {
        &self.inbox
    }

    /// Is `inbox` this queue's own door (so a wake may use the local one)?
    #[inline]
    pub(crate) fn owns(&self, inbox: &Inbox) -> bool {
        std::ptr::eq(&*self.inbox, inbox)
    }

    // ANCHOR: local
    /// The local door: this thread only.
    #[inline]
    pub(crate) fn push(&self, key: Key) {
        self.local.borrow_mut().push_back(key);
    }

    #[inline]
    pub(crate) fn pop(&self) -> Option<Key> {
        self.local.borrow_mut().pop_front()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.local.borrow().len()
    }
    // ANCHOR_END: local

    // ANCHOR: drain
    /// Moves the wakes that came through the channel into the local queue,
    /// at most [`MAIL_PER_TURN`] of them, without blocking; `arrived` is told
    /// of each.
    #[inline]
    pub(crate) fn drain_channel(&self, mut arrived: impl FnMut(Mail)) {
        // No bell, no mail: the common case, one load. A message whose bell
        // we miss here is not lost: its sender rings right after sending, so
        // a later turn drains it, and `park` reads the channel itself.
        if !self.inbox.rung.load(Ordering::Acquire)
            || !self.inbox.rung.swap(false, Ordering::AcqRel)
        {
            return;
        }
        let mut local = self.local.borrow_mut();
        let mut moved = 0;
        for mail in self.receiver.try_iter().take(MAIL_PER_TURN) {
            arrived(mail);
            local.push_back(mail.key);
            moved += 1;
        }
        if moved == MAIL_PER_TURN {
            // There may be more: ring the bell again, for the next turn.
            self.inbox.rung.store(true, Ordering::Relaxed);
        }
    }
    // ANCHOR_END: drain

    // ANCHOR: park
    /// Blocks until a wake comes through the channel, or `deadline` passes
    /// (`None`: no deadline). A wake that comes is moved into the local
    /// queue, and `arrived` is told. True if one came.
    pub(crate) fn park(
        &self,
        deadline: Option<std::time::Instant>,
        mut arrived: impl FnMut(Mail),
    ) -> bool {
        let received = match deadline {
            Some(deadline) => self.receiver.recv_deadline(deadline).ok(),
            // We hold a sender ourselves (in the inbox), so this cannot fail
            // with "disconnected": it waits for a wake from another thread.
            None => self.receiver.recv().ok(),
        };
        let Some(mail) = received else {
            return false;
        };
        arrived(mail);
        self.push(mail.key);
        self.drain_channel(arrived);
        true
    }
    // ANCHOR_END: park

    /// Non-blocking: has another thread sent a wake?
    pub(crate) fn channel_is_empty(&self) -> bool {
        self.receiver.is_empty()
    }

    // ANCHOR: trim
    /// After each turn: a local queue that grew large in a burst (100,000
    /// spawns at once, say) and is now almost empty gives its memory back.
    /// It keeps room for twice what it holds, and never less than
    /// [`KEEP_ROOM`] keys, so a steady workload does not reallocate turn
    /// after turn.
    #[inline]
    pub(crate) fn trim(&self) {
        let mut local = self.local.borrow_mut();
        if local.capacity() > KEEP_ROOM && local.len() <= local.capacity() / 8 {
            let keep = (local.len() * 2).max(KEEP_ROOM);
            local.shrink_to(keep);
        }
    }
    // ANCHOR_END: trim

    /// Forgets every queued key (the executor is shutting down).
    pub(crate) fn clear(&self) {
        self.local.borrow_mut().clear();
    }
}

impl fmt::Debug for RunQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunQueue")
            .field("local", &self.local.try_borrow().ok())
            .field("in_channel", &self.receiver.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collections::slab::{Keyed, Slab};

    struct Holder(Key);
    impl Keyed for Holder {
        fn key(&self) -> Key {
            self.0
        }
    }

    fn keys(n: usize) -> Vec<Key> {
        let mut slab = Slab::new();
        (0..n)
            .map(|_| {
                let key = slab.next_key();
                slab.insert(key, Holder(key));
                key
            })
            .collect()
    }

    #[test]
    fn a_burst_gives_its_room_back_once_the_queue_is_nearly_empty() {
        let queue = RunQueue::new();
        let all = keys(20_000);
        for &key in &all {
            queue.push(key);
        }
        queue.trim();
        assert!(
            queue.local.borrow().capacity() >= 20_000,
            "still full: kept"
        );
        while queue.len() > 3 {
            queue.pop();
        }
        queue.trim();
        let capacity = queue.local.borrow().capacity();
        assert!(capacity < 4096, "1,024 or so kept, not {capacity}");
        let left: Vec<Key> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(left, all[19_997..], "trimming keeps the keys, in order");
    }

    #[test]
    fn a_steady_queue_is_not_trimmed_turn_after_turn() {
        let queue = RunQueue::new();
        for key in keys(5_000) {
            queue.push(key);
        }
        let capacity = queue.local.borrow().capacity();
        while queue.len() > 2_000 {
            queue.pop();
        }
        queue.trim();
        assert_eq!(
            queue.local.borrow().capacity(),
            capacity,
            "a quarter full: kept"
        );
    }

    #[test]
    fn a_flood_from_another_thread_is_taken_in_a_slice_per_turn() {
        let queue = RunQueue::new();
        let all = keys(300);
        let inbox = queue.inbox().clone();
        let sent = all.clone();
        std::thread::spawn(move || {
            for key in sent {
                inbox.send(key, TaskId::next());
            }
        })
        .join()
        .unwrap();
        let mut lengths = Vec::new();
        for _turn in 0..4 {
            queue.drain_channel(|_| {});
            lengths.push(queue.len());
        }
        assert_eq!(lengths, [128, 256, 300, 300], "128 a turn, then the rest");
        let drained: Vec<Key> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(drained, all, "in the order they were sent");
        queue.drain_channel(|_| panic!("no mail is left"));
    }

    #[test]
    fn mail_through_the_channel_joins_the_local_queue_in_order() {
        let queue = RunQueue::new();
        let [a, b] = keys(2)[..] else { unreachable!() };
        let inbox = queue.inbox().clone();
        std::thread::spawn(move || {
            inbox.send(a, TaskId::next());
            inbox.send(b, TaskId::next());
        })
        .join()
        .unwrap();
        let mut arrived = Vec::new();
        queue.drain_channel(|mail| arrived.push(mail.key));
        assert_eq!(arrived, [a, b]);
        assert_eq!((queue.pop(), queue.pop()), (Some(a), Some(b)));
    }
}
