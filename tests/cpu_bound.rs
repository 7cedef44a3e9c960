//! `examples/cpu_bound.rs`, run for real (`--quick`: everything 5× shorter).
//!
//! It uses the real clock, so the test checks only what cannot depend on the
//! machine's speed or load:
//!
//! * run 1 (kneading in a task): the dough is kneaded before any egg is
//!   flipped or any coffee poured, and the eggs' reported extra wait is at
//!   least what the printed times imply;
//! * runs 2 (kneading in slices) and 3 (`spawn_blocking`): every dish is
//!   done and the dough too;
//! * all runs knead the same dough (the example asserts equal checksums).
//!
//! It also writes `book/src/generated/cpu_bound.txt` for the book: run 1's
//! transcript (its order is fixed by the single thread) and the summary, with
//! the times masked, since they change from run to run.

mod common;

use common::{check_or_bless, run_example};

/// A transcript line `[0.13 s] text`, split into time and text.
fn stamped(line: &str) -> Option<(f64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (time, text) = rest.split_once(" s] ")?;
    Some((time.trim().parse().ok()?, text))
}

/// The lines of the section that starts with `header`, up to a blank line.
fn section<'a>(output: &'a str, header: &str) -> Vec<&'a str> {
    output
        .lines()
        .skip_while(|line| !line.starts_with(header))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect()
}

/// The number right after `label` in `line` (e.g. "total 0.28 s").
fn number_after(line: &str, label: &str) -> f64 {
    let start = line
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {line:?}"))
        + label.len();
    line[start..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {line:?}"))
}

/// Replaces every time figure (`1.23`, as in `[1.23 s]` or `0.12 s`) in
/// `line` with `x.xx`.
fn mask_times(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let bare = word.trim_start_matches('[');
            let is_time = bare.len() == 4
                && bare.as_bytes()[1] == b'.'
                && bare.chars().filter(|c| c.is_ascii_digit()).count() == 3;
            if is_time {
                word.replace(bare, "x.xx")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn cpu_bound_blocks_the_chef_in_a_task_and_not_in_spawn_blocking() {
    let output = run_example("cpu_bound", &["--quick"]);

    // Run 1: nothing happens while the dough is kneaded.
    let run1 = section(&output, "Run 1:");
    let texts: Vec<&str> = run1.iter().map(|l| stamped(l).expect(l).1).collect();
    assert_eq!(
        texts,
        [
            "eggs are in the pan",
            "coffee machine is on",
            "kneading the dough (in a task)...",
            "dough is kneaded",
            "eggs flipped (1/4)",
            "coffee poured",
            "eggs flipped (2/4)",
            "eggs flipped (3/4)",
            "eggs flipped (4/4)",
            "breakfast is served, the dough is ready",
        ],
        "{output}"
    );
    let kneaded_at = stamped(run1[3]).unwrap().0;
    let first_flip_at = stamped(run1[4]).unwrap().0;
    assert!(first_flip_at >= kneaded_at, "{output}");

    // Runs 2 and 3: everything happens, in an order that depends on the machine.
    for (header, kneading) in [
        (
            "Run 2:",
            "kneading the dough (in slices, yield_now between)...",
        ),
        ("Run 3:", "kneading the dough (spawn_blocking)..."),
    ] {
        let run = section(&output, header);
        let mut texts: Vec<&str> = run.iter().map(|l| stamped(l).expect(l).1).collect();
        assert_eq!(texts.first(), Some(&"eggs are in the pan"), "{output}");
        let last = texts.last().copied();
        assert_eq!(
            last,
            Some("breakfast is served, the dough is ready"),
            "{output}"
        );
        texts.sort_unstable();
        let mut expected = [
            "eggs are in the pan",
            "coffee machine is on",
            kneading,
            "dough is kneaded",
            "eggs flipped (1/4)",
            "coffee poured",
            "eggs flipped (2/4)",
            "eggs flipped (3/4)",
            "eggs flipped (4/4)",
            "breakfast is served, the dough is ready",
        ];
        expected.sort_unstable();
        assert_eq!(texts, expected, "{output}");
    }

    // The summary agrees with the transcripts. In run 1 the first flip was
    // due after 0.05 s (quick mode) but came at `first_flip_at`.
    let summary: Vec<&str> = output.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(summary.len(), 3, "{output}");
    // (Generous slack: a busy machine may pause the program for a few ms
    // between two clock readings.)
    let eggs_late = number_after(summary[0], "eggs waited up to");
    assert!(
        eggs_late + 0.05 >= first_flip_at - 0.05,
        "run 1: the first flip came at {first_flip_at} s, yet the eggs waited only {eggs_late} s extra\n{output}"
    );
    for line in &summary {
        assert!(number_after(line, "total") > 0.0, "{line}");
    }
    let run1_total = number_after(summary[0], "total");
    let run1_end = stamped(run1[run1.len() - 1]).unwrap().0;
    // The total is read just after the last line is printed.
    assert!(run1_total + 0.006 >= run1_end, "{output}");
    assert!(run1_total - run1_end <= 0.05, "{output}");
    assert!(output.contains("dough texture (all runs): "), "{output}");

    // For the book: the header, run 1 in full, the summary; times masked.
    let mut book = String::from("$ cargo run --example cpu_bound -- --quick\n");
    book.push_str("(measured times shown as x.xx: they change from run to run)\n\n");
    for line in output.lines().take_while(|l| !l.starts_with("Run 2:")) {
        let line = if line.starts_with("The dough:") {
            // The number of folds is calibrated on the machine that runs it.
            "The dough: N million folds, about 0.20 s of CPU work on this machine.".to_string()
        } else if line.starts_with('[') {
            mask_times(line)
        } else {
            line.to_string()
        };
        book.push_str(&line);
        book.push('\n');
    }
    for line in &summary {
        book.push_str(&mask_times(line));
        book.push('\n');
    }
    check_or_bless("book/src/generated/cpu_bound.txt", &book);
}
