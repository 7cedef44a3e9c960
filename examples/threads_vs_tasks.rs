//! Why not one thread per download? N threads that sleep, against N tasks
//! that sleep: what each costs in start-up time and in memory.
//!
//! Book chapter: *Why not threads?* (`book/src/why-not-threads.md`).
//!
//! ```text
//! cargo run --release --example threads_vs_tasks          # N = 10,000
//! cargo run --release --example threads_vs_tasks -- 1000  # another N
//! ```
//!
//! Each side is measured in a fresh process of its own (this program runs
//! itself twice, with `--measure threads N` and `--measure tasks N`), so that
//! neither inherits the other's memory. Linux only: the figures come from
//! `/proc/self/status` and `/proc/meminfo`.
//!
//! `tests/threads_vs_tasks.rs` runs it and checks the *shape* of what it
//! prints (tasks cost far less than threads), never the exact figures, which
//! change from run to run and from machine to machine.

use std::cell::Cell;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use busy_chef::{spawn, yield_now, Executor};

/// How long each sleeper sleeps: far longer than the program runs. The
/// sleepers are still asleep when the process exits, which ends them.
const NAP: Duration = Duration::from_secs(3600);

/// What one side measured: before the first sleeper is created, and once all
/// of them are asleep.
#[derive(Debug, Clone, Copy)]
struct Measured {
    /// How many sleepers were really started (fewer than asked if the system
    /// refused a thread).
    started: usize,
    /// From just before the first spawn until every sleeper had started.
    startup: Duration,
    /// Growth of `VmRSS` (this process's pages in RAM), in KiB.
    rss_kib: i64,
    /// Growth of `VmSize` (this process's address space), in KiB.
    vm_kib: i64,
    /// Growth of `KernelStack` in `/proc/meminfo` (system-wide), in KiB.
    kernel_stack_kib: i64,
}

/// A `kB` field of a `/proc` file (`VmRSS:   1234 kB`).
fn proc_kib(file: &str, field: &str) -> i64 {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {file} ({e}): this example needs Linux's /proc"));
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{field}: ... kB` line in {file}"))
}

/// The three memory figures, now.
fn memory() -> [i64; 3] {
    [
        proc_kib("/proc/self/status", "VmRSS"),
        proc_kib("/proc/self/status", "VmSize"),
        proc_kib("/proc/meminfo", "KernelStack"),
    ]
}

fn measured(started: usize, startup: Duration, before: [i64; 3]) -> Measured {
    let after = memory();
    Measured {
        started,
        startup,
        rss_kib: after[0] - before[0],
        vm_kib: after[1] - before[1],
        kernel_stack_kib: after[2] - before[2],
    }
}

// ANCHOR: threads
/// N threads, each of which says it has started and goes to sleep.
fn sleeping_threads(n: usize) -> Measured {
    let started = Arc::new(AtomicUsize::new(0));
    let before = memory();
    let clock = Instant::now();
    let mut spawned = 0;
    for i in 0..n {
        let started = started.clone();
        let thread = std::thread::Builder::new().spawn(move || {
            started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(NAP);
        });
        if let Err(e) = thread {
            eprintln!(
                "note: the system refused thread {} of {n} ({e}); measuring the {i} \
                 that started. (Limits: `ulimit -u`, /proc/sys/kernel/threads-max, \
                 a container's pids.max.)",
                i + 1
            );
            break;
        }
        spawned += 1;
    }
    // Wait until every thread has run its first line.
    while started.load(Ordering::SeqCst) < spawned {
        std::thread::sleep(Duration::from_micros(200));
    }
    let startup = clock.elapsed();
    measured(spawned, startup, before)
}
// ANCHOR_END: threads

// ANCHOR: tasks
/// N tasks on one busy-chef executor, each of which says it has started and
/// goes to sleep.
fn sleeping_tasks(n: usize) -> Measured {
    let started = Rc::new(Cell::new(0));
    let executor = Executor::new();
    let before = memory();
    let clock = Instant::now();
    executor.block_on(async {
        for _ in 0..n {
            let started = started.clone();
            spawn(async move {
                started.set(started.get() + 1);
                busy_chef::time::sleep(NAP).await;
            });
        }
        // Wait until every task has run its first line.
        while started.get() < n {
            yield_now().await;
        }
    });
    let startup = clock.elapsed();
    // `block_on` is done, but the executor still holds the N sleeping tasks.
    let m = measured(started.get(), startup, before);
    std::mem::forget(executor); // the process ends now; no need to tidy up
    m
}
// ANCHOR_END: tasks

/// One side, in this process: prints one line of `key=value`s for the parent.
fn measure_here(what: &str, n: usize) {
    let m = match what {
        "threads" => sleeping_threads(n),
        "tasks" => sleeping_tasks(n),
        other => panic!("--measure threads|tasks, not {other:?}"),
    };
    println!(
        "started={} startup_ns={} rss_kib={} vm_kib={} kernel_stack_kib={}",
        m.started,
        m.startup.as_nanos(),
        m.rss_kib,
        m.vm_kib,
        m.kernel_stack_kib
    );
    // Exit without waiting for the sleepers: the process's end ends them.
    std::process::exit(0);
}

/// Runs this program again to measure one side in a fresh process.
fn measure_in_child(what: &str, n: usize) -> Measured {
    let exe = std::env::current_exe().expect("the path of this program");
    let output = Command::new(exe)
        .args(["--measure", what, &n.to_string()])
        .output()
        .expect("run this program again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "measuring {what} failed ({}):\n{stdout}",
        output.status
    );
    let field = |key: &str| -> i64 {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("no {key}= in {stdout:?}"))
    };
    Measured {
        started: field("started") as usize,
        startup: Duration::from_nanos(field("startup_ns") as u64),
        rss_kib: field("rss_kib"),
        vm_kib: field("vm_kib"),
        kernel_stack_kib: field("kernel_stack_kib"),
    }
}

/// Two significant digits, with a unit: `480 ms`, `6.1 ms`, `85 µs`.
fn time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{} {unit}", two_digits(value))
}

/// Two significant digits, with a binary unit: `85 MiB`, `300 B`.
fn bytes(b: f64) -> String {
    let (value, unit) = if b.abs() >= 1024.0 * 1024.0 * 1024.0 {
        (b / (1024.0 * 1024.0 * 1024.0), "GiB")
    } else if b.abs() >= 1024.0 * 1024.0 {
        (b / (1024.0 * 1024.0), "MiB")
    } else if b.abs() >= 1024.0 {
        (b / 1024.0, "KiB")
    } else {
        (b, "B")
    };
    format!("{} {unit}", two_digits(value))
}

/// `480`, `6.1`, `0.25`: two significant digits, as a short string.
fn two_digits(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = x.abs().log10().floor() as i32;
    let decimals = (1 - digits).max(0) as usize;
    let scale = 10f64.powi(digits - 1);
    format!("{:.*}", decimals, (x / scale).round() * scale)
}

/// `threads / tasks`, as `~30×`, or `-` when the tasks' figure is too small
/// to divide by.
fn ratio(threads: f64, tasks: f64) -> String {
    if tasks <= 0.0 {
        "-".into()
    } else {
        format!("~{}×", two_digits(threads / tasks))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        let n = args
            .get(2)
            .and_then(|n| n.parse().ok())
            .expect("--measure WHAT N");
        measure_here(&args[1], n);
    }
    let n: usize = args.first().map_or(10_000, |n| {
        n.parse()
            .expect("the one argument is N, the number of sleepers")
    });

    // ANCHOR: main
    let threads = measure_in_child("threads", n);
    let tasks = measure_in_child("tasks", n);
    // ANCHOR_END: main

    println!("N = {n} sleepers, each sleeping for an hour; measured once all are asleep.");
    if threads.started < n {
        println!("(only {} threads could be started)", threads.started);
    }
    let per = |kib: i64, m: &Measured| kib as f64 * 1024.0 / m.started.max(1) as f64;
    let row = |what: &str, a: String, b: String, r: String| {
        let line = format!("{what:<28} {a:>12} {b:>12} {r:>16}");
        println!("{}", line.trim_end());
    };
    println!();
    row(
        "",
        "threads".into(),
        "tasks".into(),
        "threads / tasks".into(),
    );
    row(
        "start-up (all N running)",
        time(threads.startup),
        time(tasks.startup),
        ratio(
            threads.startup.as_secs_f64() / threads.started.max(1) as f64,
            tasks.startup.as_secs_f64() / tasks.started.max(1) as f64,
        ),
    );
    row(
        "  per sleeper",
        time(threads.startup / threads.started.max(1) as u32),
        time(tasks.startup / tasks.started.max(1) as u32),
        String::new(),
    );
    for (what, t, k) in [
        ("memory in RAM (VmRSS)", threads.rss_kib, tasks.rss_kib),
        ("address space (VmSize)", threads.vm_kib, tasks.vm_kib),
        (
            "kernel stacks (KernelStack)",
            threads.kernel_stack_kib,
            tasks.kernel_stack_kib,
        ),
    ] {
        row(
            what,
            bytes(t as f64 * 1024.0),
            bytes(k as f64 * 1024.0),
            ratio(per(t, &threads), per(k, &tasks)),
        );
        row(
            "  per sleeper",
            bytes(per(t, &threads)),
            bytes(per(k, &tasks)),
            String::new(),
        );
    }
}
