//! The examples behind the book's chapters 7 to 16 (tasks, `JoinHandle`, the
//! executor loop, combinators, desugaring, `Pin`, Python, exercises).
//!
//! Each test runs an example, checks what it must show (so the book's claims
//! are asserted, not just snapshotted), and compares its output with the file
//! under `book/src/generated/` that the chapter includes.
//! `BUSY_CHEF_BLESS=1 cargo test --test book_examples` rewrites those files.

mod common;

use common::{check_or_bless, run_example};

/// The course program's output (from `gather --simulated`), without the
/// final "Took ..." line.
const GATHER_LINES: [&str; 6] = [
    "Main Started!",
    "Starting download of File 1...",
    "Starting download of File 2...",
    "Finished download of File 2!",
    "Finished download of File 1!",
    "Main Finished!",
];

/// Splits an example's output into its numbered parts ("1. ...", "2. ..."),
/// each starting with its heading line.
fn numbered_parts(output: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for line in output.lines() {
        let starts_part = line
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if starts_part {
            parts.push(String::new());
        }
        let part = parts
            .last_mut()
            .unwrap_or_else(|| panic!("output does not start with a numbered part: {line:?}"));
        part.push_str(line);
        part.push('\n');
    }
    parts
}

// ---------------------------------------------------------------------------
// Chapter 7: tasks
// ---------------------------------------------------------------------------

#[test]
fn tasks_example() {
    let out = run_example("tasks", &[]);
    let parts = numbered_parts(&out);
    assert_eq!(parts.len(), 3, "{out}");

    // spawn does not run the task: the "spawned" line comes first.
    let spawned = out.find("it has not run yet").expect("spawned line");
    let ran = out.find("the task runs").expect("task line");
    assert!(spawned < ran, "{out}");

    // Round robin: every cook's step 1 before any step 2.
    let steps: Vec<&str> = parts[1].lines().skip(1).map(str::trim).collect();
    assert_eq!(
        steps,
        [
            "toast: step 1",
            "eggs: step 1",
            "coffee: step 1",
            "toast: step 2",
            "eggs: step 2",
            "toast: step 3",
        ]
    );

    // A hundred wakes during one poll: polled twice, not a hundred times.
    assert!(parts[2].contains("polled 2 times"), "{out}");

    for (n, part) in parts.iter().enumerate() {
        check_or_bless(&format!("book/src/generated/tasks-{}.txt", n + 1), part);
    }
}

// ---------------------------------------------------------------------------
// Chapter 9: the executor loop
// ---------------------------------------------------------------------------

#[test]
fn gather_steps_example() {
    let out = run_example("gather_steps", &[]);

    // Without the trace lines, it is the course program, line for line.
    let program: Vec<&str> = out
        .lines()
        .filter(|line| !line.starts_with("  ["))
        .collect();
    assert_eq!(program[..6], GATHER_LINES, "{out}");
    assert!(program[6].starts_with("Took 2.00 s"), "{out}");

    // What the chapter walks through: the clock jumps 0 → 1 → 2 s, each jump
    // is a timer firing a chain of wakes up to the main future, and at 1 s
    // join_all polls only the child that was woken.
    let trace: Vec<&str> = out.lines().filter(|l| l.starts_with("  [")).collect();
    let at_one: Vec<&str> = trace
        .iter()
        .filter(|l| l.starts_with("  [1.000 s]"))
        .map(|l| l["  [1.000 s] ".len()..].trim())
        .collect();
    assert_eq!(
        at_one,
        [
            "wake sleep(1 s)",
            "wake File 2",
            "wake main",
            "poll main",
            "poll File 2",
            "poll sleep(1 s)",
            "sleep(1 s) -> Ready",
            "File 2 -> Ready",
            "main -> Pending",
        ]
    );
    assert!(trace.last().unwrap().ends_with("main -> Ready"));
    assert!(trace.iter().all(|l| l.starts_with("  [0.000 s]")
        || l.starts_with("  [1.000 s]")
        || l.starts_with("  [2.000 s]")));

    check_or_bless("book/src/generated/gather_steps.txt", &out);
}

/// The chapter says the simulated clock stops at 0.960, 1, 1.984 and 2 s on
/// the gather run: the wheel's next deadline is a cascade point before each
/// timer. Same timers, same wheel, checked here.
#[test]
fn gather_wheel_stops() {
    use busy_chef::internals::Wheel;
    let mut wheel = Wheel::new(0);
    // download_file("File 1", 2) registers first, then File 2's 1 s.
    wheel
        .insert(2000, std::task::Waker::noop().clone())
        .unwrap();
    wheel
        .insert(1000, std::task::Waker::noop().clone())
        .unwrap();
    let mut stops = Vec::new();
    let mut fired = Vec::new();
    while let Some(tick) = wheel.next_deadline() {
        wheel.advance(tick, &mut fired);
        stops.push((tick, fired.len()));
        fired.clear();
    }
    assert_eq!(stops, [(960, 0), (1000, 1), (1984, 0), (2000, 1)]);
}
