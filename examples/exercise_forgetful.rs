//! Exercise: the doorbell that never rings (book chapter 16, `book/src/exercises.md`).
//!
//! `Delivery` is a future that another thread completes. Run it:
//!
//! ```text
//! cargo run --example exercise_forgetful
//! ```
//!
//! It gives up after 500 ms, although the delivery arrives after 20 ms. Fix
//! `Delivery::poll` (and only that) so that the checks in `main` pass. The
//! reference solution is `examples/solution_forgetful.rs`.

// ANCHOR: setup
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use busy_chef::time::{timeout, Instant};
use busy_chef::Executor;

/// What the delivery thread and the future share.
struct Shared {
    delivered: bool,
    /// The waker of the task that waits for the delivery, if it is waiting.
    waker: Option<Waker>,
}

/// A future that completes when another thread says the delivery arrived.
struct Delivery {
    shared: Arc<Mutex<Shared>>,
}

/// Orders a delivery: a thread rings the doorbell after `after`.
fn order_delivery(after: Duration) -> Delivery {
    let shared = Arc::new(Mutex::new(Shared {
        delivered: false,
        waker: None,
    }));
    let for_the_thread = shared.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let mut shared = for_the_thread.lock().unwrap();
        shared.delivered = true;
        let waker = shared.waker.take();
        drop(shared); // release the lock before waking: a waker is arbitrary code
        if let Some(waker) = waker {
            waker.wake(); // ring the doorbell
        }
    });
    Delivery { shared }
}
// ANCHOR_END: setup

// ANCHOR: poll
impl Future for Delivery {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let shared = self.shared.lock().unwrap();
        if shared.delivered {
            return Poll::Ready(());
        }
        // Not delivered yet: wait.
        Poll::Pending
    }
}
// ANCHOR_END: poll

// ANCHOR: checks
/// Waits for a delivery that arrives after 20 ms, giving up after 500 ms.
fn main() {
    let executor = Executor::new(); // the real clock: a real thread rings
    let outcome = executor.block_on(async {
        let start = Instant::now();
        let arrived = timeout(
            Duration::from_millis(500),
            order_delivery(Duration::from_millis(20)),
        )
        .await;
        (arrived, start.elapsed())
    });
    let (arrived, took) = outcome;
    println!("waited {} ms: {arrived:?}", took.as_millis());
    if took >= Duration::from_millis(400) {
        // The thread rang after 20 ms. If the task noticed only at 500 ms,
        // it was the timeout's own timer that woke it, not the doorbell.
        println!("the doorbell rang after 20 ms, but nobody woke the task");
        panic!("the task was never woken by the delivery: does `poll` store the waker?");
    }
    assert_eq!(arrived, Ok(()));
    println!("all checks passed");
}
// ANCHOR_END: checks
