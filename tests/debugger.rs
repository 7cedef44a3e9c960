//! The debugger walkthrough of the book (`book/src/debugger.md`) is real:
//! this test runs `rust-gdb -batch` with the script the book shows
//! (`book/gdb/gather.gdb`) on the debug build of the `gather` example, and
//! checks that the breakpoints are hit in the order the chapter describes.
//! It also writes the transcript the chapter includes.
//!
//! Without gdb the test is skipped with a note, except in CI (`CI` set), where
//! a missing gdb fails it: `.ci/run` installs gdb.

mod book_support;

use std::path::PathBuf;
use std::process::Command;

fn find_rust_gdb() -> Option<PathBuf> {
    let gdb_works = Command::new("gdb").arg("--version").output().is_ok();
    if !gdb_works {
        return None;
    }
    let on_path = Command::new("rust-gdb").arg("--version").output().is_ok();
    if on_path {
        return Some(PathBuf::from("rust-gdb"));
    }
    let home = std::env::var_os("HOME")?;
    let in_cargo = PathBuf::from(home).join(".cargo/bin/rust-gdb");
    in_cargo.exists().then_some(in_cargo)
}

/// Replaces what changes from run to run (addresses, process ids).
fn normalise(transcript: &str) -> String {
    let mut out = String::new();
    for line in transcript.lines() {
        if line.starts_with("[Thread debugging")
            || line.starts_with("Using host libthread_db")
            || line.starts_with("[Inferior 1 (process")
            || line.starts_with("warning:")
        {
            continue;
        }
        let mut clean = String::new();
        let mut rest = line;
        while let Some(i) = rest.find("0x") {
            clean.push_str(&rest[..i]);
            let hex = rest[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            clean.push_str("0x…");
            rest = &rest[i + 2 + hex..];
        }
        clean.push_str(rest);
        // Breakpoint locations move whenever the executor's code is edited.
        if clean.starts_with("Breakpoint ") {
            if let Some(i) = clean.find(", line ") {
                clean.truncate(i);
                clean.push('.');
            }
        }
        out.push_str(&clean);
        out.push('\n');
    }
    out
}

#[test]
fn gdb_walkthrough_stops_in_the_order_the_book_describes() {
    let Some(rust_gdb) = find_rust_gdb() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "gdb/rust-gdb is missing in CI: .ci/run must install gdb"
        );
        eprintln!("note: gdb not found; skipping the debugger walkthrough test");
        return;
    };
    let example = book_support::example_binary("gather");
    let output = Command::new(rust_gdb)
        .arg("-batch")
        .arg("-x")
        .arg(book_support::root().join("book/gdb/gather.gdb"))
        .arg("--args")
        .arg(&example)
        .arg("--simulated")
        .output()
        .expect("run rust-gdb");
    let transcript = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        transcript.contains("exited normally"),
        "the program did not run to the end under gdb:\n{transcript}"
    );

    let stops: Vec<u32> = transcript
        .lines()
        .filter_map(|line| line.strip_prefix("@@ "))
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect();
    // The order `book/src/debugger.md` walks through:
    let expected = [
        1, // block_on polls async_main for the first time
        2, 3, // File 1's state machine starts (Unresumed) and registers its 2 s timer
        2, 3, // File 2's starts, registers its 1 s timer
        4, 5, // park; the clock jumps to 960 ms where the 1 s timer cascades to level 0
        4, 5, // park; at 1000 ms it fires...
        6, // ...and its waker queues the main future
        1, 2, // async_main, then only File 2 (the woken child) resumes: Suspend0
        4, 5, 4, 5, 6, // the same for the 2 s timer: cascade at 1984 ms, fire at 2000 ms
        1, 2, // File 1 resumes and finishes; Main Finished!
    ];
    assert_eq!(stops, expected, "breakpoint order changed:\n{transcript}");
    for state in [
        r#"Unresumed{name: "File 1", time_to_wait: 2}"#,
        r#"Suspend0{name: "File 2", __awaitee: busy_chef::time::sleep::Sleep"#,
        "the wheel processes level 1 slot 15 at 960 ms",
        "the wheel processes level 0 slot 40 at 1000 ms",
        "the main future's waker queues it",
    ] {
        assert!(
            transcript.contains(state),
            "missing {state:?}:\n{transcript}"
        );
    }
    book_support::check_or_bless("book/src/generated/gdb-gather.txt", &normalise(&transcript));
}
