//! Reference solution of the exercise in `examples/exercise_heap_timer.rs`
//! (book chapter 16, `book/src/exercises.md`). The checks in `main` are the
//! same in both files (a test compares them).
//!
//! ```text
//! cargo run --example solution_heap_timer
//! ```

// ANCHOR: setup
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

use busy_chef::internals::Wheel;

/// Identifies a timer in a [`HeapTimers`], to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct TimerId(u64);

/// A timer store like asyncio's: a binary heap ordered by deadline (in ms).
/// Cancelling is lazy: a cancelled timer stays in the heap, its waker is
/// removed from `wakers`, and it is skipped when it reaches the top.
struct HeapTimers {
    /// (deadline, id), smallest first. Ids grow, so equal deadlines come
    /// out in the order they were inserted.
    heap: BinaryHeap<Reverse<(u64, TimerId)>>,
    /// The wakers of the timers that are neither fired nor cancelled.
    wakers: HashMap<TimerId, Waker>,
    next_id: u64,
}
// ANCHOR_END: setup

// ANCHOR: store
impl HeapTimers {
    fn new() -> Self {
        HeapTimers {
            heap: BinaryHeap::new(),
            wakers: HashMap::new(),
            next_id: 0,
        }
    }

    /// Adds a timer that fires at `deadline`.
    fn insert(&mut self, deadline: u64, waker: Waker) -> TimerId {
        let id = TimerId(self.next_id);
        self.next_id += 1;
        self.heap.push(Reverse((deadline, id)));
        self.wakers.insert(id, waker);
        id
    }

    /// Cancels a timer; does nothing if it has fired or was cancelled.
    fn cancel(&mut self, id: TimerId) {
        // O(1): the heap entry stays, and is skipped when it reaches the top.
        self.wakers.remove(&id);
    }

    /// The earliest deadline of a timer that is still live (skip, and throw
    /// away, cancelled timers at the top of the heap).
    fn next_deadline(&mut self) -> Option<u64> {
        while let Some(&Reverse((deadline, id))) = self.heap.peek() {
            if self.wakers.contains_key(&id) {
                return Some(deadline);
            }
            self.heap.pop(); // cancelled
        }
        None
    }

    /// Moves the wakers of every live timer with `deadline <= now` into
    /// `fired`, earliest first.
    fn fire_due(&mut self, now: u64, fired: &mut Vec<Waker>) {
        while let Some(&Reverse((deadline, id))) = self.heap.peek() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            if let Some(waker) = self.wakers.remove(&id) {
                fired.push(waker);
            }
        }
    }
}
// ANCHOR_END: store

// ANCHOR: checks
/// A waker that records its number in a shared list when woken.
struct Recorder {
    number: u64,
    log: Arc<Mutex<Vec<u64>>>,
}

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.number);
    }
}

/// Numbers from a fixed seed (xorshift), so every run checks the same cases.
fn pseudo_random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn main() {
    // 1. The basics.
    let log = Arc::new(Mutex::new(Vec::new()));
    let waker = |number| {
        Waker::from(Arc::new(Recorder {
            number,
            log: log.clone(),
        }))
    };
    let mut heap = HeapTimers::new();
    assert_eq!(heap.next_deadline(), None);
    heap.insert(30, waker(30));
    let ten = heap.insert(10, waker(10));
    heap.insert(20, waker(20));
    assert_eq!(heap.next_deadline(), Some(10));
    heap.cancel(ten);
    assert_eq!(
        heap.next_deadline(),
        Some(20),
        "a cancelled timer must be skipped"
    );
    let mut fired = Vec::new();
    heap.fire_due(25, &mut fired);
    fired.drain(..).for_each(Waker::wake);
    assert_eq!(*log.lock().unwrap(), [20]);
    assert_eq!(heap.next_deadline(), Some(30));

    // 2. The heap against the executor's timer wheel: the same timers, the
    // same cancellations, the clock advanced in the same steps; the same
    // timers must fire at each step.
    let mut seed = 0x5eed_u64;
    let heap_log = Arc::new(Mutex::new(Vec::new()));
    let wheel_log = Arc::new(Mutex::new(Vec::new()));
    let mut heap = HeapTimers::new();
    let mut wheel = Wheel::new(0);
    let mut live = Vec::new();
    for number in 0..2000 {
        let deadline = 1 + pseudo_random(&mut seed) % 300_000; // up to 5 minutes
        let make = |log: &Arc<Mutex<Vec<u64>>>| {
            Waker::from(Arc::new(Recorder {
                number,
                log: log.clone(),
            }))
        };
        let in_heap = heap.insert(deadline, make(&heap_log));
        let in_wheel = wheel
            .insert(deadline, make(&wheel_log))
            .expect("in the future");
        live.push((in_heap, in_wheel));
    }
    for _ in 0..300 {
        let index = (pseudo_random(&mut seed) % live.len() as u64) as usize;
        let (in_heap, in_wheel) = live.swap_remove(index);
        heap.cancel(in_heap);
        wheel.cancel(in_wheel);
    }
    let mut now = 0;
    let mut steps = 0;
    while now < 300_000 {
        now += 1 + pseudo_random(&mut seed) % 5_000;
        let (mut from_heap, mut from_wheel) = (Vec::new(), Vec::new());
        heap.fire_due(now, &mut from_heap);
        wheel.advance(now, &mut from_wheel, None);
        from_heap.drain(..).for_each(Waker::wake);
        from_wheel.drain(..).for_each(Waker::wake);
        let mut a = std::mem::take(&mut *heap_log.lock().unwrap());
        let mut b = std::mem::take(&mut *wheel_log.lock().unwrap());
        assert!(a.windows(2).all(|w| w[0] != w[1]), "a timer fired twice");
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(
            a, b,
            "at {now} ms the heap and the wheel fire different timers"
        );
        steps += 1;
    }
    assert_eq!(heap.next_deadline(), None, "every timer has fired");
    println!("2000 timers, 300 cancelled, {steps} clock steps: the heap agrees with the wheel");
    println!("all checks passed");
}
// ANCHOR_END: checks
