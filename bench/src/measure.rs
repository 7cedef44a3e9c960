//! Clocks, memory and statistics.

use std::process::{Command, Output};
use std::time::Duration;

use crate::workloads::Workload;

/// CPU time used so far by the whole process (every thread: a runtime that
/// keeps a helper thread busy pays for it here).
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID is
    // supported by Linux (and required by POSIX).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The process's resident set size, from `/proc/self/statm`.
pub fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("/proc/self/statm has a resident field");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page as usize
}

/// The hidden argument that makes `main` a child measuring one workload.
pub const CHILD_FLAG: &str = "--child";

/// Runs one sample of `workload` on `runtime` in a fresh copy of this
/// program, and returns the number it prints.
pub fn in_child_process(runtime: &str, workload: Workload) -> f64 {
    let output = run_self(&[CHILD_FLAG, runtime, workload.name()]);
    assert!(
        output.status.success(),
        "child for {runtime}/{} failed: {}",
        workload.name(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the child prints one number")
}

/// Runs this program again with `args`, and waits for it to end.
pub fn run_self(args: &[&str]) -> Output {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    Command::new(exe)
        .args(args)
        .output()
        .expect("start a child process")
}

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    assert!(!samples.is_empty(), "median of no samples");
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The spread of `samples`: (max - min) / median, as a fraction.
pub fn spread(samples: &[f64]) -> f64 {
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let median = median(samples);
    if median > 0.0 {
        (max - min) / median
    } else {
        0.0
    }
}
