//! `examples/threads_vs_tasks.rs`, run for real: 10,000 threads that sleep
//! against 10,000 tasks that sleep (book chapter *Why not threads?*).
//!
//! The figures are real measurements (wall-clock time, `/proc` memory
//! counters), so they change from run to run and from machine to machine.
//! The test checks only their *shape* ([`shape_problems`]), with wide
//! margins, never a figure itself:
//!
//! * every one of the N threads and N tasks started;
//! * start-up: a task starts at least 5 times faster than a thread (a debug
//!   build, where the tasks' side is slowest; a release build widens it);
//! * memory in RAM (`VmRSS` growth): a task costs at least 10 times less;
//! * address space (`VmSize` growth): a thread reserves at least 1 MiB (its
//!   stack; Rust's default is 2 MiB, so the test runs the example without
//!   `RUST_MIN_STACK`), at least 100 times what a task takes;
//! * kernel stacks (`KernelStack` in `/proc/meminfo`, system-wide): at least
//!   4 KiB per thread, and less than a tenth of that per task (other
//!   programs on the machine may start threads meanwhile: hence "a tenth",
//!   not "zero").
//!
//! **The figure in the book comes from a real run.** Like the timelines of
//! `tests/cpu_bound.rs`, `book/src/generated/threads_vs_tasks.txt` is
//! written only when blessing (`BUSY_CHEF_BLESS=1`), and only when it is
//! missing or out of date: when it fails the shape checks, or its
//! *skeleton* (its lines with every figure masked) differs from today's
//! output. So an unrelated bless does not rewrite it with new figures.
//! Without blessing, the checked-in file must pass the same checks and have
//! the same skeleton as today's output. To measure afresh anyway, delete the
//! file and bless.
//!
//! [`the_shape_checks_catch_what_they_should`] alters the book's figures
//! (threads as cheap as tasks, a small thread stack, a row renamed) and
//! expects each alteration to be caught.
//!
//! Linux only (the example reads `/proc`).

#![cfg(target_os = "linux")]

mod book_support;

use std::process::Command;

use book_support::{check_or_bless, example_binary, root};

const FIGURE: &str = "book/src/generated/threads_vs_tasks.txt";
const COMMAND: &str = "$ cargo run --example threads_vs_tasks\n";

/// A figure as printed: `1.2 s`, `380 ns`, `93 MiB`, `220 B`, in seconds or
/// bytes.
fn figure(value: &str, unit: &str) -> Option<f64> {
    let value: f64 = value.parse().ok()?;
    let scale = match unit {
        "s" => 1.0,
        "ms" => 1e-3,
        "µs" => 1e-6,
        "ns" => 1e-9,
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(value * scale)
}

/// The table's rows: the label, then the threads' and the tasks' figure.
/// A `  per sleeper` row is named after the row above it
/// (`memory in RAM (VmRSS) per sleeper`).
fn rows(text: &str) -> Result<Vec<(String, f64, f64)>, String> {
    let mut rows = Vec::new();
    let mut last = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // A row ends with two figures, and the ratio for unindented rows.
        let figures = if line.starts_with("  ") { 4 } else { 5 };
        if words.len() < figures + 1 {
            continue;
        }
        let at = words.len() - figures;
        let (Some(threads), Some(tasks)) = (
            figure(words[at], words[at + 1]),
            figure(words[at + 2], words[at + 3]),
        ) else {
            continue;
        };
        let label = words[..at].join(" ");
        let label = if line.starts_with("  ") {
            format!("{last} {label}")
        } else {
            last = label.clone();
            label
        };
        rows.push((label, threads, tasks));
    }
    if rows.is_empty() {
        return Err("no table of figures".into());
    }
    Ok(rows)
}

/// What the chapter says of the figures, with wide margins (see the top of
/// this file). `Err` says what does not hold.
fn shape_problems(text: &str) -> Result<(), String> {
    if !text.contains("N = 10000 sleepers") {
        return Err("not a run with N = 10000".into());
    }
    if text.contains("could be started") {
        return Err("not all the threads could be started".into());
    }
    let rows = rows(text)?;
    let get = |label: &str| -> Result<(f64, f64), String> {
        rows.iter()
            .find(|(l, _, _)| l == label)
            .map(|&(_, a, b)| (a, b))
            .ok_or_else(|| format!("no row {label:?}"))
    };
    let (thread, task) = get("start-up (all N running) per sleeper")?;
    if thread < 5.0 * task {
        return Err(format!(
            "start-up: a thread ({thread:e} s) is not 5× a task ({task:e} s)"
        ));
    }
    let (thread, task) = get("memory in RAM (VmRSS) per sleeper")?;
    if thread < 10.0 * task || thread <= 0.0 {
        return Err(format!(
            "VmRSS: a thread ({thread} B) is not 10× a task ({task} B)"
        ));
    }
    let (thread, task) = get("address space (VmSize) per sleeper")?;
    if thread < 1024.0 * 1024.0 {
        return Err(format!(
            "VmSize: a thread reserves {thread} B, less than a 1 MiB stack"
        ));
    }
    if thread < 100.0 * task {
        return Err(format!(
            "VmSize: a thread ({thread} B) is not 100× a task ({task} B)"
        ));
    }
    let (thread, task) = get("kernel stacks (KernelStack) per sleeper")?;
    if thread < 4096.0 {
        return Err(format!(
            "KernelStack: {thread} B per thread, less than 4 KiB"
        ));
    }
    if task >= thread / 10.0 {
        return Err(format!(
            "KernelStack: {task} B per task, not under a tenth of a thread's {thread} B"
        ));
    }
    Ok(())
}

/// The text with every figure masked: what must not change between runs.
fn skeleton(text: &str) -> String {
    text.lines()
        .map(|line| {
            let words: Vec<String> = line
                .split_whitespace()
                .map(|w| {
                    let w = w.trim_start_matches('~').trim_end_matches('×');
                    // A measured figure, its unit (which the example picks to
                    // fit the figure), and the ratio's "-" (when the tasks'
                    // figure is zero) all vary from run to run.
                    const UNITS: [&str; 8] = ["B", "KiB", "MiB", "GiB", "ns", "µs", "ms", "s"];
                    if w.parse::<f64>().is_ok() || w == "-" {
                        "#".to_string()
                    } else if UNITS.contains(&w) {
                        "<unit>".to_string()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            words.join(" ") + "\n"
        })
        .collect()
}

#[test]
fn threads_cost_far_more_than_tasks_to_start_and_to_keep() {
    let output = Command::new(example_binary("threads_vs_tasks"))
        .env_remove("RUST_MIN_STACK")
        .output()
        .expect("run the threads_vs_tasks example");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "threads_vs_tasks failed ({}):\n{stderr}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    if let Err(problem) = shape_problems(&stdout) {
        panic!("{problem}\n{stdout}\n{stderr}");
    }
    let fresh = format!("{COMMAND}{stdout}");

    let checked_in = std::fs::read_to_string(root().join(FIGURE)).ok();
    let up_to_date = |text: &str| -> Result<(), String> {
        shape_problems(text)?;
        let (old, new) = (skeleton(text), skeleton(&fresh));
        if old != new {
            return Err(format!(
                "its skeleton changed:\n--- checked in ---\n{old}--- now ---\n{new}"
            ));
        }
        Ok(())
    };
    if std::env::var_os("BUSY_CHEF_BLESS").is_some() {
        if checked_in.as_deref().is_none_or(|t| up_to_date(t).is_err()) {
            check_or_bless(FIGURE, &fresh);
        }
        return;
    }
    let bless = "run `BUSY_CHEF_BLESS=1 cargo test --test threads_vs_tasks` (delete the \
                 file first to measure afresh even when it is not out of date)";
    let text = checked_in.unwrap_or_else(|| panic!("{FIGURE} is missing; {bless}"));
    if let Err(problem) = up_to_date(&text) {
        panic!("{FIGURE} is out of date: {problem}\n{bless}");
    }
}

#[test]
fn the_shape_checks_catch_what_they_should() {
    let good = std::fs::read_to_string(root().join(FIGURE))
        .unwrap_or_else(|_| panic!("{FIGURE} is missing"));
    shape_problems(&good).unwrap();
    assert_eq!(skeleton(&good), skeleton(&good.replace('1', "7")));

    // Each alteration replaces the tasks' figure in one per-sleeper row with
    // the threads' figure.
    let per_sleeper_rows: Vec<&str> = good
        .lines()
        .filter(|l| l.starts_with("  per sleeper"))
        .collect();
    assert_eq!(per_sleeper_rows.len(), 4, "{good}");
    for (row, complaint) in
        per_sleeper_rows
            .iter()
            .zip(["start-up", "VmRSS", "VmSize: a thread", "KernelStack"])
    {
        let words: Vec<&str> = row.split_whitespace().collect();
        let (threads, tasks) = (
            format!("{} {}", words[2], words[3]),
            format!("{} {}", words[4], words[5]),
        );
        let bad_row = row.replacen(&tasks, &threads, 1);
        let bad = good.replacen(row, &bad_row, 1);
        let problem = shape_problems(&bad).unwrap_err();
        assert!(problem.contains(complaint), "{problem}\n{bad}");
    }

    // A thread with a small stack; a run with fewer sleepers; a row renamed.
    let vm_row = per_sleeper_rows[2];
    let small = vm_row.replacen("MiB", "KiB", 1);
    let problem = shape_problems(&good.replacen(vm_row, &small, 1)).unwrap_err();
    assert!(problem.contains("less than a 1 MiB stack"), "{problem}");
    let problem = shape_problems(&good.replace("N = 10000", "N = 100")).unwrap_err();
    assert!(problem.contains("N = 10000"), "{problem}");
    let renamed = good.replace("memory in RAM (VmRSS)", "memory (RSS)");
    assert!(shape_problems(&renamed).unwrap_err().contains("no row"));
    assert_ne!(skeleton(&renamed), skeleton(&good));
}
