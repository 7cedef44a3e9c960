//! busy-chef side by side with tokio, async-executor (smol) and futures'
//! `LocalPool`, on the same workloads in the same run.
//!
//! ```text
//! cargo run --release -p busy-chef-bench                  # everything, ~15 samples a cell
//! cargo run --release -p busy-chef-bench -- --quick       # a few seconds (CI)
//! cargo run --release -p busy-chef-bench -- --write-book  # also write book/src/generated/bench.md
//!   --reps N               samples per cell (median of N)
//!   --only w1,w2           only these workloads (e.g. ping_pong)
//!   --runtime r1,r2        only these runtimes (e.g. busy-chef; for profiling)
//!   --no-floor             skip the floor measurements
//! cargo run -p busy-chef-bench -- --stack-limits          # big futures on a 2 MiB stack (debug)
//! cargo run --release -p busy-chef-bench -- --stack-limits
//! ```
//!
//! Each cell is the median of several samples; the samples of one workload
//! are interleaved across the runtimes (and the order rotates), so a burst of
//! noise from another process hits every column alike. Absolute numbers
//! drift on a shared machine: compare ratios taken from one run.
//!
//! `--stack-limits` measures no speed: it finds the largest future, and the
//! largest task output, that busy-chef and tokio run on a thread with a
//! 2 MiB stack (the size of `cargo test`'s threads), trying sizes from
//! 64 KiB to 8 MiB, each in a child process because a stack overflow aborts
//! the process. Run it in both builds: an unoptimized build copies a value
//! on the stack at every step it is passed by value, so its limits can be
//! much lower. It prints one Markdown table for the build it ran in (`stack.rs`).

mod floor;
mod measure;
mod report;
mod runtime;
mod runtimes;
mod stack;
mod workloads;

use std::io::Write;
use std::path::PathBuf;

use workloads::{Entry, Workload};

/// What the command line asked for.
struct Options {
    quick: bool,
    write_book: bool,
    reps: usize,
    workloads: Vec<Workload>,
    runtimes: Vec<Entry>,
    floor: bool,
}

fn parse_args() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(measure::CHILD_FLAG) {
        run_child(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(stack::CHILD_FLAG) {
        stack::run_child(&args[1..]);
    }
    if args.iter().any(|arg| arg == stack::FLAG) {
        if args.len() > 1 {
            usage(&format!("{} takes no other arguments", stack::FLAG));
        }
        stack::limits();
        std::process::exit(0);
    }
    let mut options = Options {
        quick: false,
        write_book: false,
        reps: 0,
        workloads: Workload::ALL.to_vec(),
        runtimes: runtimes::all(),
        floor: true,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs {what}")))
        };
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--write-book" => options.write_book = true,
            "--no-floor" => options.floor = false,
            "--reps" => {
                options.reps = value("a number")
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage("--reps needs a positive number"))
            }
            "--only" => {
                options.workloads = value("workload names")
                    .split(',')
                    .map(|name| {
                        Workload::by_name(name)
                            .unwrap_or_else(|| usage(&format!("no workload named {name}")))
                    })
                    .collect()
            }
            "--runtime" => {
                options.runtimes = value("runtime names")
                    .split(',')
                    .map(|name| {
                        runtimes::by_name(name)
                            .unwrap_or_else(|| usage(&format!("no runtime named {name}")))
                    })
                    .collect()
            }
            // `cargo bench` passes this to every bench target.
            "--bench" => {}
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if options.reps == 0 {
        options.reps = if options.quick { 3 } else { 15 };
    }
    options
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}\n");
    }
    let workloads: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
    let runtimes: Vec<&str> = runtimes::all().iter().map(|r| r.name).collect();
    eprintln!(
        "usage: busy-chef-bench [--quick] [--write-book] [--reps N] [--only W,..] \
         [--runtime R,..] [--no-floor]\n       busy-chef-bench --stack-limits\n  workloads: {}\n  runtimes: {}",
        workloads.join(", "),
        runtimes.join(", ")
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 });
}

/// `--child RUNTIME WORKLOAD`: measure one sample in this fresh process,
/// print it, exit.
fn run_child(args: &[String]) -> ! {
    let (Some(runtime), Some(workload)) = (args.first(), args.get(1)) else {
        usage("--child needs a runtime and a workload");
    };
    let entry = runtimes::by_name(runtime).unwrap_or_else(|| usage("unknown runtime"));
    let value = match Workload::by_name(workload) {
        Some(Workload::MemPerTask) => (entry.mem_child)(),
        _ => usage("only mem_per_task runs in a child"),
    };
    println!("{value}");
    std::process::exit(0);
}

/// Every sample of one workload: `samples[runtime][rep]`.
fn measure_workload(workload: Workload, options: &Options) -> Vec<Vec<f64>> {
    let runtimes = &options.runtimes;
    let mut samples = vec![Vec::with_capacity(options.reps); runtimes.len()];
    // One warm-up round (not kept) in the full run: page faults, lazy
    // statics and the allocator's first growth are not what we measure.
    let warmup = usize::from(!options.quick && workload != Workload::MemPerTask);
    for rep in 0..warmup + options.reps {
        for k in 0..runtimes.len() {
            // Rotate who goes first, so no runtime always runs right after
            // another one's heavy teardown.
            let index = (k + rep) % runtimes.len();
            let value = (runtimes[index].sample)(workload);
            if rep >= warmup {
                samples[index].push(value);
            }
        }
    }
    samples
}

fn main() {
    let options = parse_args();
    let started = std::time::Instant::now();
    let machine = report::Machine::now();
    eprintln!(
        "busy-chef-bench: {} sample(s) per cell{}, runtimes: {}",
        options.reps,
        if options.quick { " (--quick)" } else { "" },
        options
            .runtimes
            .iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut rows = Vec::new();
    for &workload in &options.workloads {
        eprint!("  {:<18}", workload.name());
        let _ = std::io::stderr().flush();
        let samples = measure_workload(workload, &options);
        let row = report::Row::new(workload, &samples);
        eprintln!("{}", row.one_line(&options.runtimes));
        rows.push(row);
    }

    let floor = if options.floor {
        let n = if options.quick { 200_000 } else { 2_000_000 };
        floor::PARTS
            .iter()
            .map(|part| {
                let samples: Vec<f64> = (0..options.reps).map(|_| (part.measure)(n)).collect();
                (part.name, measure::median(&samples))
            })
            .collect()
    } else {
        Vec::new()
    };

    let markdown = report::markdown(
        &machine,
        &options.runtimes,
        &rows,
        &floor,
        options.reps,
        options.quick,
    );
    println!("{markdown}");
    eprintln!(
        "busy-chef-bench: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    if options.write_book {
        let path: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "..",
            "book",
            "src",
            "generated",
            "bench.md",
        ]
        .iter()
        .collect();
        std::fs::write(&path, &markdown)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("busy-chef-bench: wrote {}", path.display());
    }
}
