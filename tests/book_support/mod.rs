//! Running the compiled examples and checking what they print against the
//! files the book includes.
//!
//! The book shows no output that a test did not produce: a test runs an
//! example ([`run_example`], or [`example_binary`] to drive it itself), checks
//! what the chapter claims, and hands the text to [`check_or_bless`], which
//! compares it with the checked-in file under `book/src/generated/` or, with
//! `BUSY_CHEF_BLESS=1`, rewrites that file.
// Each test crate includes this module and uses only part of it; the rest
// would warn as unused in that crate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a compiled example. `cargo test` builds the examples before it
/// runs the tests; if this test was run alone (`cargo test --test x`) and the
/// example is missing or older than its sources, it is built here.
pub fn example_binary(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let binary = profile_dir.join("examples").join(name);
    let built = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
    // `debug/`: the gdb extension, embedded in every binary.
    let sources = [
        root().join("examples"),
        root().join("executor"),
        root().join("debug"),
    ];
    let stale = match built {
        None => true,
        Some(built) => sources.iter().any(|dir| newer_than(dir, built)),
    };
    if stale {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name])
            .current_dir(root())
            .status()
            .expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    binary
}

/// Is any file under `path` modified after `time`?
fn newer_than(path: &Path, time: std::time::SystemTime) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| entries.flatten().any(|e| newer_than(&e.path(), time)))
            .unwrap_or(false)
    } else {
        meta.modified().map(|m| m > time).unwrap_or(false)
    }
}

/// Runs an example with `args` and returns its standard output. Panics,
/// showing stderr, if it fails.
pub fn run_example(name: &str, args: &[&str]) -> String {
    run(name, args, None).0
}

/// Runs an example with `args` and `BUSY_CHEF_TRACE=trace` (a file to write
/// the trace to, or `1` for the timeline on stderr); returns its standard
/// output and its standard error. Panics, showing stderr, if it fails.
pub fn run_example_traced(name: &str, args: &[&str], trace: &str) -> (String, String) {
    run(name, args, Some(trace))
}

fn run(name: &str, args: &[&str], trace: Option<&str>) -> (String, String) {
    let mut command = Command::new(example_binary(name));
    command.args(args);
    if let Some(trace) = trace {
        command.env("BUSY_CHEF_TRACE", trace);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run example {name}: {e}"));
    assert!(
        output.status.success(),
        "example {name} {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).expect("utf-8 output"),
        String::from_utf8(output.stderr).expect("utf-8 on stderr"),
    )
}

/// Compares `actual` with the checked-in file `relative` (from the project
/// root). With `BUSY_CHEF_BLESS=1` in the environment, writes the file
/// instead: that is how generated outputs (for the book) are refreshed.
pub fn check_or_bless(relative: &str, actual: &str) {
    let path = root().join(relative);
    if std::env::var_os("BUSY_CHEF_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("{relative} is missing; run `BUSY_CHEF_BLESS=1 cargo test` to create it")
    });
    assert!(
        expected == actual,
        "{relative} is out of date (what the code prints now differs from the \
         checked-in file). Run `BUSY_CHEF_BLESS=1 cargo test` to regenerate it, \
         and review the diff.\n--- checked in ---\n{expected}\n--- now ---\n{actual}"
    );
}
