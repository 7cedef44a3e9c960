//! The busy chef's breakfast: toast, eggs and coffee.
//!
//! First the synchronous chef cooks them one by one, waiting for each; then
//! the busy chef starts all three, lets each cook until it signals that it is
//! done, and plates them together. Both use the same single thread: the busy
//! chef is faster only because it does not stand idle while something is
//! *waiting*.
//!
//! ```text
//! cargo run --example chef                # real clock: ~4.5 s in all
//! cargo run --example chef -- --simulated # simulated clock: instant, same output
//! cargo run --example chef -- --svg chef.svg # also draw the timelines as an SVG file
//! ```
//!
//! It ends by drawing what the executor did, for both chefs, on one time
//! scale (see the book's chapter *Seeing it*).

use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{spawn_named, Executor};

// Cooking times: change them here.
const TOAST: Duration = Duration::from_millis(1000);
const EGGS: Duration = Duration::from_millis(1500);
const COFFEE: Duration = Duration::from_millis(500);

/// Prints a line stamped with the time since `start` (on the executor's clock).
fn say(start: Instant, line: &str) {
    println!("[{:4.1} s] {line}", start.elapsed().as_secs_f64());
}

// ANCHOR: dishes
async fn make_toast(start: Instant) -> &'static str {
    say(start, "toast is in the toaster");
    sleep(TOAST).await; // "Hey toaster, tell me when you're done."
    say(start, "toaster pops!");
    "toast"
}

async fn fry_eggs(start: Instant) -> &'static str {
    say(start, "eggs are in the pan");
    sleep(EGGS).await;
    say(start, "eggs are done!");
    "eggs"
}

async fn brew_coffee(start: Instant) -> &'static str {
    say(start, "coffee machine is on");
    sleep(COFFEE).await;
    say(start, "coffee machine bleeps!");
    "coffee"
}
// ANCHOR_END: dishes

// ANCHOR: synchronous
/// One thing at a time: start a dish, wait for it, then start the next.
async fn synchronous_chef() -> Duration {
    let start = Instant::now();
    let toast = make_toast(start).await;
    let eggs = fry_eggs(start).await;
    let coffee = brew_coffee(start).await;
    say(start, &format!("plated {toast}, {eggs} and {coffee}"));
    start.elapsed()
}
// ANCHOR_END: synchronous

// ANCHOR: busy
/// Start everything, then collect the dishes (toast, eggs, coffee, in that
/// order: one that is done already is collected at once) and plate them.
async fn busy_chef() -> Duration {
    let start = Instant::now();
    let toast = spawn_named("toast", make_toast(start));
    let eggs = spawn_named("eggs", fry_eggs(start));
    let coffee = spawn_named("coffee", brew_coffee(start));
    let (toast, eggs, coffee) = (toast.await, eggs.await, coffee.await);
    let (toast, eggs, coffee) = (toast.unwrap(), eggs.unwrap(), coffee.unwrap());
    say(start, &format!("plated {toast}, {eggs} and {coffee}"));
    start.elapsed()
}
// ANCHOR_END: busy

// ANCHOR: main
fn main() {
    let simulated = std::env::args().any(|arg| arg == "--simulated");
    let executor = if simulated {
        Executor::simulated()
    } else {
        Executor::new()
    };
    executor.enable_trace(); // record what the executor does, to draw it below

    println!("The synchronous chef:");
    let one_by_one = executor.block_on(synchronous_chef());
    let one_by_one_trace = executor.take_trace();
    println!("\nThe busy chef:");
    let together = executor.block_on(busy_chef());
    let together_trace = executor.take_trace();

    println!();
    println!("synchronous chef: {:.1} s", one_by_one.as_secs_f64());
    println!("busy chef:        {:.1} s", together.as_secs_f64());
    println!(
        "saved:            {:.1} s (the busy chef took as long as the longest dish, not the sum)",
        one_by_one.saturating_sub(together).as_secs_f64()
    );

    // The same two breakfasts as the executor saw them, on one time scale.
    let span = one_by_one_trace.duration().max(together_trace.duration());
    println!("\nTimelines (one row per task, time across; main is block_on's future):");
    println!(
        "\nThe synchronous chef:\n{}",
        one_by_one_trace.timeline().span(span)
    );
    println!("\nThe busy chef:\n{}", together_trace.timeline().span(span));
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|arg| arg == "--svg") {
        let path = args.get(i + 1).expect("--svg needs a file name");
        let panels = [
            ("The synchronous chef", &one_by_one_trace),
            ("The busy chef", &together_trace),
        ];
        std::fs::write(path, busy_chef::trace::svg(&panels)).expect("write the SVG file");
        println!("\nwrote {path}");
    }
}
// ANCHOR_END: main
