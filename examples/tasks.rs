//! Tasks and the waker queue, seen from the outside: when a spawned task
//! starts, how woken tasks take turns, and why a hundred wakes cost one poll.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`); its
//! output is `book/src/generated/tasks.txt`, checked by `tests/book_examples.rs`.
//!
//! ```text
//! cargo run --example tasks
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use busy_chef::{spawn, yield_now, Executor};

// ANCHOR: spawn_is_lazy
async fn spawn_is_lazy() {
    let handle = spawn(async {
        println!("  the task runs");
        "done"
    });
    println!("  spawned {}; it has not run yet", handle.id());
    let output = handle.await.unwrap();
    println!("  awaited it: {output:?}");
}
// ANCHOR_END: spawn_is_lazy

// ANCHOR: take_turns
async fn cook(name: &'static str, steps: u32) {
    for step in 1..=steps {
        println!("  {name}: step {step}");
        yield_now().await; // wake myself, go to the back of the queue
    }
}

async fn take_turns() {
    let toast = spawn(cook("toast", 3));
    let eggs = spawn(cook("eggs", 2));
    let coffee = spawn(cook("coffee", 1));
    toast.await.unwrap();
    eggs.await.unwrap();
    coffee.await.unwrap();
}
// ANCHOR_END: take_turns

// ANCHOR: wake_many
/// Wakes its own task `wakes` times during its first poll, then returns
/// `Pending`; the second poll returns `Ready`. Counts its polls.
struct WakeMany {
    wakes: u32,
    polls: Rc<Cell<u32>>,
}

impl Future for WakeMany {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if self.polls.get() > 1 {
            return Poll::Ready(());
        }
        for _ in 0..self.wakes {
            cx.waker().wake_by_ref(); // only the first of these queues the task
        }
        Poll::Pending
    }
}

async fn wake_many() {
    let polls = Rc::new(Cell::new(0));
    let future = WakeMany {
        wakes: 100,
        polls: polls.clone(),
    };
    spawn(future).await.unwrap();
    println!(
        "  woken 100 times during one poll; polled {} times",
        polls.get()
    );
}
// ANCHOR_END: wake_many

fn main() {
    let executor = Executor::simulated();
    println!("1. spawn does not run the task:");
    executor.block_on(spawn_is_lazy());
    println!("2. woken tasks take turns, first queued first run:");
    executor.block_on(take_turns());
    println!("3. a task is never queued twice:");
    executor.block_on(wake_many());
}
