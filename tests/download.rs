//! `examples/download.rs`, run for real: a local HTTP server on 127.0.0.1 and
//! five concurrent downloads through async-io's reactor.
//!
//! Real clock and real sockets, so the test checks what cannot depend on the
//! machine's speed or load:
//!
//! * all five downloads start (print "connecting") before any byte arrives:
//!   they run at once, not one after the other;
//! * each file's own lines come in order: its quarters, then "done" with the
//!   right size (the content is checked byte by byte by the example);
//! * the cut-off file ends with its own clear error after 50%, the one at a
//!   dead port with "could not connect", and the others still finish;
//! * no file is reported done before the server's delay for it has passed.
//!
//! It also writes `book/src/generated/download.txt`: the start and the
//! summary, with the ports and the total time masked.

mod book_support;

use book_support::{check_or_bless, run_example};

/// Files the example serves: name, size in KiB, delay in seconds, whole?
const FILES: [(&str, usize, f64, bool); 4] = [
    ("menu.html", 16, 0.2, true),
    ("recipes.csv", 256, 0.4, true),
    ("photo.jpg", 128, 0.3, true),
    ("video.mp4", 64, 0.32, false),
];

/// `[0.12 s] name: text` → (time, name, text).
fn event(line: &str) -> Option<(f64, &str, &str)> {
    let rest = line.strip_prefix('[')?;
    let (time, rest) = rest.split_once(" s] ")?;
    let (name, text) = rest.split_once(": ")?;
    Some((time.trim().parse().ok()?, name, text))
}

/// Replaces `127.0.0.1:<port>` by `127.0.0.1:PORT`.
fn mask_ports(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (before, after) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(before);
        out.push_str("PORT");
        rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[test]
fn download_runs_all_files_at_once_and_reports_each_failure() {
    let output = run_example("download", &[]);
    let first = output.lines().next().unwrap_or("");
    assert!(
        first.starts_with("server on 127.0.0.1:")
            && first.contains("; nothing listens on 127.0.0.1:"),
        "{output}"
    );
    let events: Vec<(f64, &str, &str)> = output.lines().filter_map(event).collect();

    // All five start before any data arrives.
    let first_data = events
        .iter()
        .position(|(_, _, text)| text.ends_with("KiB"))
        .expect("some progress");
    let connecting: Vec<&str> = events[..first_data]
        .iter()
        .filter(|(_, _, text)| *text == "connecting")
        .map(|(_, name, _)| *name)
        .collect();
    assert_eq!(
        connecting,
        [
            "menu.html",
            "recipes.csv",
            "photo.jpg",
            "video.mp4",
            "notes.txt"
        ],
        "{output}"
    );

    // Each file's own story, in order.
    for (name, kib, delay, whole) in FILES {
        let mine: Vec<(f64, &str)> = events
            .iter()
            .filter(|(_, n, _)| *n == name)
            .map(|(t, _, text)| (*t, *text))
            .collect();
        let texts: Vec<&str> = mine.iter().map(|(_, text)| *text).collect();
        let quarters: Vec<String> = (1..=if whole { 4 } else { 2 })
            .map(|q| format!("{}% of {kib} KiB", q * 25))
            .collect();
        let mut expected: Vec<String> = vec!["connecting".into()];
        expected.extend(quarters);
        if whole {
            expected.push(format!("done, {} bytes", kib * 1024));
        } else {
            expected.push(format!(
                "FAILED: the server closed the connection after {} of {} bytes",
                kib * 512,
                kib * 1024
            ));
        }
        assert_eq!(texts, expected, "{name}\n{output}");
        if whole {
            let done_at = mine.last().unwrap().0;
            // The server waits `delay` in all; printed times are rounded.
            assert!(
                done_at + 0.01 >= delay,
                "{name} done at {done_at} s, before its delay\n{output}"
            );
        }
    }
    let notes: Vec<&str> = events
        .iter()
        .filter(|(_, n, _)| *n == "notes.txt")
        .map(|(_, _, text)| *text)
        .collect();
    assert_eq!(notes.len(), 2, "{output}");
    assert!(
        notes[1].starts_with("FAILED: could not connect to 127.0.0.1:"),
        "{output}"
    );

    // The summary.
    let summary: Vec<&str> = output
        .lines()
        .skip_while(|line| !line.ends_with("files downloaded:"))
        .collect();
    assert_eq!(
        summary.first(),
        Some(&"3 of 5 files downloaded:"),
        "{output}"
    );
    assert_eq!(summary.len(), 7, "{output}");
    let total = summary[6];
    assert!(
        total.starts_with("total time ") && total.ends_with("the server's delays add up to 1.22 s")
    );

    // For the book: the start and the summary, ports and total time masked.
    let mut book = String::from("$ cargo run --example download\n");
    book.push_str(&mask_ports(first));
    book.push('\n');
    for line in output.lines().filter(|line| line.ends_with(": connecting")) {
        let (_, rest) = line.split_once(" s] ").unwrap();
        book.push_str(&format!("[x.xx s] {rest}"));
        book.push('\n');
    }
    book.push_str("... (progress lines, in an order that changes from run to run) ...\n\n");
    for line in &summary[..6] {
        book.push_str(&mask_ports(line));
        book.push('\n');
    }
    let time = total.split_whitespace().nth(2).unwrap_or("");
    book.push_str(&total.replacen(time, "x.xx", 1));
    book.push('\n');
    check_or_bless("book/src/generated/download.txt", &book);
}
