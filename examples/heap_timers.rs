//! A first timer store, as asyncio keeps one: a binary heap of (deadline,
//! waker), earliest on top. A tiny executor with a simulated clock runs the
//! course's two downloads on it, and shows the heap as it goes.
//!
//! Book chapter: *`sleep`, a leaf future* (`book/src/sleep.md`).
//!
//! ```text
//! cargo run --example heap_timers
//! ```

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

// ANCHOR: timer
/// One waiting timer. Ordered by deadline, then by creation, so that two
/// timers with the same deadline fire in the order they were made.
struct Timer {
    deadline_ms: u64,
    seq: u64,
    waker: Waker,
    /// Set by a `Sleep` that is dropped before its deadline.
    cancelled: Rc<Cell<bool>>,
}

impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline_ms, self.seq).cmp(&(other.deadline_ms, other.seq))
    }
}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timer {}

/// The executor's clock and timers. `BinaryHeap` is a max-heap; `Reverse`
/// puts the *earliest* deadline on top.
#[derive(Default)]
struct Timers {
    now_ms: Cell<u64>,
    heap: RefCell<BinaryHeap<Reverse<Timer>>>,
    next_seq: Cell<u64>,
}
// ANCHOR_END: timer

impl Timers {
    /// The deadlines in the heap, sorted (the heap itself is only partly
    /// sorted: just its top is known to be the smallest).
    fn show(&self) -> String {
        let heap = self.heap.borrow();
        let mut timers: Vec<&Timer> = heap.iter().map(|Reverse(t)| t).collect();
        timers.sort();
        let shown: Vec<String> = timers
            .iter()
            .map(|t| {
                let mark = if t.cancelled.get() {
                    " (cancelled)"
                } else {
                    ""
                };
                format!("{} ms{mark}", t.deadline_ms)
            })
            .collect();
        format!("[{}]", shown.join(", "))
    }

    // ANCHOR: sleep
    /// A future that is ready once the clock reaches `now + ms`.
    fn sleep(&self, ms: u64) -> Sleep<'_> {
        Sleep {
            timers: self,
            deadline_ms: self.now_ms.get() + ms,
            registered: None,
        }
    }
}

/// A leaf future: it waits for the clock, and awaits nothing itself.
struct Sleep<'a> {
    timers: &'a Timers,
    deadline_ms: u64,
    registered: Option<Rc<Cell<bool>>>,
}

impl Future for Sleep<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timers = self.timers;
        if timers.now_ms.get() >= self.deadline_ms {
            self.registered = None; // fired: nothing to cancel any more
            return Poll::Ready(());
        }
        if self.registered.is_none() {
            // First poll: push (deadline, waker) onto the heap. O(log n).
            // (A real executor would also refresh the waker on later polls.)
            let cancelled = Rc::new(Cell::new(false));
            let seq = timers.next_seq.get();
            timers.next_seq.set(seq + 1);
            timers.heap.borrow_mut().push(Reverse(Timer {
                deadline_ms: self.deadline_ms,
                seq,
                waker: cx.waker().clone(),
                cancelled: cancelled.clone(),
            }));
            self.registered = Some(cancelled);
            println!(
                "  {:>5} ms  push {} ms -> heap {}",
                timers.now_ms.get(),
                self.deadline_ms,
                timers.show()
            );
        }
        Poll::Pending
    }
}

impl Drop for Sleep<'_> {
    /// Dropped before its deadline: the timer is still somewhere inside the
    /// heap, and a heap cannot take out an element from the middle cheaply.
    /// So it is only marked; the loop throws it away when it reaches the top.
    fn drop(&mut self) {
        if let Some(cancelled) = &self.registered {
            cancelled.set(true);
        }
    }
}
// ANCHOR_END: sleep

// ANCHOR: block_on
impl Timers {
    /// Polls `future`; whenever it is `Pending`, pops the earliest timer,
    /// moves the simulated clock to its deadline, and wakes it.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        // One future, and we poll it after every timer anyway: the waker's
        // only job here is to be stored in the heap.
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            let Reverse(timer) = loop {
                let Reverse(top) = self
                    .heap
                    .borrow_mut()
                    .pop()
                    .expect("Pending, and no timer can wake it: this would sleep for ever");
                if !top.cancelled.get() {
                    break Reverse(top);
                }
                println!(
                    "  {:>5} ms  pop {} ms: cancelled, skip",
                    self.now_ms.get(),
                    top.deadline_ms
                );
            };
            self.now_ms.set(timer.deadline_ms); // the simulated clock jumps
            println!(
                "  {:>5} ms  pop {} ms -> heap {}: wake",
                self.now_ms.get(),
                timer.deadline_ms,
                self.show()
            );
            timer.waker.wake();
        }
    }
}
// ANCHOR_END: block_on

// ANCHOR: program
async fn download_file(timers: &Timers, name: &str, seconds: u64) {
    println!("Starting download of {name}...");
    timers.sleep(seconds * 1000).await;
    println!("Finished download of {name}!");
}

fn main() {
    let timers = Timers::default();
    timers.block_on(async {
        println!("Main Started!");
        busy_chef::join(
            download_file(&timers, "File 1", 2),
            download_file(&timers, "File 2", 1),
        )
        .await;
        println!("Main Finished!");

        // A timer that is dropped before its deadline, as in a timeout that
        // did not expire: poll it once (it registers), then drop it.
        let mut patience = pin!(timers.sleep(5_000));
        let _ = futures_lite::future::poll_once(patience.as_mut()).await;
        println!("(the 5 s timer is dropped before it fires)");
    });
    println!("heap at the end: {}", timers.show());
}
// ANCHOR_END: program
