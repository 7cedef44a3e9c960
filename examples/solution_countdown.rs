//! Reference solution of the exercise in `examples/exercise_countdown.rs`
//! (book chapter 16, `book/src/exercises.md`). The checks in `main` are the
//! same in both files (a test compares them).
//!
//! ```text
//! cargo run --example solution_countdown
//! ```

// ANCHOR: setup
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use busy_chef::{spawn, Executor};

/// A future that counts down from `from` to zero, one step per poll, letting
/// the other tasks run between its steps. Each step appends a line to `log`.
struct Countdown {
    name: &'static str,
    remaining: u32,
    log: Rc<RefCell<Vec<String>>>,
}
// ANCHOR_END: setup

// ANCHOR: poll
impl Future for Countdown {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        // `Countdown` is `Unpin` (all its fields are), so `self` derefs mutably.
        if self.remaining == 0 {
            self.log
                .borrow_mut()
                .push(format!("{}: liftoff", self.name));
            return Poll::Ready(self.name);
        }
        let line = format!("{}: {}", self.name, self.remaining);
        self.log.borrow_mut().push(line);
        self.remaining -= 1;
        // No timer, no other thread: if we do not wake ourselves, nobody
        // will. The wake puts the task at the back of the queue, so the
        // other tasks get their turn first (like `yield_now`).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: poll

// ANCHOR: checks
fn main() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let countdown = |name, from| Countdown {
        name,
        remaining: from,
        log: log.clone(),
    };
    let (a, b) = Executor::simulated().block_on(async {
        let a = spawn(countdown("rocket", 3));
        let b = spawn(countdown("kettle", 1));
        (a.await.unwrap(), b.await.unwrap())
    });
    for line in log.borrow().iter() {
        println!("{line}");
    }
    assert_eq!((a, b), ("rocket", "kettle"));
    // The two tasks take turns: one step each per turn of the executor.
    assert_eq!(
        *log.borrow(),
        [
            "rocket: 3",
            "kettle: 1",
            "rocket: 2",
            "kettle: liftoff",
            "rocket: 1",
            "rocket: liftoff",
        ]
    );
    println!("all checks passed");
}
// ANCHOR_END: checks
