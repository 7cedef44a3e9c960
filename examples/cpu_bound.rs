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
//! * Run 2 kneads inside a task again, but in slices, with a `yield_now`
//!   between them: the others get a turn now and then, yet the work still
//!   takes the one thread's time.
//! * Run 3 hands the dough to [`busy_chef::spawn_blocking`]: another thread
//!   kneads, and the chef carries on with breakfast.
//!
//! ```text
//! cargo run --release --example cpu_bound           # dough ≈ 1 s
//! cargo run --example cpu_bound -- --quick          # everything 5× shorter
//! cargo run --example cpu_bound -- --svg cpu.svg    # also draw the timelines as an SVG file
//! cargo run --example cpu_bound -- --replay .       # also write each run as a replay
//! ```
//!
//! It ends by drawing what the executor did in each run, on one time scale
//! (see the book's chapter *Seeing it*): in run 1 the dough's one poll is a
//! long bar during which no other task runs. The tasks are named (`eggs`,
//! `coffee`, `dough`), so the timelines and the executor's blocking-poll
//! warning say which task held the thread.
//!
//! Book chapter: *When the chef is not waiting* (`book/src/cpu-work.md`).

use std::hint::black_box;
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::trace::Trace;
use busy_chef::{spawn_blocking, spawn_named, yield_now, Executor};

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
    knead_more(black_box(42), folds)
}

/// `folds` more folds of a dough kneaded so far.
fn knead_more(mut dough: u64, folds: u64) -> u64 {
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

// ANCHOR: in_slices
/// Run 2: still on the executor's thread, but a slice at a time, with a turn
/// for the other tasks (and the timers) between two slices.
async fn knead_in_slices(k: Kitchen) -> u64 {
    const SLICES: u64 = 100;
    k.say("kneading the dough (in slices, yield_now between)...");
    let mut dough = 42;
    for slice in 0..SLICES {
        let folds = k.folds / SLICES + u64::from(slice < k.folds % SLICES);
        dough = knead_more(dough, folds);
        yield_now().await; // the eggs and the coffee get a turn
    }
    k.say("dough is kneaded");
    dough
}
// ANCHOR_END: in_slices

// ANCHOR: in_spawn_blocking
/// Run 3: the dough goes to another thread; the task only waits for it.
async fn knead_on_another_thread(k: Kitchen) -> u64 {
    k.say("kneading the dough (spawn_blocking)...");
    let folds = k.folds;
    let texture = spawn_blocking(move || knead(folds)).await.unwrap();
    k.say("dough is kneaded");
    texture
}
// ANCHOR_END: in_spawn_blocking

/// What one run measured.
#[derive(Debug)]
struct Run {
    total: Duration,
    eggs_late: Duration,
    coffee_late: Duration,
    texture: u64,
}

/// Where the dough is kneaded.
#[derive(Debug, Clone, Copy)]
enum Kneading {
    InATask,
    InSlices,
    OnAnotherThread,
}

// ANCHOR: breakfast
async fn breakfast(k: Kitchen, kneading: Kneading) -> Run {
    let k = Kitchen {
        start: Instant::now(),
        ..k
    };
    let eggs = spawn_named("eggs", fry_eggs(k));
    let coffee = spawn_named("coffee", brew_coffee(k));
    let dough = match kneading {
        Kneading::InATask => spawn_named("dough", knead_in_a_task(k)),
        Kneading::InSlices => spawn_named("dough", knead_in_slices(k)),
        Kneading::OnAnotherThread => spawn_named("dough", knead_on_another_thread(k)),
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

    // ANCHOR: runs
    let executor = Executor::new();
    // The blocking-poll warning is on by default in debug builds only; turn it
    // on in release builds too (BUSY_CHEF_WARN_BLOCKING, when set, still wins).
    if std::env::var_os("BUSY_CHEF_WARN_BLOCKING").is_none() {
        executor.warn_blocking_polls(Some(Duration::from_millis(100)));
    }
    executor.enable_trace(); // record what the executor does, to draw it below

    println!("\nRun 1: the chef kneads the dough in a task");
    let one = executor.block_on(breakfast(kitchen, Kneading::InATask));
    let one_trace = executor.take_trace();
    println!("\nRun 2: the chef kneads in slices, with yield_now between them");
    let two = executor.block_on(breakfast(kitchen, Kneading::InSlices));
    let two_trace = executor.take_trace();
    println!("\nRun 3: the dough goes to spawn_blocking");
    let three = executor.block_on(breakfast(kitchen, Kneading::OnAnotherThread));
    let three_trace = executor.take_trace();
    // ANCHOR_END: runs

    assert_eq!(one.texture, two.texture, "the same dough, kneaded again");
    assert_eq!(one.texture, three.texture, "the same dough, kneaded again");
    println!();
    for (name, run) in [
        ("run 1 (in a task):      ", &one),
        ("run 2 (in slices):      ", &two),
        ("run 3 (spawn_blocking): ", &three),
    ] {
        println!(
            "{name}total {:.2} s, eggs waited up to {:.2} s extra, coffee {:.2} s extra",
            run.total.as_secs_f64(),
            run.eggs_late.as_secs_f64(),
            run.coffee_late.as_secs_f64()
        );
    }
    println!("dough texture (all runs): {:016x}", one.texture);

    // ANCHOR: timelines
    // The three breakfasts as the executor saw them, on one time scale.
    let panels: [(&str, &Trace); 3] = [
        ("Run 1, kneading in a task", &one_trace),
        ("Run 2, kneading in slices", &two_trace),
        ("Run 3, kneading in spawn_blocking", &three_trace),
    ];
    let span = panels.iter().map(|(_, trace)| trace.duration()).max();
    println!("\nTimelines (one row per task, time across; main is block_on's future):");
    for (title, trace) in panels {
        let timeline = trace.timeline().width(60).span(span.unwrap_or_default());
        println!("\n{title}:\n{timeline}");
    }
    // ANCHOR_END: timelines
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|arg| arg == "--svg") {
        let path = args.get(i + 1).expect("--svg needs a file name");
        std::fs::write(path, busy_chef::trace::svg(&panels)).expect("write the SVG file");
        println!("\nwrote {path}");
    }
    // Replays, to step through in the book's replay widget (chapter
    // "Watching it run"): cpu_bound-run1.replay.json, ...
    if let Some(i) = args.iter().position(|arg| arg == "--replay") {
        let folder = std::path::Path::new(args.get(i + 1).expect("--replay needs a folder"));
        for (n, (_, trace)) in panels.iter().enumerate() {
            let path = folder.join(format!("cpu_bound-run{}.replay.json", n + 1));
            std::fs::write(&path, trace.to_replay_json()).expect("write the replay");
            println!("wrote {}", path.display());
        }
    }
}
