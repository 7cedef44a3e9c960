//! The examples behind the book's chapters 7 to 16 (tasks, `JoinHandle`, the
//! executor loop, combinators, desugaring, `Pin`, Python, exercises).
//!
//! Each test runs an example, checks what it must show (so the book's claims
//! are asserted, not just snapshotted), and compares its output with the file
//! under `book/src/generated/` that the chapter includes.
//! `BUSY_CHEF_BLESS=1 cargo test --test book_examples` rewrites those files.

mod book_support;

use book_support::{check_or_bless, run_example, run_example_traced};

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
        wheel.advance(tick, &mut fired, None);
        stops.push((tick, fired.len()));
        fired.clear();
    }
    assert_eq!(stops, [(960, 0), (1000, 1), (1984, 0), (2000, 1)]);
}

// ---------------------------------------------------------------------------
// Chapter 11: desugaring
// ---------------------------------------------------------------------------

/// The hand-written state machines print exactly what the `async` program
/// prints, line for line, timing line included.
#[test]
fn desugared_prints_what_gather_prints() {
    let by_hand = run_example("desugared", &["--simulated"]);
    let with_async = run_example("gather", &["--simulated"]);
    assert_eq!(
        by_hand.lines().collect::<Vec<_>>(),
        with_async.lines().collect::<Vec<_>>(),
        "examples/desugared.rs and examples/gather.rs print different lines"
    );
    assert_eq!(by_hand.lines().take(6).collect::<Vec<_>>(), GATHER_LINES);
    check_or_bless("book/src/generated/desugared.txt", &by_hand);
}

/// Not only the same lines: the executor records the same events for both
/// programs (every poll and its result, every timer, every wake, with their
/// simulated times), as Chrome trace JSON and as the terminal timeline.
#[test]
fn desugared_has_the_same_trace_as_gather() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut json = Vec::new();
    for name in ["gather", "desugared"] {
        let path = dir.join(format!("{name}-{}.json", std::process::id()));
        run_example_traced(name, &["--simulated"], path.to_str().unwrap());
        json.push(std::fs::read_to_string(&path).unwrap());
        let _ = std::fs::remove_file(&path);
    }
    assert_eq!(
        json[0], json[1],
        "gather and desugared leave different traces"
    );
    // The trace is not empty: three polls of the main future, two timers.
    assert_eq!(
        json[0].matches(r#""name":"poll""#).count(),
        3,
        "{}",
        json[0]
    );
    assert!(json[0].contains(r#""name":"sleep 1 s""#) && json[0].contains(r#""name":"sleep 2 s""#));
    let (_, timeline) = run_example_traced("desugared", &["--simulated"], "1");
    assert_eq!(
        timeline,
        run_example_traced("gather", &["--simulated"], "1").1
    );
    assert!(timeline.contains("done at 2 s, 3 polls"), "{timeline}");
    check_or_bless("book/src/generated/desugared_trace.txt", &timeline);
}

/// Reads "name   number [number]" rows from the `--sizes` output.
fn size_rows(out: &str) -> Vec<(String, Vec<usize>)> {
    out.lines()
        .filter_map(|line| {
            let numbers: Vec<usize> = line
                .split_whitespace()
                .rev()
                .map_while(|w| w.parse().ok())
                .collect();
            if numbers.is_empty() {
                return None;
            }
            let name = line
                .split_whitespace()
                .take(line.split_whitespace().count() - numbers.len())
                .collect::<Vec<_>>()
                .join(" ");
            Some((name, numbers.into_iter().rev().collect()))
        })
        .collect()
}

#[test]
fn desugared_future_sizes() {
    let out = run_example("desugared", &["--sizes"]);
    let rows = size_rows(&out);
    let get = |name: &str| -> &Vec<usize> {
        &rows
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name:?} in:\n{out}"))
            .1
    };
    // First table: (async, by hand). The hand-made machines never need more
    // room than the compiler's, and each future contains what it awaits.
    for name in [
        "sleep(..)",
        "download_file(",
        "join_all(",
        "async_main()",
        "async {",
    ] {
        let sizes = get(name);
        assert_eq!(sizes.len(), 2, "{name}: {out}");
        assert!(sizes[1] <= sizes[0], "{name}: by hand is bigger: {out}");
    }
    let sleep = get("sleep(..)")[1];
    assert!(get("download_file(")[1] >= sleep + 16, "{out}"); // &str + Sleep
    assert!(get("async_main()")[0] >= get("join_all(")[0], "{out}");
    assert!(get("async {")[0] > get("async_main()")[0], "{out}");
    // Second table: what lives across an .await.
    let gone = get("buffer_gone_before_await()")[0];
    let in_scope = get("buffer_in_scope_at_await()")[0];
    let across = get("buffer_across_await()")[0];
    let nested = get("awaits_the_big_one()")[0];
    let boxed = get("awaits_it_boxed()")[0];
    assert!(gone < 64, "{out}");
    assert!(in_scope >= 1024 && across >= 1024, "{out}");
    assert!(nested >= across, "{out}");
    assert!(boxed < 64, "{out}");
    check_or_bless("book/src/generated/desugared_sizes.txt", &out);
}

// ---------------------------------------------------------------------------
// Chapter 10: combinators
// ---------------------------------------------------------------------------

#[test]
fn combinators_example() {
    let out = run_example("combinators", &[]);
    let parts = numbered_parts(&out);
    assert_eq!(parts.len(), 7, "{out}");
    let took: Vec<&str> = parts
        .iter()
        .map(|p| p.lines().last().unwrap().trim())
        .collect();
    // Sequential awaits add up (2 + 1 s); join, join_all and spawn overlap
    // (the longer, 2 s); select stops at the first (1 s); the timeouts run
    // one after the other (1 s, then 1 s); dropping takes no time.
    assert_eq!(
        took,
        [
            "took 3.0 s",
            "took 2.0 s",
            "took 2.0 s",
            "took 2.0 s",
            "took 1.0 s",
            "took 2.0 s",
            "took 0.0 s"
        ],
        "{out}"
    );
    assert!(parts[0].contains("[3.0 s] File 2 finished"), "{out}");
    assert!(parts[2].contains(r#"got ["File 1", "File 2"]"#), "{out}");
    // select: the loser is dropped (cancelled) at the moment the winner wins.
    assert!(
        parts[4].contains("[1.0 s] File 1 was dropped before it finished: cancelled"),
        "{out}"
    );
    assert!(
        parts[4].contains(r#"select returned Right("File 2")"#),
        "{out}"
    );
    assert!(!parts[4].contains("File 1 finished"), "{out}");
    // timeout: Ok in time, Err(Elapsed) and a cancelled download otherwise.
    assert!(parts[5].contains(r#"Ok("File 2")"#), "{out}");
    assert!(parts[5].contains("[2.0 s] 1 s timeout on a 2 s download: Err(Elapsed)"));
    assert!(!parts[5].contains("File 1 finished"), "{out}");
    // Dropping an unpolled future runs none of its body; dropping a started
    // one cancels it.
    assert_eq!(parts[6].matches("cancelled").count(), 1, "{out}");
    assert!(parts[6].contains("polled it once: Pending"), "{out}");
    for (n, part) in parts.iter().enumerate() {
        check_or_bless(
            &format!("book/src/generated/combinators-{}.txt", n + 1),
            part,
        );
    }
}

// ---------------------------------------------------------------------------
// Chapter 14: Python side by side
// ---------------------------------------------------------------------------

/// `book/python/gather.py` (the course program in asyncio) and
/// `examples/gather.rs` print the same lines in the same order. Without
/// `python3` the test is skipped with a note, except when `CI` is set: then
/// it fails, so CI never skips it.
#[test]
fn python_prints_what_rust_prints() {
    use std::process::Command;
    let script = book_support::root().join("book/python/gather.py");
    let output = match Command::new("python3").arg(&script).output() {
        Ok(output) => output,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but python3 could not be run ({e}): install python3");
            }
            eprintln!("note: SKIPPED the Python comparison: python3 could not be run ({e})");
            return;
        }
    };
    assert!(
        output.status.success(),
        "python3 {} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let python = String::from_utf8(output.stdout).unwrap();
    let rust = run_example("gather", &["--simulated"]);
    let python: Vec<&str> = python.lines().collect();
    let rust: Vec<&str> = rust.lines().collect();
    assert_eq!(python.len(), 7, "{python:?}");
    assert_eq!(rust.len(), 7, "{rust:?}");
    // The course's six lines, identical and in the same order.
    assert_eq!(python[..6], rust[..6]);
    assert_eq!(python[..6], GATHER_LINES);
    // The timing line: Rust's simulated 2.00 s exactly; Python's real clock
    // about 2 s (overlapped), not 3 s (one after the other).
    assert!(rust[6].starts_with("Took 2.00 s"), "{}", rust[6]);
    let took: f64 = python[6]
        .strip_prefix("Took ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no time in {:?}", python[6]));
    assert!((2.0..2.5).contains(&took), "{}", python[6]);
    assert_eq!(
        python[6].split_once(" s ").map(|(_, rest)| rest),
        rust[6].split_once(" s ").map(|(_, rest)| rest)
    );
}

// ---------------------------------------------------------------------------
// Chapter 8: JoinHandle
// ---------------------------------------------------------------------------

#[test]
fn join_handle_example() {
    let out = run_example("join_handle", &[]);
    let parts = numbered_parts(&out);
    assert_eq!(parts.len(), 5, "{out}");
    let lines = |n: usize| -> Vec<&str> { parts[n].lines().skip(1).map(str::trim).collect() };
    // Awaiting hands the output over; it is dropped by whoever took it.
    assert_eq!(
        lines(0),
        [
            "[1.0 s] toast is ready",
            r#"[1.0 s] got Dish("toast") from the handle"#,
            "[1.0 s] the toast is thrown away (dropped)",
        ]
    );
    // Dropping the handle detaches: the task still runs to the end, and its
    // output is dropped as soon as it finishes.
    assert_eq!(
        lines(1),
        [
            "[0.0 s] dropped the handle",
            "[1.0 s] toast is ready",
            "[1.0 s] the toast is thrown away (dropped)",
            "[2.0 s] done waiting",
        ]
    );
    // abort: the future is dropped at the next turn; never finishes.
    let abort = lines(2);
    assert_eq!(abort[0], "[1.0 s] abort() called; finished yet? false");
    assert_eq!(abort[1], "[1.0 s] eggs's future is dropped");
    assert!(
        abort[2].ends_with("was cancelled (is_cancelled: true)"),
        "{out}"
    );
    assert!(!parts[2].contains("eggs is ready"), "{out}");
    // A panic is caught and reported; the other task carries on.
    assert!(parts[3].contains("panicked: the pan caught fire (is_panic: true)"));
    assert!(parts[3].contains(r#"[2.0 s] the other task carried on: Dish("coffee")"#));
    // Dropping the executor cancels its unfinished tasks.
    assert!(
        parts[4].contains("[1.0 s] stew's future is dropped"),
        "{out}"
    );
    assert!(parts[4].contains("Err(JoinError::Cancelled(task-"), "{out}");
    for (n, part) in parts.iter().enumerate() {
        check_or_bless(
            &format!("book/src/generated/join_handle-{}.txt", n + 1),
            part,
        );
    }
}

// ---------------------------------------------------------------------------
// Chapter 12: Pin
// ---------------------------------------------------------------------------

#[test]
fn pin_example() {
    let out = run_example("pin", &[]);
    let parts = numbered_parts(&out);
    assert_eq!(parts.len(), 3, "{out}");
    let table: Vec<(String, String)> = parts[0]
        .lines()
        .skip(1)
        .map(|l| {
            let (what, unpin) = l.trim().rsplit_once(' ').unwrap();
            (what.trim().to_string(), unpin.to_string())
        })
        .collect();
    let expect = [
        ("sleep(..)  (Sleep)", "Unpin"),
        ("first_word(..)  (async fn)", "!Unpin"),
        ("async { 1 }  (async block)", "!Unpin"),
        ("first_word_by_hand(..)", "!Unpin"),
        ("Box::pin(first_word(..))", "Unpin"),
        ("pin!(first_word(..))", "Unpin"),
    ];
    let table: Vec<(&str, &str)> = table
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(table, expect);
    // The self-borrowing future, pinned either way, reads its own buffer
    // correctly, like the compiler's version.
    for who in ["Box::pin", "pin!", "async fn"] {
        assert!(
            out.contains(&format!("{who}: the first word is \"toast\"")),
            "{out}"
        );
    }
    for (n, part) in parts.iter().enumerate() {
        check_or_bless(&format!("book/src/generated/pin-{}.txt", n + 1), part);
    }
}

// ---------------------------------------------------------------------------
// Chapter 16: exercises
// ---------------------------------------------------------------------------

/// Each exercise is `examples/exercise_<name>.rs`, its reference solution
/// `examples/solution_<name>.rs`; both end with the same checks in `main`.
const EXERCISES: [&str; 7] = [
    "countdown",
    "forgetful",
    "select",
    "heap_timer",
    "desugar",
    "spawn",
    "fair_timers",
];

#[test]
fn exercise_solutions_pass_their_checks() {
    for name in EXERCISES {
        let out = run_example(&format!("solution_{name}"), &[]);
        assert!(
            out.ends_with("all checks passed\n"),
            "solution_{name} did not pass its checks:\n{out}"
        );
    }
}

/// The exercises as handed out must fail their checks: otherwise there is
/// nothing to do, or the checks cannot tell a wrong answer from a right one.
#[test]
fn exercises_fail_until_solved() {
    for name in EXERCISES {
        let output =
            std::process::Command::new(book_support::example_binary(&format!("exercise_{name}")))
                .output()
                .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !output.status.success() && !stdout.contains("all checks passed"),
            "exercise_{name} passes its checks as handed out:\n{stdout}"
        );
    }
}

/// The text between `// ANCHOR: name` and `// ANCHOR_END: name` in `file`.
fn anchored(file: &str, name: &str) -> String {
    let text = std::fs::read_to_string(book_support::root().join(file)).unwrap();
    let start = format!("// ANCHOR: {name}\n");
    let end = format!("// ANCHOR_END: {name}");
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("{file}: no anchor {name}"));
    let to = text[from..].find(&end).unwrap() + from;
    text[from + start.len()..to].to_string()
}

#[test]
fn exercises_and_solutions_share_their_checks() {
    for name in EXERCISES {
        let exercise = format!("examples/exercise_{name}.rs");
        let solution = format!("examples/solution_{name}.rs");
        assert_eq!(
            anchored(&exercise, "checks"),
            anchored(&solution, "checks"),
            "{exercise} and {solution} must check the same things"
        );
    }
}

// ---------------------------------------------------------------------------
// Everyday async (futures-lite on busy-chef)
// ---------------------------------------------------------------------------

#[test]
fn everyday_example() {
    let out = run_example("everyday", &[]);
    let parts = numbered_parts(&out);
    assert_eq!(parts.len(), 8, "{out}");
    let took: Vec<&str> = parts
        .iter()
        .map(|p| p.lines().last().unwrap().trim())
        .collect();
    // or: 1 s, then a 3 s deadline; ties take no time; zip overlaps (2 s);
    // `then` on a stream is one after the other (1 + 1.5 s); the interval
    // loop ends at 1 s and three more ticks take to 1.5 s; the tasks
    // overlap (the longest, 1.5 s); parts 7 and 8 run two 1 s scenes each.
    assert_eq!(
        took,
        [
            "took 4.00 s",
            "took 0.00 s",
            "took 2.00 s",
            "took 2.50 s",
            "took 1.50 s",
            "took 1.50 s",
            "took 2.00 s",
            "took 2.00 s"
        ],
        "{out}"
    );
    let lines = |n: usize| -> Vec<&str> { parts[n].lines().skip(1).map(str::trim).collect() };

    // or: the loser is dropped when the winner wins; a sleep as a deadline.
    assert_eq!(
        lines(0)[..3],
        [
            "[1.00 s] File 2 finished",
            "[1.00 s] File 1 was dropped before it finished",
            "[1.00 s] or returned File 2",
        ]
    );
    assert!(parts[0].contains("[4.00 s] File 3 was dropped before it finished"));
    assert!(parts[0].contains(r#"[4.00 s] or returned "no answer after 3 s""#));

    // Ties: `or` always picks the left; `race` about half the time.
    assert!(parts[1].contains("or:   the left one won 1000 of 1000 ties"));
    let race_left: u32 = parts[1]
        .split("race: the left one won ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no race count in {out}"));
    assert!((400..=600).contains(&race_left), "{out}");

    // zip: both outputs, in argument order, after the longer one.
    assert!(parts[2].contains(r#"[2.00 s] zip returned ("File 1", "File 2")"#));

    // Streams: items in order; `then` awaits one item's future at a time.
    assert_eq!(
        lines(3),
        [
            "[0.00 s] order: toast",
            "[0.00 s] order: eggs",
            "[0.00 s] order: coffee",
            "[1.00 s] toast finished",
            "[2.50 s] eggs finished",
            r#"[2.50 s] cooked ["toast", "eggs"], one after the other"#,
            "took 2.50 s",
        ]
    );

    // The interval: a tick at once, then every 0.25 s, until the eggs are
    // done at 1 s (the eggs come first in the `or`, so they win the tie at
    // 1 s); as a stream, three ticks from 1 s on.
    assert_eq!(
        lines(4),
        [
            "[0.00 s] flip the eggs",
            "[0.25 s] flip the eggs",
            "[0.50 s] flip the eggs",
            "[0.75 s] flip the eggs",
            "[1.00 s] the eggs are done",
            "[1.50 s] three ticks, at 1.00 s, 1.25 s, 1.50 s",
            "took 1.50 s",
        ]
    );

    // Tasks share an `Rc<RefCell<..>>`: each pushes when its dish is done.
    assert!(parts[5].contains(r#"plated, in order: ["coffee", "toast", "eggs"]"#));

    // A RefCell borrow held across `.await`: the cook's borrow panics, and
    // the panic comes back through its JoinHandle; the restock carries on.
    // Without the borrow across the `.await`, the cook reads the shelf.
    let refcell = lines(6);
    let panicked = refcell
        .iter()
        .position(|l| l.starts_with("[0.50 s] the cook's handle: Err, a panic: "))
        .unwrap_or_else(|| panic!("the cook should have panicked at 0.5 s:\n{out}"));
    assert!(refcell[panicked].contains("borrowed"), "{out}");
    assert!(parts[6].contains("[1.50 s] cook: 1 item(s) on the shelf"));
    assert!(parts[6].contains("[1.50 s] the cook's handle: Ok(1)"));
    assert_eq!(
        parts[6].matches(r#"shelf: ["flour", "eggs"]"#).count(),
        2,
        "{out}"
    );

    // A std Mutex guard across `.await`: try_lock says WouldBlock (lock()
    // would hang the thread). With async_lock, the cook waits, and gets the
    // lock when the restock releases it.
    assert_eq!(
        lines(7),
        [
            "[0.00 s] restock: locked the shelf, waiting for the delivery",
            "[0.50 s] cook: try_lock() -> WouldBlock",
            "[1.00 s] restock: done, the lock is released",
            "[1.00 s] restock: locked the shelf (async_lock), waiting for the delivery",
            "[1.50 s] cook: waiting for the lock",
            "[2.00 s] restock: done, the lock is released",
            r#"[2.00 s] cook: locked, shelf ["flour", "eggs"]"#,
            "took 2.00 s",
        ]
    );

    for (n, part) in parts.iter().enumerate() {
        check_or_bless(&format!("book/src/generated/everyday-{}.txt", n + 1), part);
    }
}
