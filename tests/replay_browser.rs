//! The book's replay widget, in a real browser (book chapter *Watching it
//! run*, `book/src/replay.md`; the widget is `book/replay/replay.js`).
//!
//! [`the_replay_widget_in_headless_chromium`] builds the book with mdbook,
//! opens its pages by `file://` URL in Debian's headless Chromium, and
//! drives them through chromedriver's WebDriver API from a small Python
//! script (`tests/replay_browser.py`, standard library only). The script:
//!
//! * steps through every step of the `gather` and `chef` replays with the
//!   arrow key, and at each one compares what the page says (the clock, the
//!   turn, the run queue in order, every task's state, the timers in the
//!   wheel's slots) with the state an independent oracle computes from the
//!   same JSON by the format's rules; then steps back, jumps with Home/End
//!   and the slider, and checks again;
//! * saves a screenshot of the chef replay (its path is printed);
//! * loads, through the file picker, a malformed file, a replay of a newer
//!   version and a Chrome trace, and checks the message each one gets;
//! * loads a generated replay of more than 100,000 steps and measures the
//!   time one step takes (the widget's work, style and layout), which must
//!   stay under a frame (16 ms); the numbers are printed.
//!
//! Without Chromium, chromedriver, mdbook or python3 the test is skipped
//! with a note, **unless `CI` is set**: then it fails. Install the browser
//! with `apt-get install chromium chromium-driver` (`.ci/run` does).

mod book_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use book_support::root;
use busy_chef::time::sleep;
use busy_chef::{spawn_named, yield_now, Executor};

/// A frame at 60 Hz.
const FRAME_MS: f64 = 16.0;
/// The big replay has at least this many steps.
const BIG_STEPS: usize = 100_000;

/// The first of `names` found on `PATH` or in `/usr/bin`.
fn find_tool(names: &[&str]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.push(PathBuf::from("/usr/bin"));
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The tools, or why the test cannot run (a failure under `CI`).
fn tools() -> Option<(PathBuf, PathBuf, PathBuf, PathBuf)> {
    let found = (
        find_tool(&["chromium", "chromium-browser"]),
        find_tool(&["chromedriver"]),
        std::env::var_os("MDBOOK")
            .map(PathBuf::from)
            .or_else(|| find_tool(&["mdbook"])),
        find_tool(&["python3"]),
    );
    if let (Some(chromium), Some(driver), Some(mdbook), Some(python)) = found.clone() {
        return Some((chromium, driver, mdbook, python));
    }
    let missing: Vec<&str> = [
        (found.0.is_none(), "chromium"),
        (found.1.is_none(), "chromedriver (Debian: chromium-driver)"),
        (found.2.is_none(), "mdbook"),
        (found.3.is_none(), "python3"),
    ]
    .iter()
    .filter(|(gone, _)| *gone)
    .map(|(_, name)| *name)
    .collect();
    let install = "apt-get install chromium chromium-driver python3; \
                   cargo install mdbook --locked";
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI is set but the browser test cannot run: {} not found. Install with `{install}` \
             (.ci/run does).",
            missing.join(", ")
        );
    }
    eprintln!(
        "note: SKIPPED the replay widget's browser test: {} not found. Install with \
         `{install}` (in CI, where `CI` is set, this test fails instead of skipping).",
        missing.join(", ")
    );
    None
}

/// A replay of more than [`BIG_STEPS`] steps: 40 cooks, each of whom sleeps
/// and yields in turn, on the simulated clock (so it is the same each run).
fn big_replay() -> String {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.block_on(async {
        let cooks: Vec<_> = (0..40u64)
            .map(|cook| {
                spawn_named(format!("cook-{cook}"), async move {
                    for round in 0..270u64 {
                        sleep(Duration::from_millis(1 + (cook * 7 + round * 13) % 90)).await;
                        if round % 3 == 0 {
                            yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for cook in cooks {
            cook.await.unwrap();
        }
    });
    exec.take_trace().to_replay_json()
}

/// Builds the book into a fresh folder.
fn build_book(mdbook: &Path, out: &Path) {
    let _ = std::fs::remove_dir_all(out);
    let output = Command::new(mdbook)
        .arg("build")
        .arg(root().join("book"))
        .arg("-d")
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mdbook");
    assert!(
        output.status.success(),
        "mdbook build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A JSON string literal (for the script's configuration).
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The number after `"key":` in the script's one-line JSON report.
fn number_in(report: &str, path: &[&str]) -> Option<f64> {
    let mut rest = report;
    for key in path {
        let at = rest.find(&format!("\"{key}\":"))?;
        rest = &rest[at + key.len() + 3..];
    }
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

#[test]
fn the_replay_widget_in_headless_chromium() {
    let Some((chromium, chromedriver, mdbook, python)) = tools() else {
        return;
    };
    let started = Instant::now();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-browser");
    std::fs::create_dir_all(&work).unwrap();
    let book = work.join("book");
    build_book(&mdbook, &book);

    // The reader's own files: a big one, and three that are not replays.
    let big = big_replay();
    let steps = big.lines().filter(|l| l.starts_with("{\"t\":")).count();
    assert!(steps > BIG_STEPS, "the big replay has only {steps} steps");
    let big_path = work.join("big.replay.json");
    std::fs::write(&big_path, &big).unwrap();
    let malformed = work.join("malformed.replay.json");
    std::fs::write(
        &malformed,
        "{\"format\":\"busy-chef-replay\",\"version\":1,\"steps\":[{\"t\":0,",
    )
    .unwrap();
    let gather = root().join("book/src/generated/gather.replay.json");
    let newer = work.join("newer.replay.json");
    let text = std::fs::read_to_string(&gather).unwrap();
    std::fs::write(&newer, text.replacen("\"version\":1", "\"version\":2", 1)).unwrap();
    let chrome = work.join("trace.json");
    std::fs::write(
        &chrome,
        "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[{\"name\":\"poll\",\"ph\":\"X\"}]}",
    )
    .unwrap();
    let bad_step = work.join("bad-step.replay.json");
    std::fs::write(
        &bad_step,
        text.replacen("\"do\":\"turn\"", "\"do\":\"dance\"", 1),
    )
    .unwrap();

    let screenshot = work.join("chef-replay.png");
    let page = |name: &str| format!("file://{}", book.join(name).display());
    let path = |p: &Path| quoted(&p.display().to_string());
    let config = format!(
        r#"{{"chromium":{},"chromedriver":{},
"replays":[[{},"gather-replay",{}],[{},"chef-replay",{}]],
"own_page":{},
"bad_files":[[{},["not valid JSON"]],[{},["version 2","this page reads version 1"]],[{},["Chrome trace",".replay.json"]],[{},["Step 2 of","\"dance\"","not a kind of step"]]],
"big":{},
"screenshot":{},"screenshot_replay":"chef-replay","screenshot_step":81}}"#,
        path(&chromium),
        path(&chromedriver),
        quoted(&page("executor-loop.html")),
        path(&gather),
        quoted(&page("timer-wheel.html")),
        path(&root().join("book/src/generated/chef.replay.json")),
        quoted(&page("replay.html")),
        path(&malformed),
        path(&newer),
        path(&chrome),
        path(&bad_step),
        path(&big_path),
        path(&screenshot),
    );
    let config_path = work.join("config.json");
    std::fs::write(&config_path, config).unwrap();

    let output = Command::new(&python)
        .arg(root().join("tests/replay_browser.py"))
        .arg(&config_path)
        .output()
        .expect("run python3 tests/replay_browser.py");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && report.starts_with('{'),
        "the browser script failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(work.join("report.json"), &report).unwrap();
    assert!(
        report.contains("\"problems\": []"),
        "the page and the trace disagree:\n{report}"
    );

    let ms = |kind: &str, stat: &str| number_in(&report, &["step_ms", kind, stat]).unwrap();
    let summary = format!(
        "replay widget, {} steps: one step forward takes {:.2} ms on average \
         (p95 {:.2} ms, max {:.2} ms); back {:.2} ms (p95 {:.2}); a jump {:.2} ms (p95 {:.2}); \
         screenshot: {}; the whole test took {:.1} s",
        number_in(&report, &["big_steps"]).unwrap(),
        ms("forward", "mean"),
        ms("forward", "p95"),
        ms("forward", "max"),
        ms("back", "mean"),
        ms("back", "p95"),
        ms("jump", "mean"),
        ms("jump", "p95"),
        screenshot.display(),
        started.elapsed().as_secs_f64()
    );
    println!("{summary}");
    std::fs::write(work.join("summary.txt"), &summary).unwrap();
    for kind in ["forward", "back", "jump"] {
        assert!(
            ms(kind, "p95") < FRAME_MS,
            "stepping ({kind}) takes more than a frame: {summary}"
        );
    }
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
}
