//! `--stack-limits`: the largest future and the largest output that
//! busy-chef and tokio run on a thread with a 2 MiB stack.
//!
//! A stack overflow aborts the whole process, so every attempt runs in a
//! fresh copy of this program (`--stack-child RUNNER KIND BYTES`), and the
//! parent reads how it ended. Every rung of the ladder is tried, not only
//! up to the first failure, so a limit that is not monotonic shows up.
//!
//! The runtimes are called the way an application calls them
//! (`busy_chef::spawn`, `tokio::task::spawn_local`), not through the
//! [`Runtime`] adapters: an adapter's `spawn` takes the future by value,
//! and in an unoptimized build that is one more copy on the stack that
//! neither runtime makes.

use std::future::Future;
use std::hint::black_box;
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::measure;
use crate::runtime::Runtime;
use crate::runtimes::{BusyChef, Tokio};

/// The mode's command-line flag.
pub const FLAG: &str = "--stack-limits";
/// The hidden argument that makes `main` a child running one attempt.
pub const CHILD_FLAG: &str = "--stack-child";

/// The stack of the thread each attempt runs on: the size of the threads
/// `cargo test` runs tests on.
const STACK_BYTES: usize = 2 << 20;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// What is big.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The spawned future: it keeps `N` bytes across an `.await`.
    Future,
    /// The spawned task's output: `N` bytes, awaited through its handle.
    Output,
}

impl Kind {
    const ALL: [Kind; 2] = [Kind::Future, Kind::Output];

    fn name(self) -> &'static str {
        match self {
            Kind::Future => "future",
            Kind::Output => "output",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Kind::Future => "future holding N bytes across `.await`",
            Kind::Output => "output of N bytes, through the `JoinHandle`",
        }
    }
}

/// Who runs the test future.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runner {
    BusyChef,
    Tokio,
    /// No runtime: the future boxed and polled in a loop, for reference.
    ByHand,
}

impl Runner {
    const ALL: [Runner; 3] = [Runner::BusyChef, Runner::Tokio, Runner::ByHand];

    fn name(self) -> &'static str {
        match self {
            Runner::BusyChef => "busy-chef",
            Runner::Tokio => "tokio",
            Runner::ByHand => "by-hand",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Runner::BusyChef => "busy-chef",
            Runner::Tokio => "tokio",
            Runner::ByHand => "no runtime (reference)",
        }
    }
}

/// One size of the ladder, with every attempt compiled for it.
struct Rung {
    bytes: usize,
    attempt: fn(Runner, Kind) -> u64,
}

impl Rung {
    const fn of<const N: usize>() -> Rung {
        Rung {
            bytes: N,
            attempt: attempt::<N>,
        }
    }
}

const LADDER: &[Rung] = &[
    Rung::of::<{ 64 * KIB }>(),
    Rung::of::<{ 128 * KIB }>(),
    Rung::of::<{ 256 * KIB }>(),
    Rung::of::<{ 512 * KIB }>(),
    Rung::of::<{ 768 * KIB }>(),
    Rung::of::<{ MIB }>(),
    Rung::of::<{ 1536 * KIB }>(),
    Rung::of::<{ 2 * MIB }>(),
    Rung::of::<{ 3 * MIB }>(),
    Rung::of::<{ 4 * MIB }>(),
    Rung::of::<{ 8 * MIB }>(),
];

// ---------------------------------------------------------------------------
// The attempts (in the child)
// ---------------------------------------------------------------------------

/// Runs one attempt and returns the sum of the big value's bytes (`N`: each
/// byte is 1), so the parent can tell a wrong result from a success.
fn attempt<const N: usize>(runner: Runner, kind: Kind) -> u64 {
    // One function per case, never inlined, so that no case's stack frame
    // grows by another case's temporaries.
    match (runner, kind) {
        (Runner::BusyChef, Kind::Future) => busy_chef_future::<N>(),
        (Runner::BusyChef, Kind::Output) => busy_chef_output::<N>(),
        (Runner::Tokio, Kind::Future) => tokio_future::<N>(),
        (Runner::Tokio, Kind::Output) => tokio_output::<N>(),
        (Runner::ByHand, Kind::Future) => by_hand_future::<N>(),
        (Runner::ByHand, Kind::Output) => by_hand_output::<N>(),
    }
}

/// The big future: `N` bytes kept across an `.await` are part of its state.
async fn holds<const N: usize, Y: Future<Output = ()>>(yield_now: impl FnOnce() -> Y) -> u64 {
    let buf = black_box([1u8; N]);
    yield_now().await;
    sum(&buf)
}

/// The small future with the big output.
async fn makes<const N: usize>() -> [u8; N] {
    black_box([1u8; N])
}

fn sum(bytes: &[u8]) -> u64 {
    bytes.iter().map(|&b| u64::from(b)).sum()
}

#[inline(never)]
fn busy_chef_future<const N: usize>() -> u64 {
    BusyChef::run(async {
        let handle = busy_chef::spawn(holds::<N, _>(busy_chef::yield_now));
        handle.await.expect("the busy-chef task failed")
    })
}

#[inline(never)]
fn busy_chef_output<const N: usize>() -> u64 {
    BusyChef::run(async {
        let handle = busy_chef::spawn(makes::<N>());
        let output = handle.await.expect("the busy-chef task failed");
        sum(&output)
    })
}

#[inline(never)]
fn tokio_future<const N: usize>() -> u64 {
    Tokio::run(async {
        let handle = ::tokio::task::spawn_local(holds::<N, _>(::tokio::task::yield_now));
        handle.await.expect("the tokio task failed")
    })
}

#[inline(never)]
fn tokio_output<const N: usize>() -> u64 {
    Tokio::run(async {
        let handle = ::tokio::task::spawn_local(makes::<N>());
        let output = handle.await.expect("the tokio task failed");
        sum(&output)
    })
}

#[inline(never)]
fn by_hand_future<const N: usize>() -> u64 {
    poll_by_hand(boxed(|| holds::<N, _>(futures_lite::future::yield_now)))
}

#[inline(never)]
fn by_hand_output<const N: usize>() -> u64 {
    sum(&poll_by_hand(boxed(makes::<N>)))
}

/// Builds the future straight into a box. Its own frame, gone before the
/// first poll: the copies made while boxing are not on the stack while the
/// future runs (as with a runtime's `spawn`, which returns before the task
/// is polled).
#[inline(never)]
fn boxed<F: Future>(make: impl FnOnce() -> F) -> Pin<Box<F>> {
    Box::pin(make())
}

/// Polls `future` until it is ready.
#[inline(never)]
fn poll_by_hand<F: Future>(mut future: Pin<Box<F>>) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// `--stack-child RUNNER KIND BYTES`: one attempt on a thread with a
/// 2 MiB stack. Exits 0 if it worked; a stack overflow aborts the process.
pub fn run_child(args: &[String]) -> ! {
    let fail = |problem: String| -> ! {
        eprintln!("{CHILD_FLAG}: {problem}");
        std::process::exit(2);
    };
    let [runner, kind, bytes] = args else {
        fail(format!("needs RUNNER KIND BYTES, got {args:?}"));
    };
    let runner = Runner::ALL
        .into_iter()
        .find(|r| r.name() == runner)
        .unwrap_or_else(|| fail(format!("no runner named {runner}")));
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .unwrap_or_else(|| fail(format!("no kind named {kind}")));
    let rung = LADDER
        .iter()
        .find(|rung| bytes.parse() == Ok(rung.bytes))
        .unwrap_or_else(|| fail(format!("{bytes} bytes is not on the ladder")));
    let attempt = rung.attempt;
    let sum = std::thread::Builder::new()
        .name("2-MiB-stack".into())
        .stack_size(STACK_BYTES)
        .spawn(move || attempt(runner, kind))
        .expect("start a thread with a 2 MiB stack")
        .join()
        // The panic message is already on stderr.
        .unwrap_or_else(|_| std::process::exit(3));
    if sum != rung.bytes as u64 {
        fail(format!("the sum of the bytes is {sum}, not {}", rung.bytes));
    }
    std::process::exit(0);
}

// ---------------------------------------------------------------------------
// The search and the table (in the parent)
// ---------------------------------------------------------------------------

/// What the child printed when its stack overflowed (std's message).
const OVERFLOW_MESSAGE: &str = "has overflowed its stack";

/// Runs one attempt in a child process: did it work (`false`: the stack
/// overflowed)? Any other failure is a bug in this benchmark, and stops it.
fn worked(runner: Runner, kind: Kind, bytes: usize) -> bool {
    let bytes_arg = bytes.to_string();
    let output = measure::run_self(&[CHILD_FLAG, runner.name(), kind.name(), &bytes_arg]);
    if output.status.success() {
        return true;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.signal() == Some(libc::SIGABRT) && stderr.contains(OVERFLOW_MESSAGE) {
        return false;
    }
    eprintln!(
        "error: the attempt {} / {} / {} failed without a stack overflow ({}).\n\
         This is a bug in the benchmark, not a limit. The child's stderr:\n{stderr}",
        runner.name(),
        kind.name(),
        size(bytes),
        output.status
    );
    std::process::exit(1);
}

/// `--stack-limits`: every runner × kind × rung, then the table on stdout.
pub fn limits() {
    let started = Instant::now();
    let build = build();
    eprintln!(
        "busy-chef-bench {FLAG}: {build} build, {} attempts, each in a child process",
        Runner::ALL.len() * Kind::ALL.len() * LADDER.len()
    );
    let mut rows = Vec::new();
    for runner in Runner::ALL {
        for kind in Kind::ALL {
            eprint!("  {:<10} {:<7}", runner.name(), kind.name());
            let outcomes: Vec<(usize, bool)> = LADDER
                .iter()
                .map(|rung| {
                    let ok = worked(runner, kind, rung.bytes);
                    eprint!(" {}{}", size(rung.bytes), if ok { "✓" } else { "✗" });
                    (rung.bytes, ok)
                })
                .collect();
            eprintln!();
            rows.push((runner, kind, outcomes));
        }
    }
    println!("{}", table(&build, &rows));
    eprintln!(
        "busy-chef-bench {FLAG}: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The profile this program was built with.
fn build() -> String {
    format!(
        "{} (opt-level {})",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        env!("BENCH_OPT_LEVEL")
    )
}

/// One runner and kind, and whether each rung of the ladder worked.
type Row = (Runner, Kind, Vec<(usize, bool)>);

fn table(build: &str, rows: &[Row]) -> String {
    use std::fmt::Write;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Largest future and output on a 2 MiB stack, {build} build\n"
    );
    let _ = writeln!(
        out,
        "| runtime | what is N bytes | build | largest N that worked | first N that failed |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|");
    let mut not_monotonic = Vec::new();
    for (runner, kind, outcomes) in rows {
        let largest_ok = outcomes.iter().filter(|(_, ok)| *ok).map(|(b, _)| *b).max();
        let first_failed = outcomes.iter().find(|(_, ok)| !*ok).map(|(b, _)| *b);
        let mut worked_cell =
            largest_ok.map_or(format!("none (< {})", size(LADDER[0].bytes)), size);
        if let (Some(ok), Some(failed)) = (largest_ok, first_failed) {
            if failed < ok {
                worked_cell.push_str(" ‡");
                let worked: Vec<String> = outcomes
                    .iter()
                    .filter(|(_, ok)| *ok)
                    .map(|(b, _)| size(*b))
                    .collect();
                not_monotonic.push(format!(
                    "{} / {}: worked at {}",
                    runner.name(),
                    kind.name(),
                    worked.join(", ")
                ));
            }
        }
        let failed_cell = first_failed.map_or(
            format!("none up to {}", size(LADDER[LADDER.len() - 1].bytes)),
            size,
        );
        let short_build = build.split(' ').next().unwrap_or(build);
        let _ = writeln!(
            out,
            "| {} | {} | {short_build} | {worked_cell} | {failed_cell} |",
            runner.description(),
            kind.description(),
        );
    }
    let ladder: Vec<String> = LADDER.iter().map(|rung| size(rung.bytes)).collect();
    let _ = writeln!(
        out,
        "\nEach attempt runs in its own process, on a thread made with \
         `std::thread::Builder::new().stack_size(2 << 20)`; N is tried at {}. \
         A failure is a stack overflow (anything else stops the run). \
         *future*: the spawned task is \
         `async {{ let buf = black_box([1u8; N]); yield_now().await; sum(&buf) }}`. \
         *output*: the spawned task is `async {{ black_box([1u8; N]) }}`, and the \
         task that awaits its `JoinHandle` sums the bytes. busy-chef (`busy_chef::spawn`) \
         moves futures and outputs above a size threshold to the heap before spawning; \
         tokio ({}, current_thread runtime + `LocalSet`, `spawn_local`) boxes big futures.",
        ladder.join(", "),
        env!("BENCH_PEER_VERSIONS")
            .split(", ")
            .find(|v| v.starts_with("tokio "))
            .unwrap_or("tokio")
    );
    let _ = writeln!(
        out,
        "\nThe test itself uses stack too, whatever the runtime: the poll that builds \
         the array and the `black_box` call are frames of the test future, and an \
         output is returned by value from the poll that makes it and held by the task \
         that receives it. The *no runtime (reference)* row is that cost alone: the \
         same future, built straight into a `Box` in a function that returns before \
         the first poll, then polled in a loop on the same thread. Where a runtime's \
         row is lower, the difference is the runtime's own copies on the stack."
    );
    for line in &not_monotonic {
        let _ = writeln!(out, "\n‡ Not monotonic: {line}.");
    }
    let _ = write!(
        out,
        "\n{}, {}.",
        env!("BENCH_RUSTC_VERSION"),
        std::env::consts::ARCH
    );
    out
}

/// `65536` → `64 KiB`, `1572864` → `1.5 MiB`.
fn size(bytes: usize) -> String {
    if bytes >= MIB {
        let mib = bytes as f64 / MIB as f64;
        format!("{} MiB", (mib * 100.0).round() / 100.0)
    } else {
        format!("{} KiB", bytes / KIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_in_kib_below_a_mib_and_in_mib_from_there() {
        assert_eq!(size(64 * KIB), "64 KiB");
        assert_eq!(size(768 * KIB), "768 KiB");
        assert_eq!(size(MIB), "1 MiB");
        assert_eq!(size(1536 * KIB), "1.5 MiB");
    }

    #[test]
    fn the_ladder_climbs_so_the_first_failure_is_the_smallest() {
        assert!(LADDER.windows(2).all(|pair| pair[0].bytes < pair[1].bytes));
    }

    #[test]
    fn a_limit_that_is_not_monotonic_is_flagged_with_every_size_that_worked() {
        let outcomes = vec![
            (64 * KIB, true),
            (128 * KIB, false),
            (256 * KIB, true),
            (512 * KIB, false),
        ];
        let table = table(
            "debug (opt-level 0)",
            &[(Runner::Tokio, Kind::Output, outcomes)],
        );
        assert!(
            table.contains(
                "| tokio | output of N bytes, through the `JoinHandle` | debug | 256 KiB ‡ | 128 KiB |"
            ),
            "{table}"
        );
        assert!(
            table.contains("‡ Not monotonic: tokio / output: worked at 64 KiB, 256 KiB."),
            "{table}"
        );
    }

    #[test]
    fn a_row_that_never_failed_or_never_worked_says_so() {
        let all = |ok| LADDER.iter().map(|rung| (rung.bytes, ok)).collect();
        let table = table(
            "release (opt-level 3)",
            &[
                (Runner::BusyChef, Kind::Future, all(true)),
                (Runner::ByHand, Kind::Output, all(false)),
            ],
        );
        assert!(
            table.contains("| release | 8 MiB | none up to 8 MiB |"),
            "{table}"
        );
        assert!(
            table.contains("| release | none (< 64 KiB) | 64 KiB |"),
            "{table}"
        );
        assert!(!table.contains('‡'), "{table}");
    }
}
