//! Exercise: a countdown future (book chapter 16, `book/src/exercises.md`).
//!
//! Write `Countdown::poll`: a leaf future that counts down, one step per
//! poll, and wakes its own task so that it is polled again.
//!
//! ```text
//! cargo run --example exercise_countdown
//! ```
//!
//! It panics until the exercise is done; then it prints "all checks passed".
//! The reference solution is `examples/solution_countdown.rs`.

// Until the exercise is done, some of what it declares is unused.
#![allow(
    dead_code,
    unused_variables,
    unused_mut,
    unused_imports,
    clippy::ptr_arg
)]

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

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<&'static str> {
        // At each poll:
        // - if `remaining` is 0, log "<name>: liftoff" and return Ready(name);
        // - otherwise log "<name>: <remaining>", count one down, make sure the
        //   task is polled again (nothing else will wake it!), and return Pending.
        todo!("write Countdown::poll")
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
