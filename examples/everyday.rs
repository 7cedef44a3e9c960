//! Everyday async on busy-chef, with `futures-lite`: racing (`or`, `race`),
//! `zip`, streams (`stream::iter`, `StreamExt`, an `interval` as a stream),
//! tasks that share an `Rc<RefCell<..>>`, and what goes wrong when a
//! `RefCell` borrow or a `std::sync::Mutex` guard is held across an
//! `.await`. Timings come from the simulated clock, so they are exact and
//! the same on every run.
//!
//! Book chapter: *Everyday async* (`book/src/everyday.md`); its output is
//! `book/src/generated/everyday-*.txt`, checked by `tests/book_examples.rs`.
//! The compiler errors the chapter shows come from `tests/compile_fail/`
//! (`tests/compile_errors.rs`).
//!
//! ```text
//! cargo run --example everyday
//! ```
//!
//! Part 7 makes a task panic on purpose: the panic is caught (its
//! `JoinHandle` reports it), and Rust's panic message appears on stderr.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Mutex, TryLockError};
use std::time::Duration;

use busy_chef::time::{interval, sleep, Instant};
use busy_chef::{spawn, spawn_named, Executor};
use futures_lite::future::{self, FutureExt};
use futures_lite::stream::{self, StreamExt};

/// Prints a line stamped with the executor's (simulated) time.
fn say(line: impl std::fmt::Display) {
    println!(
        "  [{:.2} s] {line}",
        Instant::now().since_origin().as_secs_f64()
    );
}

fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

/// Prints a line when it is dropped before it finished: a cancelled download.
struct CancelNotice {
    name: &'static str,
    finished: bool,
}

impl Drop for CancelNotice {
    fn drop(&mut self) {
        if !self.finished {
            say(format!("{} was dropped before it finished", self.name));
        }
    }
}

// ANCHOR: download
async fn download(name: &'static str, seconds: f64) -> &'static str {
    let mut notice = CancelNotice {
        name,
        finished: false,
    };
    sleep(secs(seconds)).await;
    say(format!("{name} finished"));
    notice.finished = true;
    name
}
// ANCHOR_END: download

// ANCHOR: or
async fn first_of_two() {
    // The first to finish wins; the other is dropped, so cancelled.
    let winner = download("File 1", 2.0).or(download("File 2", 1.0)).await;
    say(format!("or returned {winner}"));

    // A deadline: race the work against a sleep with an answer of the same type.
    let answer = download("File 3", 5.0)
        .or(async {
            sleep(secs(3.0)).await;
            "no answer after 3 s"
        })
        .await;
    say(format!("or returned {answer:?}"));
}
// ANCHOR_END: or

// ANCHOR: race
async fn ties() {
    let (mut or_left, mut race_left) = (0, 0);
    for seed in 0..1000 {
        // Two futures that are both ready at the first poll: a tie.
        if future::ready("left").or(future::ready("right")).await == "left" {
            or_left += 1;
        }
        // `race` polls the two in a random order (seeded here, to print
        // the same count on every run; `race` picks its own seed).
        let raced = future::race_with_seed(future::ready("left"), future::ready("right"), seed);
        if raced.await == "left" {
            race_left += 1;
        }
    }
    say(format!("or:   the left one won {or_left} of 1000 ties"));
    say(format!("race: the left one won {race_left} of 1000 ties"));
}
// ANCHOR_END: race

// ANCHOR: zip
async fn both() {
    let (a, b) = future::zip(download("File 1", 2.0), download("File 2", 1.0)).await;
    say(format!("zip returned ({a:?}, {b:?})"));
}
// ANCHOR_END: zip

// ANCHOR: streams
async fn orders() {
    // An async iterator: `next()` is a future of the next item, or `None`.
    let mut orders = stream::iter(["toast", "eggs", "coffee"]);
    while let Some(dish) = orders.next().await {
        say(format!("order: {dish}"));
    }

    // `then` runs one future per item, one item after the other.
    let cooked: Vec<&str> = stream::iter([("toast", 1.0), ("eggs", 1.5)])
        .then(|(dish, seconds)| download(dish, seconds))
        .collect()
        .await;
    say(format!("cooked {cooked:?}, one after the other"));
}
// ANCHOR_END: streams

// ANCHOR: interval
async fn flip_until_done() {
    let mut ticks = interval(secs(0.25)); // ticks at once, then every 0.25 s
    let mut eggs = sleep(secs(1.0)); // the eggs are done after 1 s
    loop {
        // Whichever comes first: the eggs being done, or the next tick.
        let next = async {
            (&mut eggs).await;
            None
        }
        .or(async { Some(ticks.tick().await) })
        .await;
        match next {
            Some(_) => say("flip the eggs"),
            None => break,
        }
    }
    say("the eggs are done");

    // An `Interval` is also a `Stream` of ticks, so `StreamExt` applies: the
    // first three, as times.
    let times: Vec<String> = interval(secs(0.25))
        .take(3)
        .map(|tick: Instant| format!("{:.2} s", tick.since_origin().as_secs_f64()))
        .collect()
        .await;
    say(format!("three ticks, at {}", times.join(", ")));
}
// ANCHOR_END: interval

// ANCHOR: rc
async fn shared_log() {
    // `Rc` and `RefCell` are not `Send`: fine, no task leaves this thread.
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut tasks = Vec::new();
    for (dish, seconds) in [("toast", 1.0), ("eggs", 1.5), ("coffee", 0.5)] {
        let log = log.clone(); // the task owns its own `Rc`: it is `'static`
        tasks.push(spawn(async move {
            sleep(secs(seconds)).await;
            log.borrow_mut().push(dish);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    say(format!("plated, in order: {:?}", log.borrow()));
}
// ANCHOR_END: rc

// ANCHOR: refcell
/// Restocks the shelf: borrows it, waits 1 s for the delivery, adds eggs.
#[allow(clippy::await_holding_refcell_ref)] // the mistake this part shows
async fn restock_holding_the_borrow(pantry: Rc<RefCell<Vec<&'static str>>>) {
    let mut shelf = pantry.borrow_mut();
    say("restock: borrowed the shelf, waiting for the delivery");
    sleep(secs(1.0)).await; // the borrow is still held here
    shelf.push("eggs");
}

/// The same, with the borrow taken after the `.await`.
async fn restock(pantry: Rc<RefCell<Vec<&'static str>>>) {
    say("restock: waiting for the delivery");
    sleep(secs(1.0)).await;
    pantry.borrow_mut().push("eggs"); // borrowed and released in one line
}

/// Half a second in, the cook looks at the shelf.
async fn cook(pantry: Rc<RefCell<Vec<&'static str>>>) -> usize {
    sleep(secs(0.5)).await;
    let items = pantry.borrow().len(); // panics if the shelf is borrowed
    say(format!("cook: {items} item(s) on the shelf"));
    items
}
// ANCHOR_END: refcell

async fn borrow_across_await() {
    // ANCHOR: refcell_run
    for holds_the_borrow in [true, false] {
        let pantry = Rc::new(RefCell::new(vec!["flour"]));
        let restocking = if holds_the_borrow {
            spawn_named("restock", restock_holding_the_borrow(pantry.clone()))
        } else {
            spawn_named("restock", restock(pantry.clone()))
        };
        let cooking = spawn_named("cook", cook(pantry.clone()));
        match cooking.await {
            Ok(items) => say(format!("the cook's handle: Ok({items})")),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("(not a string)");
                say(format!("the cook's handle: Err, a panic: {message}"));
            }
            Err(e) => say(format!("the cook's handle: Err({e})")),
        }
        restocking.await.unwrap();
        say(format!("shelf: {:?}", pantry.borrow()));
    }
    // ANCHOR_END: refcell_run
}

// ANCHOR: mutex
/// Holds a `std::sync::Mutex` guard across an `.await`.
#[allow(clippy::await_holding_lock)] // the mistake this part shows
async fn restock_holding_the_lock(pantry: Rc<Mutex<Vec<&'static str>>>) {
    let mut shelf = pantry.lock().unwrap();
    say("restock: locked the shelf, waiting for the delivery");
    sleep(secs(1.0)).await; // the guard is still held here
    shelf.push("eggs");
    say("restock: done, the lock is released");
}

async fn cook_tries_the_lock(pantry: Rc<Mutex<Vec<&'static str>>>) {
    sleep(secs(0.5)).await;
    // `pantry.lock()` here would never return: the lock's holder is a task
    // on this same thread, and it cannot run until this poll returns.
    // `try_lock` says so instead of hanging.
    match pantry.try_lock() {
        Err(TryLockError::WouldBlock) => say("cook: try_lock() -> WouldBlock"),
        Err(TryLockError::Poisoned(_)) => say("cook: the lock is poisoned"),
        Ok(shelf) => say(format!("cook: locked, shelf {shelf:?}")),
    }
}

/// An async mutex: `lock()` is a future, `Pending` while another task holds
/// the lock, so the thread stays free for that task.
async fn restock_async_lock(pantry: Rc<async_lock::Mutex<Vec<&'static str>>>) {
    let mut shelf = pantry.lock().await;
    say("restock: locked the shelf (async_lock), waiting for the delivery");
    sleep(secs(1.0)).await;
    shelf.push("eggs");
    say("restock: done, the lock is released");
}

async fn cook_waits_for_the_lock(pantry: Rc<async_lock::Mutex<Vec<&'static str>>>) {
    sleep(secs(0.5)).await;
    say("cook: waiting for the lock");
    let shelf = pantry.lock().await;
    say(format!("cook: locked, shelf {:?}", *shelf));
}
// ANCHOR_END: mutex

async fn lock_across_await() {
    // ANCHOR: mutex_run
    let pantry = Rc::new(Mutex::new(vec!["flour"]));
    let restocking = spawn(restock_holding_the_lock(pantry.clone()));
    spawn(cook_tries_the_lock(pantry.clone())).await.unwrap();
    restocking.await.unwrap();

    let pantry = Rc::new(async_lock::Mutex::new(vec!["flour"]));
    let restocking = spawn(restock_async_lock(pantry.clone()));
    spawn(cook_waits_for_the_lock(pantry.clone()))
        .await
        .unwrap();
    restocking.await.unwrap();
    // ANCHOR_END: mutex_run
}

/// One part of the example: a title and the `async fn` that shows it.
type Part = (&'static str, fn() -> Pin<Box<dyn Future<Output = ()>>>);

fn main() {
    let parts: [Part; 8] = [
        ("or: the first to finish wins", || Box::pin(first_of_two())),
        ("Ties: or prefers the left, race has no favourite", || {
            Box::pin(ties())
        }),
        ("zip: both, side by side", || Box::pin(both())),
        ("Streams: an async iterator", || Box::pin(orders())),
        ("An interval, in a loop and as a stream", || {
            Box::pin(flip_until_done())
        }),
        (
            "Tasks sharing an Rc<RefCell<..>>",
            || Box::pin(shared_log()),
        ),
        ("A RefCell borrow held across .await, then not", || {
            Box::pin(borrow_across_await())
        }),
        (
            "A std Mutex guard held across .await; an async mutex",
            || Box::pin(lock_across_await()),
        ),
    ];
    for (n, (title, part)) in parts.into_iter().enumerate() {
        println!("{}. {title}", n + 1);
        // A fresh simulated executor for each part: its clock starts at 0.
        let took = Executor::simulated().block_on(async {
            let start = Instant::now();
            part().await;
            start.elapsed()
        });
        println!("  took {:.2} s", took.as_secs_f64());
    }
}
