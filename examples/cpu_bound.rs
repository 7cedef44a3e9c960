//! When the chef is not waiting: CPU-heavy work blocks the one chef.
//!
//! The course ends with a warning: *async only helps with waiting; heavy math
//! still needs another worker.* This example shows why. Besides breakfast
//! (eggs to flip every quarter of a second, coffee to pour), the chef must
//! knead a dough: real CPU work, millions of folds, sized at start-up to take
//! about one second on this machine.
//!
//! * Run 1 kneads inside a task. While it kneads, the one thread does nothing
//!   else: the coffee machine bleeps and nobody pours, the eggs burn unflipped.
//! * Run 2 hands the dough to [`busy_chef::spawn_blocking`]: another thread
//!   kneads, and the chef carries on with breakfast.
//!
//! ```text
//! cargo run --release --example cpu_bound           # dough ≈ 1 s
//! cargo run --example cpu_bound -- --quick          # everything 5× shorter
//! ```
//!
//! Book chapter: *When the chef is not waiting* (`book/src/cpu-work.md`).

use std::hint::black_box;
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{spawn, spawn_blocking, Executor};

/// All the kitchen's times, scaled down by `--quick`.
#[derive(Debug, Clone, Copy)]
struct Kitchen {
    /// How long the dough should take to knead (the CPU work).
    dough: Duration,
    /// The eggs need a flip this often...
    flip_every: Duration,
    /// ...this many times.
    flips: u32,
    /// The coffee brews this long, then wants pouring.
    coffee: Duration,
    /// The folds that take about `dough` on this machine (calibrated).
    folds: u64,
    /// When the run started.
    start: Instant,
}

impl Kitchen {
    fn say(&self, line: &str) {
        println!("[{:4.2} s] {line}", self.start.elapsed().as_secs_f64());
    }
}

// ANCHOR: knead
/// One fold of the dough: a round of a 64-bit mixing function (SplitMix64's
/// finaliser). Each fold needs the one before it, so the compiler cannot skip
/// or merge any: this is real work, for the CPU alone.
fn fold(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Kneads the dough: `folds` folds, no waiting anywhere. Returns the dough's
/// "texture" (a checksum, the same for the same number of folds).
fn knead(folds: u64) -> u64 {
    let mut dough = black_box(42);
    for _ in 0..folds {
        dough = fold(dough);
    }
    black_box(dough)
}
// ANCHOR_END: knead

/// How many folds take `budget` on this machine, in this build (a debug build
/// is much slower than a release build: calibrating keeps the run short in
/// both). Five short probes of a twentieth of the budget each; the fastest
/// counts (the first ones may run before the CPU has sped up, or while
/// another program has it).
fn calibrate(budget: Duration) -> u64 {
    const BATCH: u64 = 20_000;
    let probe = budget / 20;
    let mut best_per_second: f64 = 0.0;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        let mut folds = 0;
        while start.elapsed() < probe {
            knead(BATCH);
            folds += BATCH;
        }
        best_per_second = best_per_second.max(folds as f64 / start.elapsed().as_secs_f64());
    }
    ((best_per_second * budget.as_secs_f64()) as u64).max(BATCH)
}

// ANCHOR: dishes
/// The eggs need the chef every `flip_every`. Returns how late the latest
/// flip was: how long the eggs waited for a chef who was busy elsewhere.
async fn fry_eggs(k: Kitchen) -> Duration {
    k.say("eggs are in the pan");
    let mut worst = Duration::ZERO;
    for flip in 1..=k.flips {
        let due = Instant::now() + k.flip_every;
        sleep(k.flip_every).await;
        let late = Instant::now().saturating_duration_since(due);
        worst = worst.max(late);
        k.say(&format!("eggs flipped ({flip}/{})", k.flips));
    }
    worst
}

async fn brew_coffee(k: Kitchen) -> Duration {
    k.say("coffee machine is on");
    let due = Instant::now() + k.coffee;
    sleep(k.coffee).await;
    let late = Instant::now().saturating_duration_since(due);
    k.say("coffee poured");
    late
}
// ANCHOR_END: dishes

// ANCHOR: in_a_task
/// Run 1: the dough is kneaded inside a task, on the executor's thread.
async fn knead_in_a_task(k: Kitchen) -> u64 {
    k.say("kneading the dough (in a task)...");
    let texture = knead(k.folds); // no .await inside: nothing else can run
    k.say("dough is kneaded");
    texture
}
// ANCHOR_END: in_a_task

// ANCHOR: in_spawn_blocking
/// Run 2: the dough goes to another thread; the task only waits for it.
async fn knead_on_another_thread(k: Kitchen) -> u64 {
    k.say("kneading the dough (spawn_blocking)...");
    let folds = k.folds;
    let texture = spawn_blocking(move || knead(folds)).await.unwrap();
    k.say("dough is kneaded");
    texture
}
// ANCHOR_END: in_spawn_blocking

/// What one run measured.
struct Run {
    total: Duration,
    eggs_late: Duration,
    coffee_late: Duration,
    texture: u64,
}

// ANCHOR: breakfast
async fn breakfast(k: Kitchen, on_another_thread: bool) -> Run {
    let k = Kitchen {
        start: Instant::now(),
        ..k
    };
    let eggs = spawn(fry_eggs(k));
    let coffee = spawn(brew_coffee(k));
    let dough = if on_another_thread {
        spawn(knead_on_another_thread(k))
    } else {
        spawn(knead_in_a_task(k))
    };
    let (eggs_late, coffee_late) = (eggs.await.unwrap(), coffee.await.unwrap());
    let texture = dough.await.unwrap();
    k.say("breakfast is served, the dough is ready");
    Run {
        total: k.start.elapsed(),
        eggs_late,
        coffee_late,
        texture,
    }
}
// ANCHOR_END: breakfast

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let scale = if quick { 5 } else { 1 };
    let dough = Duration::from_millis(1000) / scale;
    let folds = calibrate(dough);
    let kitchen = Kitchen {
        dough,
        flip_every: Duration::from_millis(250) / scale,
        flips: 4,
        coffee: Duration::from_millis(400) / scale,
        folds,
        start: Instant::now(), // reset when each run starts
    };
    println!(
        "The dough: {:.1} million folds, about {:.2} s of CPU work on this machine.",
        folds as f64 / 1e6,
        kitchen.dough.as_secs_f64()
    );
    println!(
        "Breakfast: eggs flipped every {:.2} s ({} flips), coffee after {:.2} s.",
        kitchen.flip_every.as_secs_f64(),
        kitchen.flips,
        kitchen.coffee.as_secs_f64()
    );

    let executor = Executor::new();
    println!("\nRun 1: the chef kneads the dough in a task");
    let one = executor.block_on(breakfast(kitchen, false));
    println!("\nRun 2: the dough goes to spawn_blocking");
    let two = executor.block_on(breakfast(kitchen, true));

    assert_eq!(one.texture, two.texture, "the same dough, kneaded twice");
    println!();
    for (name, run) in [
        ("run 1 (in a task):      ", &one),
        ("run 2 (spawn_blocking): ", &two),
    ] {
        println!(
            "{name}total {:.2} s, eggs waited up to {:.2} s extra, coffee {:.2} s extra",
            run.total.as_secs_f64(),
            run.eggs_late.as_secs_f64(),
            run.coffee_late.as_secs_f64()
        );
    }
    println!("dough texture (both runs): {:016x}", one.texture);
}
