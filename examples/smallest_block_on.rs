//! The smallest executors: `block_on` written twice. The first polls in a loop
//! as fast as it can; the second puts the thread to sleep until the future's
//! waker is called. Both run the same future, a toaster that pops after 50 ms
//! on another thread, and count their polls.
//!
//! Book chapter: *`block_on`, the smallest executor* (`book/src/block-on.md`).
//!
//! ```text
//! cargo run --example smallest_block_on
//! ```
//!
//! The busy-polling count depends on the machine, so it is printed to stderr
//! (the book shows one real run: `generated_smallest_block_on_measured` in
//! `tests/book.rs`); stdout is the same on every run.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

// ANCHOR: toaster
/// Pops `after` the first poll. The waiting happens on a thread of its own,
/// which calls the waker when it is done.
struct Toaster {
    after: Duration,
    popped: Option<Arc<AtomicBool>>,
}

impl Future for Toaster {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        match &self.popped {
            Some(popped) if popped.load(Ordering::Acquire) => Poll::Ready("toast"),
            Some(_) => Poll::Pending, // still toasting; the thread has our waker
            None => {
                let popped = Arc::new(AtomicBool::new(false));
                let (flag, waker, after) = (popped.clone(), cx.waker().clone(), self.after);
                thread::spawn(move || {
                    thread::sleep(after);
                    flag.store(true, Ordering::Release);
                    waker.wake();
                });
                self.popped = Some(popped);
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: toaster

// ANCHOR: busy
/// Executor 1: poll, poll, poll... until `Ready`. The waker does nothing:
/// this loop never waits for it.
fn busy_block_on<F: Future>(future: F) -> (F::Output, u64) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
    }
}
// ANCHOR_END: busy

// ANCHOR: parking
/// The waker of executor 2: it remembers that it was called, and wakes the
/// thread that runs `block_on` if that thread is asleep.
struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release); // first the note...
        self.thread.unpark(); // ...then the alarm
    }
}

/// Executor 2: poll once; while the future is `Pending`, sleep until its
/// waker is called, then poll again.
fn parking_block_on<F: Future>(future: F) -> (F::Output, u64) {
    let mut future = pin!(future);
    let waker = Arc::new(ThreadWaker {
        thread: thread::current(),
        woken: AtomicBool::new(false),
    });
    // `Waker::from` builds the vtable for us from the `Wake` impl.
    let std_waker = Waker::from(waker.clone());
    let mut cx = Context::from_waker(&std_waker);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        // Sleep until woken. `park` may return without a reason (std allows
        // that), so the flag, not `park`'s return, says "you were woken".
        // A wake that came before we got here left the flag set: no sleep.
        while !waker.woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}
// ANCHOR_END: parking

fn main() {
    // ANCHOR: main
    let after = Duration::from_millis(50);

    let start = Instant::now();
    let (toast, polls) = busy_block_on(Toaster {
        after,
        popped: None,
    });
    let took = start.elapsed();
    assert!(took >= after);
    println!("busy-polling block_on: {toast} after {after:?}");
    println!(
        "  polls: {}",
        if polls > 1_000 {
            "more than 1000"
        } else {
            "few"
        }
    );
    eprintln!(
        "busy-polling block_on: {} polls in {:.1} ms",
        thousands(polls),
        took.as_secs_f64() * 1e3
    );

    let start = Instant::now();
    let (toast, polls) = parking_block_on(Toaster {
        after,
        popped: None,
    });
    let took = start.elapsed();
    assert!(took >= after);
    println!("parking block_on:      {toast} after {after:?}");
    println!("  polls: {polls}");
    eprintln!(
        "parking block_on:      {} polls in {:.1} ms",
        thousands(polls),
        took.as_secs_f64() * 1e3
    );
    // ANCHOR_END: main
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
