//! What a `JoinHandle` gives you, and what happens to the task when you
//! await it, drop it, abort it, when the task panics, and when the executor
//! goes away first.
//!
//! Book chapter: *`JoinHandle`* (`book/src/join-handle.md`); its output is
//! `book/src/generated/join_handle-*.txt`, checked by `tests/book_examples.rs`.
//!
//! ```text
//! cargo run --example join_handle
//! ```

use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{spawn, Executor};

/// The executor's time, for the printed lines.
fn now() -> String {
    format!("{:.1} s", Instant::now().since_origin().as_secs_f64())
}

/// A dish that says when it is thrown away (dropped).
#[derive(Debug)]
struct Dish(&'static str);

impl Drop for Dish {
    fn drop(&mut self) {
        println!("  [{}] the {} is thrown away (dropped)", now(), self.0);
    }
}

/// Says when the future that owns it is dropped before it finished.
struct Guard(&'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        println!("  [{}] {}'s future is dropped", now(), self.0);
    }
}

// ANCHOR: cook
/// Cooks for `seconds`, then returns the dish.
async fn cook(name: &'static str, seconds: u64) -> Dish {
    let guard = Guard(name);
    sleep(Duration::from_secs(seconds)).await;
    println!("  [{}] {name} is ready", now());
    std::mem::forget(guard); // finished: no "dropped" line for this one
    Dish(name)
}
// ANCHOR_END: cook

// ANCHOR: await_it
async fn await_it() {
    let handle = spawn(cook("toast", 1));
    let dish = handle.await.unwrap();
    println!("  [{}] got {dish:?} from the handle", now());
}
// ANCHOR_END: await_it

// ANCHOR: drop_it
async fn drop_it() {
    let handle = spawn(cook("toast", 1));
    drop(handle); // detach: the task keeps running
    println!("  [{}] dropped the handle", now());
    sleep(Duration::from_secs(2)).await; // meanwhile, do something else
    println!("  [{}] done waiting", now());
}
// ANCHOR_END: drop_it

// ANCHOR: abort_it
async fn abort_it() {
    let handle = spawn(cook("eggs", 2));
    sleep(Duration::from_secs(1)).await;
    handle.abort();
    println!(
        "  [{}] abort() called; finished yet? {}",
        now(),
        handle.is_finished()
    );
    let error = handle.await.unwrap_err();
    println!(
        "  [{}] awaiting it gives: {error} (is_cancelled: {})",
        now(),
        error.is_cancelled()
    );
}
// ANCHOR_END: abort_it

// ANCHOR: panic_it
async fn panic_it() {
    let burnt = spawn(async {
        sleep(Duration::from_secs(1)).await;
        panic!("the pan caught fire");
    });
    let coffee = spawn(cook("coffee", 2));
    let error = burnt.await.unwrap_err();
    println!(
        "  [{}] the first task: {error} (is_panic: {})",
        now(),
        error.is_panic()
    );
    let dish = coffee.await.unwrap();
    println!("  [{}] the other task carried on: {dish:?}", now());
}
// ANCHOR_END: panic_it

// ANCHOR: executor_gone
fn executor_gone() {
    let executor = Executor::simulated();
    let handle = executor.spawn(cook("stew", 60));
    // Run the executor for one second: the stew starts cooking.
    executor.block_on(async { sleep(Duration::from_secs(1)).await });
    drop(executor); // closes the kitchen: every unfinished task is cancelled
    let result = Executor::simulated().block_on(handle);
    println!(
        "  the handle, awaited on another executor: {:?}",
        result.map(|_| ())
    );
}
// ANCHOR_END: executor_gone

fn run(title: &str, part: impl std::future::Future<Output = ()>) {
    println!("{title}");
    Executor::simulated().block_on(part);
}

fn main() {
    run("1. await the handle:", await_it());
    run("2. drop the handle:", drop_it());
    run("3. abort:", abort_it());
    // The panic is caught by the executor; silence the default message that
    // the panic hook would print to stderr.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    run("4. the task panics:", panic_it());
    std::panic::set_hook(hook);
    println!("5. the executor is dropped first:");
    executor_gone();
}
